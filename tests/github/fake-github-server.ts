/**
 * Test fixture: a local HTTP server on 127.0.0.1 (ephemeral port) speaking the subset of GitHub's
 * Git data REST API the commit provider uses: read a ref, read a commit, write a tree (contents
 * inline, on a base tree), write a commit, create a ref, move a ref. Not part of the product.
 *
 * Behaviour copied from GitHub:
 * - a wrong or missing bearer token is a 401 {"message": "Bad credentials"};
 * - a repository without any commit answers 409 {"message": "Git Repository is empty."} to the Git
 *   data endpoints; one GitHub has not finished creating answers 404 for a while;
 * - objects are content-addressed: equal trees have equal shas (sha1 of a canonical JSON here);
 *   a commit carries an author date (a logical clock), so two commits of the same tree differ;
 * - a tree written with `base_tree` holds the base's entries plus the new ones (new ones win);
 *   an entry gives either its `content` or the `sha` of a blob the repository holds, not both
 *   (docs.github.com/en/rest/git/trees, "Create a tree": "Use either tree.sha or content"); blob
 *   shas are git's (sha1 of "blob <bytes>\0<content>");
 * - PATCH of a ref with `force: false` to a commit that does not descend from the ref's head is a
 *   422 "Update is not a fast forward"; POST of a ref that exists is a 422 "Reference already
 *   exists"; unknown objects are 422s;
 * - branch names may hold slashes (refs/heads/platform/template-sync-abc123);
 * - POST of a ref may fail intermittently with 422 "Reference update failed", creating nothing
 *   (`failRefCreations`; github/rest-api-description#4887: "Sometimes it works, sometimes it fails
 *   with HTTP 422 and message property: 'Reference update failed'");
 * - a renamed or transferred repository redirects its old path to /repositories/{id}/...: 301 for
 *   GET, 307 for other methods, `location` and a body {"message": "Moved Permanently", "url": ...}
 *   (`renameRepository`; developer.github.com changes 2015-04-17 "Preview repository redirects"
 *   and 2015-07-21 "Automatic redirects for renamed repositories"; docs.github.com "Best practices
 *   for using the REST API", "Follow redirects"; the 307 for a POST as git-machete#1211 and ghi#300
 *   observed it);
 * - pull requests: GET pulls filters by `head` (OWNER:BRANCH), `base` and `state` (default open);
 *   POST pulls of a head that already has an open pull request into the same base is a 422
 *   {"message": "Validation Failed", "errors": [{"resource": "PullRequest", "code": "custom",
 *   "message": "A pull request already exists for OWNER:BRANCH."}]} (docs.github.com
 *   "Troubleshooting the REST API", "Validation Failed": errors[] with code `custom` carry a
 *   message); a head branch that does not exist is errors[] {"resource": "PullRequest", "field":
 *   "head", "code": "invalid"};
 * - content creation is limited (`limitContentCreation`): past N content-creating requests in a
 *   window, a 403 {"message": "You have exceeded a secondary rate limit...", "documentation_url":
 *   "...#about-secondary-rate-limits"} WITHOUT retry-after or x-ratelimit-* headers ("Rate limits
 *   for the REST API": "no more than 80 content-generating requests per minute and no more than
 *   500 content-generating requests per hour"; "If you exceed a secondary rate limit, you will
 *   receive a 403 or 429 response and an error message that indicates that you exceeded a
 *   secondary rate limit"; the headers are optional: "If the retry-after response header is
 *   present..."). Refused requests do not count.
 *
 * Every request is logged (method, path, parsed body, whether the token matched; never the
 * token). Faults can be injected (a status, with headers, or a delay, for N matching requests),
 * and a hook can run just before a matching request is served (another push to the branch).
 */
import { createHash } from "crypto";
import { FakeJsonApi } from "../helpers/fake-json-api";

export type { Fault, LoggedRequest, RequestHook } from "../helpers/fake-json-api";

export interface FakeCommit {
  tree: string;
  parents: string[];
  message: string;
  author: { name: string; email: string; date: string };
}

export interface FakePullRequest {
  number: number;
  /** Branch name, without the owner. */
  head: string;
  base: string;
  title: string;
  body: string;
  state: "open" | "closed";
}

export interface FakeRepository {
  /** GitHub's numeric id: /repositories/{id} reaches the repository whatever its name. */
  id: number;
  owner: string;
  name: string;
  pulls: FakePullRequest[];
  /** Branch name (without refs/heads/) -> commit sha. */
  branches: Map<string, string>;
  commits: Map<string, FakeCommit>;
  /** Tree sha -> (full path -> content); flat. */
  trees: Map<string, Map<string, string>>;
  /** Requests to this repository still answered 404, as while GitHub finishes creating it. */
  hiddenFor: number;
}

/** sha1 of a canonical JSON (object keys sorted), prefixed by the object's kind. */
function objectSha(kind: string, value: unknown): string {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (typeof v === "object" && v !== null) {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return createHash("sha1")
    .update(`${kind}\0${JSON.stringify(canonical(value))}`)
    .digest("hex");
}

const EPOCH = Date.parse("2024-05-01T09:00:00Z");

/** The body of a secondary rate limit, as GitHub words it. */
export const SECONDARY_LIMIT_BODY = {
  message:
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000.",
  documentation_url:
    "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
};

export class FakeGitHubServer extends FakeJsonApi {
  readonly repositories = new Map<string, FakeRepository>();
  /** Old "owner/name" -> the repository's id, after a rename or transfer. */
  private readonly moved = new Map<string, number>();
  private nextId = 1000;
  /** Ref creations still to fail with 422 "Reference update failed". */
  private refFailures = 0;
  private contentLimit: { perWindow: number; windowMs: number } | undefined;
  /** Times of the content-creating requests served (for limitContentCreation). */
  readonly contentCreations: number[] = [];
  /** Logical clock of commit dates, one second per commit. */
  private clock = 0;
  private constructor(token: string) {
    super(
      token,
      { message: "Bad credentials", documentation_url: "https://docs.github.com/rest" },
      false,
    );
  }

  static async start(token: string): Promise<FakeGitHubServer> {
    const fake = new FakeGitHubServer(token);
    await fake.listen();
    return fake;
  }

  /**
   * A repository: empty (no commit: 409 to ref reads) unless `files` is given, in which case
   * `defaultBranch` holds one initial commit (no parent) with those files.
   */
  addRepository(
    slug: string,
    options: { files?: Record<string, string>; defaultBranch?: string; hiddenFor?: number } = {},
  ): FakeRepository {
    const [owner, name] = slug.split("/");
    const repo: FakeRepository = {
      id: this.nextId++,
      owner,
      name,
      pulls: [],
      branches: new Map(),
      commits: new Map(),
      trees: new Map(),
      hiddenFor: options.hiddenFor ?? 0,
    };
    this.repositories.set(slug, repo);
    if (options.files !== undefined) {
      const tree = this.storeTree(repo, new Map(Object.entries(options.files)));
      const sha = this.storeCommit(repo, {
        tree,
        parents: [],
        message: "Initial commit",
        author: { name: "GitHub", email: "noreply@github.com" },
      });
      repo.branches.set(options.defaultBranch ?? "main", sha);
    }
    return repo;
  }

  /**
   * Another client's push: a commit on top of `branch`'s head (or a new branch from `from`)
   * with `files` changed, the branch moved to it. Returns the commit's sha.
   */
  push(
    slug: string,
    branch: string,
    files: Record<string, string>,
    options: { message?: string; from?: string } = {},
  ): string {
    const repo = this.repo(slug);
    const parent = repo.branches.get(branch) ?? repo.branches.get(options.from ?? "");
    if (parent === undefined) throw new Error(`push: no branch ${branch} in ${slug}`);
    const base = repo.trees.get(repo.commits.get(parent)!.tree)!;
    const tree = this.storeTree(repo, new Map([...base, ...Object.entries(files)]));
    const sha = this.storeCommit(repo, {
      tree,
      parents: [parent],
      message: options.message ?? "Another push",
      author: { name: "Someone Else", email: "someone@acme.example" },
    });
    repo.branches.set(branch, sha);
    return sha;
  }

  /** Renames (or transfers) a repository: its old path now redirects (see the file comment). */
  renameRepository(from: string, to: string): void {
    const repo = this.repo(from);
    const [owner, name] = to.split("/");
    this.repositories.delete(from);
    repo.owner = owner;
    repo.name = name;
    this.repositories.set(to, repo);
    this.moved.set(from, repo.id);
  }

  /** The next `count` ref creations fail with 422 "Reference update failed" (nothing created). */
  failRefCreations(count: number): void {
    this.refFailures = count;
  }

  /** Refuses content-creating requests past `perWindow` in any `windowMs` (see the file comment). */
  limitContentCreation(limit: { perWindow: number; windowMs: number }): void {
    this.contentLimit = limit;
  }

  /** An open pull request from `head` into `base`, as a person (or an earlier run) opened it. */
  openPullRequest(slug: string, head: string, base: string, title = "A pull request"): number {
    const repo = this.repo(slug);
    const number = repo.pulls.length + 1;
    repo.pulls.push({ number, head, base, title, body: "", state: "open" });
    return number;
  }

  /** "METHOD path" of every request, in order. */
  sequence(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path}`);
  }

  head(slug: string, branch: string): string | undefined {
    return this.repo(slug).branches.get(branch);
  }

  commit(slug: string, sha: string): FakeCommit {
    const commit = this.repo(slug).commits.get(sha);
    if (!commit) throw new Error(`no commit ${sha} in ${slug}`);
    return commit;
  }

  /** The files of a branch's head: branch -> commit -> tree. */
  filesOf(slug: string, branch: string): Record<string, string> {
    const repo = this.repo(slug);
    const head = repo.branches.get(branch);
    if (head === undefined) throw new Error(`no branch ${branch} in ${slug}`);
    const tree = repo.trees.get(this.commit(slug, head).tree)!;
    return Object.fromEntries([...tree].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  /** Commits reachable from a branch's head, the head included. */
  commitCount(slug: string, branch: string): number {
    const head = this.head(slug, branch);
    return head === undefined ? 0 : this.ancestors(this.repo(slug), head).size;
  }

  private repo(slug: string): FakeRepository {
    const repo = this.repositories.get(slug);
    if (!repo) throw new Error(`no repository ${slug}`);
    return repo;
  }

  /** The content of a blob of the repository by its git blob sha (any tree holding it). */
  private blobContent(repo: FakeRepository, sha: string): string | undefined {
    for (const tree of repo.trees.values()) {
      for (const content of tree.values()) {
        const bytes = Buffer.from(content, "utf8");
        const id = createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
        if (id === sha) return content;
      }
    }
    return undefined;
  }

  private storeTree(repo: FakeRepository, entries: Map<string, string>): string {
    const sorted = new Map([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const sha = objectSha("tree", [...sorted]);
    repo.trees.set(sha, sorted);
    return sha;
  }

  private storeCommit(
    repo: FakeRepository,
    commit: Omit<FakeCommit, "author"> & { author: { name: string; email: string } },
  ): string {
    const date = new Date(EPOCH + 1000 * this.clock++).toISOString().replace(".000Z", "Z");
    const full: FakeCommit = { ...commit, author: { ...commit.author, date } };
    const sha = objectSha("commit", full);
    repo.commits.set(sha, full);
    return sha;
  }

  private ancestors(repo: FakeRepository, sha: string): Set<string> {
    const seen = new Set<string>();
    const todo = [sha];
    while (todo.length > 0) {
      const next = todo.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      todo.push(...(repo.commits.get(next)?.parents ?? []));
    }
    return seen;
  }

  protected route(
    method: string,
    path: string,
    body: Record<string, unknown> | undefined,
    query?: URLSearchParams,
  ): [number, unknown] {
    const notFound: [number, unknown] = [
      404,
      { message: "Not Found", documentation_url: "https://docs.github.com/rest" },
    ];
    let parts: string[];
    try {
      parts = path.split("/").filter(Boolean).map(decodeURIComponent);
    } catch {
      return notFound;
    }
    let repo: FakeRepository | undefined;
    let rest: string[];
    if (parts[0] === "repositories" && parts.length >= 2) {
      repo = [...this.repositories.values()].find((r) => String(r.id) === parts[1]);
      rest = parts.slice(2);
    } else if (parts[0] === "repos" && parts.length >= 3) {
      const slug = `${parts[1]}/${parts[2]}`;
      repo = this.repositories.get(slug);
      rest = parts.slice(3);
      const id = this.moved.get(slug);
      if (!repo && id !== undefined) {
        const tail = path.split("/").slice(4).join("/");
        const url = `${this.url}/repositories/${id}${tail ? `/${tail}` : ""}${query && [...query].length > 0 ? `?${query.toString()}` : ""}`;
        return [
          method === "GET" ? 301 : 307,
          {
            message: method === "GET" ? "Moved Permanently" : "Temporary Redirect",
            url,
            documentation_url: "https://docs.github.com/v3/#http-redirects",
          },
        ];
      }
    } else {
      return notFound;
    }
    if (!repo) return notFound;
    if (repo.hiddenFor > 0) {
      repo.hiddenFor--;
      return notFound;
    }
    const b = body ?? {};
    if (rest[0] === "pulls" && rest.length === 1) {
      if (method === "GET") return this.listPulls(repo, query ?? new URLSearchParams());
      if (method === "POST") return this.limited() ?? this.createPull(repo, b);
      return notFound;
    }
    if (rest[0] !== "git" || rest.length < 2) return notFound;
    if (repo.commits.size === 0) return [409, { message: "Git Repository is empty." }];
    const [kind, ...more] = rest.slice(1);
    if (method !== "GET") {
      const refused = this.limited();
      if (refused) return refused;
    }
    if (kind === "ref" && method === "GET" && more[0] === "heads" && more.length >= 2) {
      return this.readRef(repo, more.slice(1).join("/"));
    }
    if (kind === "commits" && method === "GET" && more.length === 1) {
      const commit = repo.commits.get(more[0]);
      return commit ? [200, commitView(more[0], commit)] : notFound;
    }
    if (kind === "trees" && method === "POST" && more.length === 0) return this.writeTree(repo, b);
    if (kind === "commits" && method === "POST" && more.length === 0) {
      return this.writeCommit(repo, b);
    }
    if (kind === "refs" && method === "POST" && more.length === 0) {
      if (this.refFailures > 0) {
        this.refFailures--;
        return [
          422,
          {
            message: "Reference update failed",
            documentation_url: "https://docs.github.com/rest/git/refs#create-a-reference",
          },
        ];
      }
      return this.createRef(repo, b);
    }
    if (kind === "refs" && method === "PATCH" && more[0] === "heads" && more.length >= 2) {
      return this.updateRef(repo, more.slice(1).join("/"), b);
    }
    return notFound;
  }

  /** A redirect answers with its target in `location` as well as in the body's `url`. */
  protected answerHeaders(status: number, payload: unknown): Record<string, string> {
    const url = (payload as { url?: unknown } | undefined)?.url;
    return [301, 302, 307, 308].includes(status) && typeof url === "string"
      ? { location: url }
      : {};
  }

  /** The secondary-limit 403 when this content-creating request is one too many; else counts it. */
  private limited(): [number, unknown] | undefined {
    if (!this.contentLimit) return undefined;
    const now = Date.now();
    const recent = this.contentCreations.filter((t) => now - t < this.contentLimit!.windowMs);
    if (recent.length >= this.contentLimit.perWindow) return [403, SECONDARY_LIMIT_BODY];
    this.contentCreations.push(now);
    return undefined;
  }

  private listPulls(repo: FakeRepository, query: URLSearchParams): [number, unknown] {
    const head = query.get("head");
    const base = query.get("base");
    const state = query.get("state") ?? "open";
    const found = repo.pulls.filter(
      (p) =>
        (head === null || `${repo.owner}:${p.head}` === head) &&
        (base === null || base === "" || p.base === base) &&
        (state === "all" || p.state === state),
    );
    return [200, found.map((p) => this.pullView(repo, p))];
  }

  private createPull(repo: FakeRepository, b: Record<string, unknown>): [number, unknown] {
    const head = String(b.head ?? "").replace(/^[^:]+:/, "");
    const base = String(b.base ?? "");
    const failed = (error: Record<string, unknown>): [number, unknown] => [
      422,
      {
        message: "Validation Failed",
        errors: [error],
        documentation_url: "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
      },
    ];
    if (!repo.branches.has(head))
      return failed({ resource: "PullRequest", field: "head", code: "invalid" });
    if (!repo.branches.has(base))
      return failed({ resource: "PullRequest", field: "base", code: "invalid" });
    if (repo.pulls.some((p) => p.state === "open" && p.head === head && p.base === base)) {
      return failed({
        resource: "PullRequest",
        code: "custom",
        message: `A pull request already exists for ${repo.owner}:${head}.`,
      });
    }
    const number = this.openPullRequest(
      `${repo.owner}/${repo.name}`,
      head,
      base,
      String(b.title ?? ""),
    );
    return [201, this.pullView(repo, repo.pulls[number - 1])];
  }

  private pullView(repo: FakeRepository, p: FakePullRequest): Record<string, unknown> {
    return {
      number: p.number,
      state: p.state,
      title: p.title,
      html_url: `https://github.com/${repo.owner}/${repo.name}/pull/${p.number}`,
      head: { ref: p.head, label: `${repo.owner}:${p.head}` },
      base: { ref: p.base, label: `${repo.owner}:${p.base}` },
    };
  }

  private readRef(repo: FakeRepository, branch: string): [number, unknown] {
    const sha = repo.branches.get(branch);
    if (sha === undefined) {
      return [404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" }];
    }
    return [200, refView(branch, sha)];
  }

  private writeTree(repo: FakeRepository, b: Record<string, unknown>): [number, unknown] {
    const entries = new Map<string, string>();
    if (b.base_tree !== undefined) {
      const base = typeof b.base_tree === "string" ? repo.trees.get(b.base_tree) : undefined;
      if (!base) return [422, { message: "Invalid tree info" }];
      for (const [p, c] of base) entries.set(p, c);
    }
    if (!Array.isArray(b.tree))
      return [422, { message: 'Invalid request.\n\n"tree" wasn\'t supplied.' }];
    for (const raw of b.tree as unknown[]) {
      const e = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
      const path = e.path;
      if (
        typeof path !== "string" ||
        path.split("/").some((s) => s === "" || s === "." || s === ".." || s === ".git")
      ) {
        return [422, { message: "tree.path contains a malformed path component" }];
      }
      // Either content or the sha of a blob the repository holds ("Create a tree": "Use either
      // tree.sha or content ... Using both tree.sha and content will return an error").
      const byBlob = typeof e.sha === "string" ? this.blobContent(repo, e.sha) : undefined;
      const content = typeof e.content === "string" && e.sha === undefined ? e.content : byBlob;
      if (e.mode !== "100644" || e.type !== "blob" || content === undefined) {
        return [422, { message: "Invalid tree info" }];
      }
      // A file replaces a directory of the same name and the files under it, as in git.
      for (const existing of [...entries.keys()]) {
        if (existing.startsWith(`${path}/`) || path.startsWith(`${existing}/`)) {
          entries.delete(existing);
        }
      }
      entries.set(path, content);
    }
    const sha = this.storeTree(repo, entries);
    return [
      201,
      {
        sha,
        url: `${this.url}/repos/${repo.owner}/${repo.name}/git/trees/${sha}`,
        tree: [...repo.trees.get(sha)!.keys()].map((p) => ({
          path: p,
          mode: "100644",
          type: "blob",
          sha: objectSha("blob", repo.trees.get(sha)!.get(p)),
        })),
        truncated: false,
      },
    ];
  }

  private writeCommit(repo: FakeRepository, b: Record<string, unknown>): [number, unknown] {
    if (typeof b.message !== "string") {
      return [422, { message: 'Invalid request.\n\n"message" wasn\'t supplied.' }];
    }
    if (typeof b.tree !== "string" || !repo.trees.has(b.tree)) {
      return [422, { message: "Tree SHA does not exist" }];
    }
    const parents = b.parents ?? [];
    if (
      !Array.isArray(parents) ||
      parents.some((p) => typeof p !== "string" || !repo.commits.has(p))
    ) {
      return [422, { message: "Parent SHA does not exist or is not a commit object" }];
    }
    const a = (typeof b.author === "object" && b.author !== null ? b.author : {}) as Record<
      string,
      unknown
    >;
    const sha = this.storeCommit(repo, {
      tree: b.tree,
      parents: parents as string[],
      message: b.message,
      author: { name: String(a.name ?? "unknown"), email: String(a.email ?? "unknown") },
    });
    return [201, commitView(sha, repo.commits.get(sha)!)];
  }

  private createRef(repo: FakeRepository, b: Record<string, unknown>): [number, unknown] {
    const ref = b.ref;
    if (typeof ref !== "string" || !/^refs\/heads\/.+/.test(ref)) {
      return [422, { message: `${String(ref)} is not a valid ref name.` }];
    }
    if (typeof b.sha !== "string" || !repo.commits.has(b.sha)) {
      return [422, { message: "Object does not exist" }];
    }
    const branch = ref.slice("refs/heads/".length);
    if (repo.branches.has(branch)) return [422, { message: "Reference already exists" }];
    repo.branches.set(branch, b.sha);
    return [201, refView(branch, b.sha)];
  }

  private updateRef(
    repo: FakeRepository,
    branch: string,
    b: Record<string, unknown>,
  ): [number, unknown] {
    const current = repo.branches.get(branch);
    if (current === undefined) return [422, { message: "Reference does not exist" }];
    if (typeof b.sha !== "string" || !repo.commits.has(b.sha)) {
      return [422, { message: "Object does not exist" }];
    }
    if (b.force !== true && !this.ancestors(repo, b.sha).has(current)) {
      return [422, { message: "Update is not a fast forward" }];
    }
    repo.branches.set(branch, b.sha);
    return [200, refView(branch, b.sha)];
  }
}

function refView(branch: string, sha: string): Record<string, unknown> {
  return {
    ref: `refs/heads/${branch}`,
    node_id: `REF_${sha.slice(0, 12)}`,
    object: { type: "commit", sha },
  };
}

function commitView(sha: string, commit: FakeCommit): Record<string, unknown> {
  return {
    sha,
    node_id: `C_${sha.slice(0, 12)}`,
    author: commit.author,
    committer: commit.author,
    message: commit.message,
    tree: { sha: commit.tree },
    parents: commit.parents.map((p) => ({ sha: p })),
    verification: { verified: false, reason: "unsigned" },
  };
}
