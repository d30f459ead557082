/**
 * Test fixture: a local HTTP server on 127.0.0.1 speaking the subset of GitHub's Git data API the
 * commit provider uses (refs, commits, trees with inline content), with GitHub's statuses and
 * messages: 401 "Bad credentials", 404 "Not Found", 409 "Git Repository is empty.", 422 "Update is
 * not a fast forward" / "Reference already exists". Objects are content-addressed (sha1 of a
 * canonical JSON), so equal trees have equal shas. Logs every request (never the token) and can
 * inject faults (a status, with headers, for N matching requests) and concurrent pushes. Not part
 * of the product.
 */
import { createHash } from "crypto";
import * as http from "http";
import { AddressInfo } from "net";

interface Commit {
  tree: string;
  parents: string[];
  message: string;
  author: { name: string; email: string };
}

interface Repo {
  branches: Map<string, string>;
  /** Requests still answered 404, as for a repository GitHub has not finished creating. */
  hiddenFor: number;
}

export interface Logged {
  method: string;
  path: string;
  body: Record<string, unknown> | undefined;
  authorized: boolean;
  status: number;
}

export interface GitFault {
  method?: string;
  /** Only paths containing this. */
  pathIncludes?: string;
  count: number;
  status: number;
  message?: string;
  headers?: Record<string, string>;
}

function sha(value: unknown): string {
  return createHash("sha1").update(JSON.stringify(value)).digest("hex");
}

export class FakeGitServer {
  readonly requests: Logged[] = [];
  readonly trees = new Map<string, Record<string, string>>();
  readonly commits = new Map<string, Commit>();
  readonly repos = new Map<string, Repo>();
  private readonly faults: GitFault[] = [];
  /** Runs before a matching request is served (e.g. another push to the branch). */
  private readonly hooks: {
    method: string;
    pathIncludes: string;
    run: () => void;
    count: number;
  }[] = [];
  private server!: http.Server;
  url = "";

  private constructor(private readonly token: string) {}

  static async start(token: string): Promise<FakeGitServer> {
    const fake = new FakeGitServer(token);
    fake.server = http.createServer((req, res) => fake.handle(req, res));
    await new Promise<void>((resolve) => fake.server.listen(0, "127.0.0.1", resolve));
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  reset(): void {
    this.requests.length = 0;
    this.faults.length = 0;
    this.hooks.length = 0;
    this.repos.clear();
  }

  /** A commit of `files` on top of `parents`; returns its sha. */
  commit(files: Record<string, string>, parents: string[], message = "commit"): string {
    const treeSha = sha(["tree", files]);
    this.trees.set(treeSha, { ...files });
    const commit: Commit = { tree: treeSha, parents, message, author: { name: "x", email: "x@y" } };
    const commitSha = sha(["commit", commit]);
    this.commits.set(commitSha, commit);
    return commitSha;
  }

  /** A repository: empty (no branch), or with an initial commit of `initial` on main. */
  addRepository(slug: string, initial?: Record<string, string>, hiddenFor = 0): void {
    const branches = new Map<string, string>();
    if (initial) branches.set("main", this.commit(initial, [], "Initial commit"));
    this.repos.set(slug, { branches, hiddenFor });
  }

  /** Another push: one more commit on `branch` with `files` added. */
  push(slug: string, branch: string, files: Record<string, string>): string {
    const repo = this.repos.get(slug)!;
    const head = repo.branches.get(branch)!;
    const next = this.commit({ ...this.filesAt(head), ...files }, [head], "someone else");
    repo.branches.set(branch, next);
    return next;
  }

  head(slug: string, branch: string): string | undefined {
    return this.repos.get(slug)?.branches.get(branch);
  }

  filesAt(commitSha: string): Record<string, string> {
    return { ...this.trees.get(this.commits.get(commitSha)!.tree)! };
  }

  /** Files on a branch (branch -> commit -> tree). */
  files(slug: string, branch: string): Record<string, string> {
    return this.filesAt(this.head(slug, branch)!);
  }

  /** Commits reachable from a branch's head along first parents. */
  history(slug: string, branch: string): Commit[] {
    const out: Commit[] = [];
    for (let at = this.head(slug, branch); at; at = this.commits.get(at)!.parents[0]) {
      out.push(this.commits.get(at)!);
    }
    return out;
  }

  fault(fault: GitFault): void {
    this.faults.push({ ...fault });
  }

  before(method: string, pathIncludes: string, run: () => void, count = 1): void {
    this.hooks.push({ method, pathIncludes, run, count });
  }

  /** "METHOD path" of every request, in order. */
  calls(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path}`);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
      const method = req.method ?? "";
      const path = req.url ?? "";
      const entry: Logged = {
        method,
        path,
        body,
        authorized: req.headers.authorization === `Bearer ${this.token}`,
        status: -1,
      };
      this.requests.push(entry);
      const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
        entry.status = status;
        res.writeHead(status, { "Content-Type": "application/json", ...headers });
        res.end(JSON.stringify(payload));
      };
      if (!entry.authorized) return send(401, { message: "Bad credentials" });
      const fault = this.faults.find(
        (f) =>
          f.count > 0 &&
          (f.method === undefined || f.method === method) &&
          (f.pathIncludes === undefined || path.includes(f.pathIncludes)),
      );
      if (fault) {
        fault.count--;
        return send(fault.status, { message: fault.message ?? "fault" }, fault.headers);
      }
      for (const hook of this.hooks) {
        if (hook.count > 0 && hook.method === method && path.includes(hook.pathIncludes)) {
          hook.count--;
          hook.run();
        }
      }
      const [status, payload] = this.route(method, path, body);
      send(status, payload);
    });
  }

  private route(
    method: string,
    path: string,
    body: Record<string, unknown> | undefined,
  ): [number, unknown] {
    const m = /^\/repos\/([^/]+)\/([^/]+)\/git\/(.*)$/.exec(path);
    if (!m) return [404, { message: "Not Found" }];
    const slug = `${decodeURIComponent(m[1])}/${decodeURIComponent(m[2])}`;
    const rest = m[3];
    const repo = this.repos.get(slug);
    if (!repo) return [404, { message: "Not Found" }];
    if (repo.hiddenFor > 0) {
      repo.hiddenFor--;
      return [404, { message: "Not Found" }];
    }
    const refPrefix = method === "GET" ? "ref/heads/" : "refs/heads/";
    if ((method === "GET" || method === "PATCH") && rest.startsWith(refPrefix)) {
      const branch = rest.slice(refPrefix.length).split("/").map(decodeURIComponent).join("/");
      if (repo.branches.size === 0) return [409, { message: "Git Repository is empty." }];
      const head = repo.branches.get(branch);
      if (!head) return [404, { message: "Not Found" }];
      if (method === "GET")
        return [200, { ref: `refs/heads/${branch}`, object: { sha: head, type: "commit" } }];
      const target = String(body?.sha);
      if (!this.commits.has(target)) return [422, { message: "Object does not exist" }];
      if (body?.force !== true && !this.descends(target, head)) {
        return [422, { message: "Update is not a fast forward" }];
      }
      repo.branches.set(branch, target);
      return [200, { ref: `refs/heads/${branch}`, object: { sha: target, type: "commit" } }];
    }
    if (method === "POST" && rest === "refs") {
      const ref = String(body?.ref);
      const target = String(body?.sha);
      if (!ref.startsWith("refs/heads/")) return [422, { message: "Reference name is invalid" }];
      const branch = ref.slice("refs/heads/".length);
      if (repo.branches.has(branch)) return [422, { message: "Reference already exists" }];
      if (!this.commits.has(target)) return [422, { message: "Object does not exist" }];
      repo.branches.set(branch, target);
      return [201, { ref, object: { sha: target, type: "commit" } }];
    }
    if (method === "GET" && rest.startsWith("commits/")) {
      const commit = this.commits.get(rest.slice("commits/".length));
      if (!commit) return [404, { message: "Not Found" }];
      return [
        200,
        {
          sha: rest.slice("commits/".length),
          tree: { sha: commit.tree },
          parents: commit.parents.map((p) => ({ sha: p })),
          message: commit.message,
        },
      ];
    }
    if (method === "POST" && rest === "trees") {
      const base = body?.base_tree === undefined ? {} : this.trees.get(String(body.base_tree));
      if (!base) return [422, { message: "Invalid tree info" }];
      const files = { ...base };
      for (const entry of (body?.tree ?? []) as Record<string, unknown>[]) {
        if (entry.mode !== "100644" || entry.type !== "blob" || typeof entry.content !== "string") {
          return [422, { message: "Invalid tree info" }];
        }
        files[String(entry.path)] = entry.content;
      }
      const treeSha = sha(["tree", files]);
      this.trees.set(treeSha, files);
      return [201, { sha: treeSha }];
    }
    if (method === "POST" && rest === "commits") {
      const tree = String(body?.tree);
      const parents = (body?.parents ?? []) as string[];
      if (!this.trees.has(tree) || parents.some((p) => !this.commits.has(p))) {
        return [422, { message: "Tree SHA does not exist" }];
      }
      const commit: Commit = {
        tree,
        parents,
        message: String(body?.message),
        author: body?.author as Commit["author"],
      };
      const commitSha = sha(["commit", commit]);
      this.commits.set(commitSha, commit);
      return [201, { sha: commitSha, tree: { sha: tree } }];
    }
    return [404, { message: "Not Found" }];
  }

  private descends(commit: string, ancestor: string): boolean {
    const queue = [commit];
    while (queue.length > 0) {
      const at = queue.pop()!;
      if (at === ancestor) return true;
      queue.push(...(this.commits.get(at)?.parents ?? []));
    }
    return false;
  }
}
