/**
 * Test fixture: a local HTTP server speaking the subset of Drone's REST API the Drone providers
 * use, on 127.0.0.1 with an ephemeral port. It keeps repositories and secrets in memory, logs
 * every request, and can inject faults (transient statuses, slow answers). Not part of the
 * product.
 *
 * Behaviour copied from Drone: repositories unknown until the repository list is synced
 * (POST /api/user/repos) answer 404; a duplicate secret create answers 500; PATCH is partial
 * (absent fields keep their values); responses never carry a secret's `data`; errors are
 * `{"message": ...}`; a wrong or missing bearer token is a 401.
 */
import * as http from "http";
import { AddressInfo } from "net";

export interface FakeRepository {
  namespace: string;
  name: string;
  /** Drone has synced it from GitHub (until then the API answers 404). */
  synced: boolean;
  active: boolean;
  config_path: string;
  protected: boolean;
  trusted: boolean;
  ignore_forks: boolean;
  ignore_pull_requests: boolean;
  auto_cancel_pull_requests: boolean;
  auto_cancel_pushes: boolean;
  timeout: number;
}

export interface FakeSecret {
  name: string;
  data: string;
  pull_request: boolean;
  pull_request_push: boolean;
}

export interface LoggedRequest {
  method: string;
  path: string;
  /** Parsed JSON body (undefined when none). */
  body: Record<string, unknown> | undefined;
  /** Whether the bearer token matched (the token itself is not kept). */
  authorized: boolean;
  /** Status the server answered; -1 while a delayed answer is pending. */
  status: number;
}

export interface Fault {
  /** Only requests with this method (any when unset). */
  method?: string;
  /** Only requests whose path starts with this (any when unset). */
  pathPrefix?: string;
  /** How many matching requests it applies to. */
  count: number;
  /** Answer with this status instead of serving the request... */
  status?: number;
  /** With `status`: serve the request first (its effect happens), then answer with `status`. */
  afterServing?: boolean;
  /** With `status`: the `message` of the error body. Defaults to the status text. */
  message?: string;
  /** Serve the request (or answer the status) only after this delay, in milliseconds. */
  delayMs?: number;
}

const SECRET_NAME = /^[a-zA-Z0-9_.-]+$/;

export class FakeDroneServer {
  readonly requests: LoggedRequest[] = [];
  readonly repositories = new Map<string, FakeRepository>();
  /** Secrets per repository slug. */
  readonly repoSecrets = new Map<string, Map<string, FakeSecret>>();
  /** Secrets per organisation. */
  readonly orgSecrets = new Map<string, Map<string, FakeSecret>>();
  /** Whether the token is a Drone admin's: a non-admin's timeout changes are ignored, as Drone does. */
  tokenIsAdmin = true;
  private readonly faults: Fault[] = [];
  private readonly pending = new Set<NodeJS.Timeout>();
  private server!: http.Server;
  url = "";

  private constructor(private readonly token: string) {}

  static async start(token: string): Promise<FakeDroneServer> {
    const fake = new FakeDroneServer(token);
    fake.server = http.createServer((req, res) => fake.handle(req, res));
    await new Promise<void>((resolve) => fake.server.listen(0, "127.0.0.1", resolve));
    const { port } = fake.server.address() as AddressInfo;
    fake.url = `http://127.0.0.1:${port}`;
    return fake;
  }

  async stop(): Promise<void> {
    for (const t of this.pending) clearTimeout(t);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** A repository that exists on GitHub; `synced: false` = Drone does not know it yet. */
  addRepository(
    slug: string,
    options: { synced?: boolean; active?: boolean } = {},
  ): FakeRepository {
    const [namespace, name] = slug.split("/");
    const repo: FakeRepository = {
      namespace,
      name,
      synced: options.synced ?? true,
      active: options.active ?? false,
      config_path: ".drone.yml",
      protected: false,
      trusted: false,
      ignore_forks: false,
      ignore_pull_requests: false,
      auto_cancel_pull_requests: false,
      auto_cancel_pushes: false,
      timeout: 60,
    };
    this.repositories.set(slug, repo);
    return repo;
  }

  /** Injects a fault for the next `count` matching requests. */
  inject(fault: Fault): void {
    this.faults.push({ ...fault });
  }

  /** Requests whose method and path match. */
  calls(method: string, path: string): LoggedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path === path);
  }

  secretsOf(slug: string): Map<string, FakeSecret> {
    return this.repoSecrets.get(slug) ?? new Map();
  }

  private takeFault(method: string, path: string): Fault | undefined {
    const fault = this.faults.find(
      (f) =>
        f.count > 0 &&
        (f.method === undefined || f.method === method) &&
        (f.pathPrefix === undefined || path.startsWith(f.pathPrefix)),
    );
    if (fault) fault.count--;
    return fault;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      let body: Record<string, unknown> | undefined;
      try {
        body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
      } catch {
        body = undefined;
      }
      const method = req.method ?? "GET";
      const path = decodeURI((req.url ?? "/").split("?")[0]);
      const authorized = req.headers.authorization === `Bearer ${this.token}`;
      const entry: LoggedRequest = { method, path, body, authorized, status: 0 };
      this.requests.push(entry);
      const send = (status: number, payload: unknown) => {
        entry.status = status;
        if (res.destroyed) return;
        const out = payload === undefined ? "" : JSON.stringify(payload);
        res.writeHead(status, { "Content-Type": "application/json" });
        res.end(out);
      };
      const fault = this.takeFault(method, path);
      const serve = () => {
        if (fault?.status !== undefined) {
          if (fault.afterServing && authorized) this.route(method, path, body);
          send(fault.status, {
            message: fault.message ?? http.STATUS_CODES[fault.status] ?? "error",
          });
        } else if (!authorized) {
          send(401, { message: "Unauthorized" });
        } else {
          const [status, payload] = this.route(method, path, body);
          send(status, payload);
        }
      };
      if (fault?.delayMs) {
        entry.status = -1;
        const t = setTimeout(() => {
          this.pending.delete(t);
          serve();
        }, fault.delayMs);
        this.pending.add(t);
      } else {
        serve();
      }
    });
  }

  private route(
    method: string,
    path: string,
    body: Record<string, unknown> | undefined,
  ): [number, unknown] {
    const parts = path.split("/").filter(Boolean);
    const notFound: [number, unknown] = [404, { message: "Not Found" }];
    if (parts[0] !== "api") return notFound;
    const rest = parts.slice(1);
    if (rest[0] === "user" && rest[1] === "repos" && rest.length === 2 && method === "POST") {
      for (const repo of this.repositories.values()) repo.synced = true;
      return [200, [...this.repositories.values()].map((r) => this.repoView(r))];
    }
    if (rest[0] === "repos" && rest.length >= 3) {
      const slug = `${rest[1]}/${rest[2]}`;
      const repo = this.repositories.get(slug);
      if (!repo || !repo.synced) return notFound;
      if (rest.length === 3) return this.repoRoute(method, repo, body);
      if (rest[3] === "secrets") {
        const store = this.repoSecrets.get(slug) ?? new Map<string, FakeSecret>();
        this.repoSecrets.set(slug, store);
        return this.secretRoute(method, store, rest[4], rest.length, 4, body);
      }
      return notFound;
    }
    if (rest[0] === "secrets" && rest.length >= 2) {
      const store = this.orgSecrets.get(rest[1]) ?? new Map<string, FakeSecret>();
      this.orgSecrets.set(rest[1], store);
      return this.secretRoute(method, store, rest[2], rest.length, 2, body);
    }
    return notFound;
  }

  private repoRoute(
    method: string,
    repo: FakeRepository,
    body: Record<string, unknown> | undefined,
  ): [number, unknown] {
    switch (method) {
      case "GET":
        return [200, this.repoView(repo)];
      case "POST":
        repo.active = true;
        return [200, this.repoView(repo)];
      case "DELETE":
        repo.active = false;
        return [200, this.repoView(repo)];
      case "PATCH": {
        const b = body ?? {};
        if (typeof b.config_path === "string") repo.config_path = b.config_path;
        for (const flag of [
          "protected",
          "ignore_forks",
          "ignore_pull_requests",
          "auto_cancel_pull_requests",
          "auto_cancel_pushes",
        ] as const) {
          if (typeof b[flag] === "boolean") repo[flag] = b[flag] as boolean;
        }
        if (typeof b.timeout === "number" && this.tokenIsAdmin) repo.timeout = b.timeout;
        return [200, this.repoView(repo)];
      }
      default:
        return [405, { message: "Method Not Allowed" }];
    }
  }

  private secretRoute(
    method: string,
    store: Map<string, FakeSecret>,
    name: string | undefined,
    length: number,
    collectionLength: number,
    body: Record<string, unknown> | undefined,
  ): [number, unknown] {
    const b = body ?? {};
    if (length === collectionLength) {
      if (method === "GET") return [200, [...store.values()].map(secretView)];
      if (method !== "POST") return [405, { message: "Method Not Allowed" }];
      const secretName = b.name;
      if (typeof secretName !== "string" || !SECRET_NAME.test(secretName)) {
        return [400, { message: "Invalid Secret Name" }];
      }
      if (typeof b.data !== "string" || b.data === "") {
        return [400, { message: "Invalid Secret Value" }];
      }
      // Drone's store refuses the duplicate with a database error, answered as a 500.
      if (store.has(secretName)) return [500, { message: "UNIQUE constraint failed" }];
      const secret: FakeSecret = {
        name: secretName,
        data: b.data,
        pull_request: b.pull_request === true,
        pull_request_push: b.pull_request_push === true,
      };
      store.set(secretName, secret);
      return [200, secretView(secret)];
    }
    if (length !== collectionLength + 1 || name === undefined) {
      return [404, { message: "Not Found" }];
    }
    const secret = store.get(name);
    if (!secret) return [404, { message: "Not Found" }];
    switch (method) {
      case "GET":
        return [200, secretView(secret)];
      case "PATCH":
        if (typeof b.data === "string") secret.data = b.data;
        if (typeof b.pull_request === "boolean") secret.pull_request = b.pull_request;
        if (typeof b.pull_request_push === "boolean")
          secret.pull_request_push = b.pull_request_push;
        return [200, secretView(secret)];
      case "DELETE":
        store.delete(name);
        return [204, undefined];
      default:
        return [405, { message: "Method Not Allowed" }];
    }
  }

  private repoView(repo: FakeRepository): Record<string, unknown> {
    const view: Record<string, unknown> = { ...repo };
    delete view.synced;
    return { ...view, slug: `${repo.namespace}/${repo.name}`, scm: "git" };
  }
}

/** What Drone answers for a secret: never its data. */
function secretView(secret: FakeSecret): Record<string, unknown> {
  return {
    name: secret.name,
    pull_request: secret.pull_request,
    pull_request_push: secret.pull_request_push,
  };
}
