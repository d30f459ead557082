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
import { FakeJsonApi } from "../helpers/fake-json-api";

export type { Fault, LoggedRequest } from "../helpers/fake-json-api";

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

const SECRET_NAME = /^[a-zA-Z0-9_.-]+$/;

export class FakeDroneServer extends FakeJsonApi {
  readonly repositories = new Map<string, FakeRepository>();
  /** Secrets per repository slug. */
  readonly repoSecrets = new Map<string, Map<string, FakeSecret>>();
  /** Secrets per organisation. */
  readonly orgSecrets = new Map<string, Map<string, FakeSecret>>();
  /** Whether the token is a Drone admin's: a non-admin's timeout changes are ignored, as Drone does. */
  tokenIsAdmin = true;

  private constructor(token: string) {
    super(token, { message: "Unauthorized" }, true);
  }

  static async start(token: string): Promise<FakeDroneServer> {
    const fake = new FakeDroneServer(token);
    await fake.listen();
    return fake;
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

  secretsOf(slug: string): Map<string, FakeSecret> {
    return this.repoSecrets.get(slug) ?? new Map();
  }

  protected route(
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
