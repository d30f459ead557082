/**
 * The dynamic provider behind GitCommit: writes a set of files to a GitHub repository as ONE
 * commit through the Git data API (a tree with the contents inline, a commit, a ref update),
 * instead of one commit per file through the contents API. Three writes per repository however
 * many files, one CI build instead of one per file, and no 409s from parallel writes to a branch.
 *
 * A commit is history: it is made once. Changing the files later changes nothing (the component
 * routes template changes through pull requests), and deleting the resource deletes nothing. On
 * a branch of its own (no fromBranch) it writes only onto the repository's initial commit: a
 * branch that already has history is recorded as it is, never written over.
 *
 * GitHub behaviour it relies on, with its source:
 * - POST git/refs answers 422 "Reference already exists" for a branch that exists (adopted when it
 *   holds the same files) and, intermittently, 422 "Reference update failed", which is not that:
 *   it is retried (github/rest-api-description#4887, "Create a reference API call fails with HTTP
 *   422 ... 'Reference update failed'");
 * - a sync branch that already exists may already have an open pull request; GitHub refuses a
 *   second one with 422 "Validation Failed" / errors[].message "A pull request already exists for
 *   OWNER:BRANCH." and @pulumi/github's RepositoryPullRequest does not adopt it
 *   (terraform-provider-github v6.13.0 github/resource_github_repository_pull_request.go,
 *   resourceGithubRepositoryPullRequestCreate: PullRequests.Create, error returned as is). The
 *   provider looks the pull request up (GET pulls?head=OWNER:BRANCH&state=open) and warns;
 * - the default branch is the organisation's setting, read from the repository (`defaultBranch`,
 *   the repository resource's output): a scaffold is refused, before anything is written, when
 *   the files were rendered for another branch;
 * - writes are content-creating requests, paced (see git-client.ts).
 *
 * Run by the engine from the package @mlplatform/dynamic-providers (../dynamic-providers.ts).
 */
import { createHash } from "crypto";
import { providerInputs } from "../provider-inputs";
import { isUnknownValue } from "../unknown-value";
import type * as pulumi from "@pulumi/pulumi";
import {
  callGitHub,
  DEFAULT_GITHUB_RETRY_POLICY,
  gitHubAdvice,
  gitHubError,
  gitHubMessage,
  GitHubCall,
  GitHubConnection,
  GitHubRetryPolicy,
  headsPath,
  redactText,
  repoPath,
} from "./git-client";

export interface GitCommitFile {
  /** Path in the repository, e.g. src/churn/model.py. */
  path: string;
  /** UTF-8 text; what the program passes. */
  content?: string;
  /**
   * The git blob sha of the content, in place of it: what the state keeps once the commit exists
   * (see storedCommitInputs). Exactly one of content and blob.
   */
  blob?: string;
}

/** What the provider receives. */
export interface GitCommitInputs {
  /** Base URL of GitHub's REST API. */
  apiUrl: string;
  token: string;
  /** Organisation (or user) that owns the repository. */
  owner: string;
  repository: string;
  /** Branch that receives the commit. */
  branch: string;
  /** When set, `branch` is created by this commit, on top of `fromBranch`'s head. */
  fromBranch?: string;
  files: GitCommitFile[];
  message: string;
  authorName: string;
  authorEmail: string;
  /**
   * The repository's default branch as GitHub reports it (the repository resource's
   * `defaultBranch` output: the organisation's default branch setting when it was created). When
   * set on a commit without fromBranch, `branch` must be it: the files were rendered for `branch`.
   */
  defaultBranch?: string;
}

/**
 * What the provider returns as outputs: no token, no file contents. The inputs hold the contents
 * until the commit exists, then only each file's blob sha (storedCommitInputs).
 */
export interface GitCommitState {
  apiUrl: string;
  owner: string;
  repository: string;
  branch: string;
  fromBranch?: string;
  /** The commit that carries the files (an existing one when the branch already had them). */
  commitSha: string;
  treeSha: string;
  paths: string[];
}

/** Inputs that name another target: changing one makes a new commit there (replace). */
export const COMMIT_IDENTITY_FIELDS = [
  "apiUrl",
  "owner",
  "repository",
  "branch",
  "fromBranch",
] as const;

/** Files one commit may carry, and the size of one file: keeps the tree request within GitHub's limits. */
export const COMMIT_LIMITS = { files: 1000, fileBytes: 1_000_000, pathLength: 1024 } as const;

export interface CommitProblem {
  field: string;
  reason: string;
}

function segmentProblems(field: string, value: unknown): CommitProblem[] {
  if (typeof value !== "string" || value.length === 0) return [{ field, reason: "missing" }];
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(value) || value === "." || value === "..") {
    return [{ field, reason: `"${value}" is not a GitHub name (letters, digits, . _ -)` }];
  }
  return [];
}

/** A branch name git and GitHub accept (the subset of `git check-ref-format` the platform uses). */
export function branchProblems(field: string, value: unknown): CommitProblem[] {
  if (typeof value !== "string" || value.length === 0) return [{ field, reason: "missing" }];
  const bad =
    !/^[A-Za-z0-9._/-]{1,200}$/.test(value) ||
    /(^[-/.])|([/.]$)|\/\/|\.\.|\/\.|\.lock(\/|$)/.test(value);
  return bad ? [{ field, reason: `"${value}" is not a valid branch name` }] : [];
}

/** Problems with one file path: relative, normalised, not inside .git. */
export function pathProblems(path: unknown): string | undefined {
  if (typeof path !== "string" || path.length === 0) return "a path is missing";
  if (path.length > COMMIT_LIMITS.pathLength) return `path ${path.slice(0, 60)}... is too long`;
  if (/[\u0000-\u001f\u007f\\]/.test(path))
    return `path ${JSON.stringify(path)} has a control character or backslash`;
  const segments = path.split("/");
  if (segments.some((s) => s === "" || s === "." || s === "..")) {
    return `path ${JSON.stringify(path)} must be relative and normalised (no leading /, no empty, . or .. segment)`;
  }
  if (segments.some((s) => s.toLowerCase() === ".git"))
    return `path ${JSON.stringify(path)} is inside .git`;
  return undefined;
}

/** Every problem with the inputs; pure, exported for tests and the resource. */
export function commitProblems(raw: Record<string, unknown>): CommitProblem[] {
  const problems: CommitProblem[] = [];
  const apiUrl = raw.apiUrl;
  let url: URL | undefined;
  try {
    url = typeof apiUrl === "string" ? new URL(apiUrl) : undefined;
  } catch {
    url = undefined;
  }
  const loopback = url !== undefined && ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
  if (
    url === undefined ||
    !(url.protocol === "https:" || (url.protocol === "http:" && loopback)) ||
    url.username !== "" ||
    url.password !== "" ||
    url.search !== "" ||
    url.hash !== ""
  ) {
    problems.push({
      field: "apiUrl",
      reason: `${JSON.stringify(apiUrl)} is not an https URL without credentials (set mlplatform:githubApiUrl)`,
    });
  }
  if (typeof raw.token !== "string" || raw.token.trim().length === 0) {
    problems.push({
      field: "token",
      reason: "missing (set it with `pulumi config set --secret mlplatform:githubToken`)",
    });
  }
  problems.push(
    ...segmentProblems("owner", raw.owner),
    ...segmentProblems("repository", raw.repository),
  );
  problems.push(...branchProblems("branch", raw.branch));
  if (raw.defaultBranch !== undefined && !isUnknownValue(raw.defaultBranch)) {
    const bad = branchProblems("defaultBranch", raw.defaultBranch);
    problems.push(...bad);
    if (
      bad.length === 0 &&
      raw.fromBranch === undefined &&
      !isUnknownValue(raw.branch) &&
      raw.defaultBranch !== raw.branch
    ) {
      problems.push({
        field: "defaultBranch",
        reason: `the repository's default branch is "${String(raw.defaultBranch)}" (GitHub's default_branch: the organisation's setting for new repositories), but the files were rendered for "${String(raw.branch)}": set mlplatform:githubDefaultBranch to "${String(raw.defaultBranch)}", or rename the branch on GitHub to "${String(raw.branch)}", then run \`pulumi up\` again`,
      });
    }
  }
  if (raw.fromBranch !== undefined) {
    problems.push(...branchProblems("fromBranch", raw.fromBranch));
    if (raw.fromBranch === raw.branch) {
      problems.push({
        field: "fromBranch",
        reason: "must differ from branch (the branch is created from it)",
      });
    }
  }
  for (const field of ["message", "authorName"] as const) {
    if (typeof raw[field] !== "string" || String(raw[field]).trim().length === 0) {
      problems.push({ field, reason: "missing" });
    }
  }
  if (typeof raw.authorEmail !== "string" || !/^[^\s@]+@[^\s@]+$/.test(raw.authorEmail)) {
    problems.push({
      field: "authorEmail",
      reason: `${JSON.stringify(raw.authorEmail)} is not an e-mail address`,
    });
  }
  const files = raw.files;
  if (!Array.isArray(files) || files.length === 0) {
    problems.push({ field: "files", reason: "at least one file is needed" });
    return problems;
  }
  if (files.length > COMMIT_LIMITS.files) {
    problems.push({
      field: "files",
      reason: `${files.length} files, at most ${COMMIT_LIMITS.files} in one commit`,
    });
  }
  const seen = new Set<string>();
  for (const file of files as unknown[]) {
    const f = (typeof file === "object" && file !== null ? file : {}) as Record<string, unknown>;
    const bad = pathProblems(f.path);
    if (bad) {
      problems.push({ field: "files", reason: bad });
      continue;
    }
    const path = f.path as string;
    if (seen.has(path)) problems.push({ field: "files", reason: `path ${path} is given twice` });
    seen.add(path);
    if (f.content === undefined && f.blob !== undefined) {
      if (typeof f.blob !== "string" || !GIT_BLOB_SHA.test(f.blob)) {
        problems.push({
          field: "files",
          reason: `${path}: blob must be a git blob sha (40 lowercase hex digits)`,
        });
      }
    } else if (f.blob !== undefined) {
      problems.push({ field: "files", reason: `${path}: content and blob are exclusive` });
    } else if (typeof f.content !== "string") {
      problems.push({ field: "files", reason: `${path}: content must be text` });
    } else if (Buffer.byteLength(f.content, "utf8") > COMMIT_LIMITS.fileBytes) {
      problems.push({
        field: "files",
        reason: `${path}: larger than ${COMMIT_LIMITS.fileBytes} bytes`,
      });
    }
  }
  return problems;
}

/** A git object id in its hex form (SHA-1). */
const GIT_BLOB_SHA = /^[0-9a-f]{40}$/;

/**
 * The id git (and GitHub) give a file's content: SHA-1 of "blob <bytes>\0<content>"
 * (git-scm.com/book/en/v2/Git-Internals-Git-Objects, "Object Storage"; `git hash-object`).
 */
export function gitBlobSha(content: string): string {
  const bytes = Buffer.from(content, "utf8");
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

/**
 * The inputs the engine stores (check's result): the files' blob shas in place of their contents
 * once the commit exists with the same target, so the state does not keep every file twice (here
 * and in the repository). The engine calls check with the resource's old inputs, and with none
 * for a new resource, a targeted replacement (`pulumi up --replace`) or a re-creation, and stores
 * what it returns as the new inputs (pulumi/pulumi pkg/resource/deploy/step_generator.go,
 * generateSteps: checkInputs(urn, nil, goal.Properties) or (urn, oldInputs, inputs); new.Inputs =
 * inputs). A new commit, or one whose target changes (a replacement: diffCommit), keeps the files
 * as given: the program's contents, or, as `files` is ignoreChanges, the old inputs' blob shas
 * (create then writes a tree of blobs the repository must hold). Old inputs holding contents
 * (state written before) work the same way: the blob shas are computed here.
 */
export function storedCommitInputs(
  olds: Record<string, unknown> | undefined,
  news: Record<string, unknown>,
): Record<string, unknown> {
  const exists = olds !== undefined && olds !== null && Array.isArray(olds.files);
  if (!exists || !Array.isArray(news.files)) return news;
  if (COMMIT_IDENTITY_FIELDS.some((k) => isUnknownValue(news[k]) || olds[k] !== news[k])) {
    return news;
  }
  const files = (news.files as unknown[]).map((file) => {
    const f = (typeof file === "object" && file !== null ? file : {}) as Record<string, unknown>;
    return typeof f.content === "string" ? { path: f.path, blob: gitBlobSha(f.content) } : file;
  });
  return { ...news, files };
}

/** One line per problem, under a heading that names the resource. */
export function describeCommitProblems(subject: string, problems: CommitProblem[]): string {
  return [
    `${subject}: invalid arguments:`,
    ...problems.map((p) => `  ${p.field}: ${p.reason}`),
  ].join("\n");
}

/**
 * Replaces when the target changes; nothing else is a change: the files were committed once and
 * belong to the repository now (a token rotation or a new message is recorded, not applied).
 */
export function diffCommit(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
): pulumi.dynamic.DiffResult {
  const replaces = COMMIT_IDENTITY_FIELDS.filter(
    (k) => isUnknownValue(news[k]) || olds[k] !== news[k],
  );
  return { changes: replaces.length > 0, replaces: [...replaces], deleteBeforeReplace: false };
}

function field(body: unknown, ...path: string[]): string {
  let v: unknown = body;
  for (const key of path)
    v = typeof v === "object" && v !== null ? (v as Record<string, unknown>)[key] : undefined;
  if (typeof v !== "string") {
    throw gitHubError(`GitHub: unexpected answer: ${path.join(".")} is missing`, {
      transient: false,
      attempts: 1,
    });
  }
  return v;
}

/** What the state keeps of a commit made (or found) for these inputs. */
export function commitState(
  inputs: Pick<
    GitCommitInputs,
    "apiUrl" | "owner" | "repository" | "branch" | "fromBranch" | "files"
  >,
  commitSha: string,
  treeSha: string,
): GitCommitState {
  return {
    apiUrl: inputs.apiUrl,
    owner: inputs.owner,
    repository: inputs.repository,
    branch: inputs.branch,
    ...(inputs.fromBranch !== undefined ? { fromBranch: inputs.fromBranch } : {}),
    commitSha,
    treeSha,
    paths: inputs.files.map((f) => f.path).sort(),
  };
}

/** Makes the commit (see the file comment); idempotent when the branch already holds the files. */
export async function makeCommit(
  inputs: GitCommitInputs,
  policy: GitHubRetryPolicy,
): Promise<GitCommitState> {
  const connection: GitHubConnection = { apiUrl: inputs.apiUrl, token: inputs.token };
  // The repository's path; after a permanent redirect (a renamed or transferred repository),
  // the one GitHub named, for every later call ("update your code to use this URL").
  let repo = repoPath(inputs.owner, inputs.repository);
  const subject = `repository ${inputs.owner}/${inputs.repository}, branch ${inputs.branch}`;
  const source = inputs.fromBranch ?? inputs.branch;
  const done = (commitSha: string, treeSha: string) => commitState(inputs, commitSha, treeSha);
  const call = async (c: Omit<GitHubCall, "path" | "subject"> & { under: string }) => {
    const reply = await callGitHub(
      connection,
      { ...c, path: `${repo}${c.under}`, subject },
      policy,
    );
    if (reply.movedTo !== undefined && reply.movedTo.endsWith(c.under.split("?")[0])) {
      const moved = reply.movedTo.split("?")[0];
      repo = moved.slice(0, moved.length - c.under.split("?")[0].length);
    }
    return reply;
  };
  const headOf = async (branch: string, retryOn: number[]) => {
    const ref = await call({
      method: "GET",
      under: `/git/ref/${headsPath(branch)}`,
      operation: `read the head of ${branch}`,
      retryOn,
    });
    const sha = field(ref.body, "object", "sha");
    const commit = await call({
      method: "GET",
      under: `/git/commits/${sha}`,
      operation: `read commit ${sha}`,
    });
    const parents = (commit.body as { parents?: unknown }).parents;
    return {
      sha,
      tree: field(commit.body, "tree", "sha"),
      initial: Array.isArray(parents) && parents.length === 0,
    };
  };
  /**
   * An adopted sync branch may already have its pull request (a deployment that stopped after
   * creating it, or the same template digest coming back): RepositoryPullRequest would then fail
   * with 422 "A pull request already exists for OWNER:BRANCH." Says so, with the way out.
   */
  const warnOfOpenPullRequest = async () => {
    const head = encodeURIComponent(`${inputs.owner}:${inputs.branch}`);
    const base = encodeURIComponent(inputs.fromBranch ?? "");
    let found: Record<string, unknown>[];
    try {
      const list = await call({
        method: "GET",
        under: `/pulls?head=${head}&base=${base}&state=open`,
        operation: `look up the open pull requests from ${inputs.branch}`,
      });
      found = Array.isArray(list.body) ? (list.body as Record<string, unknown>[]) : [];
    } catch (e) {
      // Only a warning is at stake: the branch is adopted all the same.
      console.warn(`${(e as Error).message} (the branch is adopted all the same)`);
      return;
    }
    for (const pr of found) {
      if (typeof pr.number !== "number") continue;
      console.warn(
        `GitHub: pull request #${pr.number} from ${inputs.branch} into ${inputs.fromBranch} is already open (${subject}). The sync's RepositoryPullRequest cannot adopt it: @pulumi/github creates a new one, which GitHub refuses with HTTP 422 "A pull request already exists for ${inputs.owner}:${inputs.branch}." Close #${pr.number} on GitHub (the next \`pulumi up\` opens a new one), or import it: pulumi import github:index/repositoryPullRequest:RepositoryPullRequest <the sync pull request's name> ${inputs.owner}:${inputs.repository}:${pr.number} --protect=false --parent 'content=<URN of its RepositoryContent>' (see docs/templates.md).`,
      );
    }
  };
  const blobsOnly = inputs.files.filter((f) => f.content === undefined).map((f) => f.path);
  for (let round = 1; ; round++) {
    // A repository created a moment ago may answer 404 or 409 until its first commit is visible.
    const head = await headOf(source, [404, 409]);
    // The platform writes onto a new repository's initial commit only: a branch with history of
    // its own (a repository scaffolded before, or a retried create) is recorded, never written over.
    if (inputs.fromBranch === undefined && round === 1 && !head.initial) {
      console.warn(
        `GitHub: ${subject} already has commits beyond its initial one: recorded its head ${head.sha}, wrote nothing.`,
      );
      return done(head.sha, head.tree);
    }
    const tree = await call({
      method: "POST",
      under: "/git/trees",
      expect: blobsOnly.length > 0 ? [422] : [],
      body: {
        base_tree: head.tree,
        // Either the content or the sha of a blob the repository holds ("Create a tree",
        // docs.github.com/en/rest/git/trees: "Use either tree.sha or content").
        tree: inputs.files.map((f) => ({
          path: f.path,
          mode: "100644",
          type: "blob",
          ...(f.content !== undefined ? { content: f.content } : { sha: f.blob }),
        })),
      },
      operation: `write a tree of ${inputs.files.length} files`,
      createsContent: true,
    });
    if (tree.status === 422) {
      // Blob shas the repository does not hold: the state kept them in place of the contents.
      const said = gitHubMessage(tree.body) ?? "";
      throw gitHubError(
        redactText(
          `GitHub: could not write the tree (${subject}): HTTP 422${said ? ` (GitHub says: "${said}")` : ""}. files: the state keeps only the blob shas of ${blobsOnly.length} file(s) (${blobsOnly.slice(0, 3).join(", ")}${blobsOnly.length > 3 ? ", ..." : ""}), and the repository does not hold them. Run \`pulumi up --replace <this GitCommit's URN>\`: a targeted replacement commits the files as the program renders them now.`,
          [inputs.token],
        ),
        { status: 422, transient: false, attempts: round },
      );
    }
    const treeSha = field(tree.body, "sha");
    // Already there (a retried create after a lost answer): nothing to commit.
    if (inputs.fromBranch === undefined && treeSha === head.tree) return done(head.sha, treeSha);
    const commit = await call({
      method: "POST",
      under: "/git/commits",
      body: {
        message: inputs.message,
        tree: treeSha,
        parents: [head.sha],
        author: { name: inputs.authorName, email: inputs.authorEmail },
      },
      operation: "create the commit",
      createsContent: true,
    });
    const commitSha = field(commit.body, "sha");
    if (inputs.fromBranch !== undefined) {
      const created = await call({
        method: "POST",
        under: "/git/refs",
        body: { ref: `refs/heads/${inputs.branch}`, sha: commitSha },
        operation: `create branch ${inputs.branch}`,
        expect: [422],
        createsContent: true,
        // Intermittent, and not "the branch exists" (github/rest-api-description#4887).
        retryOnMessage: /^Reference update failed/i,
        retryOnMessageAdvice:
          'GitHub kept answering "Reference update failed", which it does intermittently for ref creations (github/rest-api-description#4887); run `pulumi up` again.',
      });
      if (created.status < 300) return done(commitSha, treeSha);
      const said = gitHubMessage(created.body) ?? "";
      if (!/^Reference already exists/i.test(said)) {
        // A ruleset restricting branch creation, a name GitHub refuses...: not an existing branch.
        throw gitHubError(
          redactText(
            `GitHub: could not create branch ${inputs.branch} (${subject}): HTTP ${created.status}${said ? ` (GitHub says: "${said}")` : ""}. ${gitHubAdvice(created.status)}`,
            [inputs.token],
          ),
          { status: created.status, transient: false, attempts: round },
        );
      }
      // The branch exists: adopt it when it already holds exactly these files.
      const existing = await headOf(inputs.branch, []);
      if (existing.tree === treeSha) {
        await warnOfOpenPullRequest();
        return done(existing.sha, treeSha);
      }
      throw gitHubError(
        `GitHub: could not create branch ${inputs.branch} (${subject}): it already exists with other content. Merge or delete it on GitHub, then run \`pulumi up\` again.`,
        { status: 422, transient: false, attempts: round },
      );
    }
    const moved = await call({
      method: "PATCH",
      under: `/git/refs/${headsPath(inputs.branch)}`,
      body: { sha: commitSha, force: false },
      operation: `move ${inputs.branch} to the new commit`,
      expect: [409, 422],
      createsContent: true,
    });
    if (moved.status < 300) return done(commitSha, treeSha);
    const said = gitHubMessage(moved.body) ?? "";
    if (!/fast.?forward/i.test(said)) {
      // Not a race: a ruleset or branch protection refusing direct pushes, say. Retrying won't help.
      throw gitHubError(
        `GitHub: could not move ${inputs.branch} to the new commit (${subject}): HTTP ${moved.status}${said ? ` (GitHub says: "${said}")` : ""}. The branch must accept direct pushes from the platform's token while the repository is scaffolded: the platform adds its ruleset only after this commit.`,
        { status: moved.status, transient: false, attempts: round },
      );
    }
    // Someone pushed meanwhile (not a fast-forward): build the commit again on the new head.
    if (round >= policy.conflictAttempts) {
      throw gitHubError(
        `GitHub: could not move ${inputs.branch} to the new commit (${subject}): the branch kept moving during ${round} attempts (HTTP ${moved.status}). Run \`pulumi up\` again.`,
        { status: moved.status, transient: true, attempts: round },
      );
    }
  }
}

/**
 * The provider object; `policy` bounds retries and timeouts (tests pass short ones). The engine
 * runs it from the package @mlplatform/dynamic-providers (../dynamic-providers.ts).
 */
export function gitCommitProvider(
  policy: GitHubRetryPolicy = DEFAULT_GITHUB_RETRY_POLICY,
): pulumi.dynamic.ResourceProvider<GitCommitInputs, GitCommitState> {
  const rules = providerInputs<GitCommitInputs>({
    // No defaults: the inputs are checked as given.
    resolve: (raw) => ({
      inputs: raw as unknown as GitCommitInputs,
      problems: commitProblems(raw),
    }),
    diff: diffCommit,
    refuse: (raw, problems) =>
      gitHubError(
        describeCommitProblems(
          `GitCommit ${String(raw.owner)}/${String(raw.repository)}`,
          problems,
        ),
        { transient: false, attempts: 0 },
      ),
  });
  return {
    async check(olds, news) {
      const checked = await rules.check(olds, news);
      if (checked.failures !== undefined && checked.failures.length > 0) return checked;
      const stored = storedCommitInputs(
        olds as unknown as Record<string, unknown> | undefined,
        news as unknown as Record<string, unknown>,
      );
      return { inputs: stored as unknown as GitCommitInputs, failures: [] };
    },
    diff: rules.diff,
    async create(raw) {
      const inputs = rules.validated(raw);
      const state = await makeCommit(inputs, policy);
      return { id: `${state.owner}/${state.repository}@${state.commitSha}`, outs: state };
    },
    async update(_id, olds) {
      // Only fields that change nothing on GitHub reach an update (see diffCommit).
      return { outs: olds };
    },
    async delete() {
      // A commit is history: the files stay with the repository (which is archived, not deleted).
    },
  };
}
