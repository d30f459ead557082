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
 * - PATCH of a ref with `force: false` to a commit that does not descend from the ref's head is a
 *   422 "Update is not a fast forward"; POST of a ref that exists is a 422 "Reference already
 *   exists"; unknown objects are 422s;
 * - branch names may hold slashes (refs/heads/platform/template-sync-abc123).
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

export interface FakeRepository {
  owner: string;
  name: string;
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

export class FakeGitHubServer extends FakeJsonApi {
  readonly repositories = new Map<string, FakeRepository>();
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
      owner,
      name,
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
    if (parts[0] !== "repos" || parts.length < 5 || parts[3] !== "git") return notFound;
    const repo = this.repositories.get(`${parts[1]}/${parts[2]}`);
    if (!repo) return notFound;
    if (repo.hiddenFor > 0) {
      repo.hiddenFor--;
      return notFound;
    }
    if (repo.commits.size === 0) return [409, { message: "Git Repository is empty." }];
    const [kind, ...rest] = parts.slice(4);
    const b = body ?? {};
    if (kind === "ref" && method === "GET" && rest[0] === "heads" && rest.length >= 2) {
      return this.readRef(repo, rest.slice(1).join("/"));
    }
    if (kind === "commits" && method === "GET" && rest.length === 1) {
      const commit = repo.commits.get(rest[0]);
      return commit ? [200, commitView(rest[0], commit)] : notFound;
    }
    if (kind === "trees" && method === "POST" && rest.length === 0) return this.writeTree(repo, b);
    if (kind === "commits" && method === "POST" && rest.length === 0) {
      return this.writeCommit(repo, b);
    }
    if (kind === "refs" && method === "POST" && rest.length === 0) return this.createRef(repo, b);
    if (kind === "refs" && method === "PATCH" && rest[0] === "heads" && rest.length >= 2) {
      return this.updateRef(repo, rest.slice(1).join("/"), b);
    }
    return notFound;
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
      if (e.mode !== "100644" || e.type !== "blob" || typeof e.content !== "string") {
        return [422, { message: "Invalid tree info" }];
      }
      // A file replaces a directory of the same name and the files under it, as in git.
      for (const existing of [...entries.keys()]) {
        if (existing.startsWith(`${path}/`) || path.startsWith(`${existing}/`)) {
          entries.delete(existing);
        }
      }
      entries.set(path, e.content);
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
