/**
 * Test fixture: a local HTTP server speaking the subset of Drone's REST API the Drone providers
 * use, on 127.0.0.1 with an ephemeral port. It keeps repositories and secrets in memory, logs
 * every request, and can inject faults (transient statuses, slow answers). Not part of the
 * product.
 *
 * Behaviour copied from Drone (drone/drone v2.0.4; the same code lives on in harness/harness),
 * each rule citing the code it copies:
 * - errors are `{"message": ...}` (handler/api/render/render.go ErrorCode); a wrong or missing
 *   bearer token makes the request a guest's, which the routes used here answer with 401
 *   "Unauthorized" (handler/api/auth/auth.go, handler/api/acl/*.go);
 * - access (`aclRepository`): a repository Drone does not know, or has not synced, is a 404 "Not
 *   Found" (acl/repo.go InjectRepository); a Drone administrator passes every check ("root access
 *   granted"); otherwise a route needs read, write or admin permission and a missing one is the
 *   same 404 "Not Found" (acl/check.go CheckAccess: "read/write/admin access required"), an
 *   inactive user a 403; which route needs what is handler/api/api.go: read for the repository,
 *   admin for activating, changing and deactivating it, write for its secrets and /sign;
 * - organisation secrets (`aclOrganisation`): a non-member, or a non-admin of the organisation
 *   for a write, gets a 401 whose message is "Not Found" (acl/org.go CheckMembership);
 * - the open-source build (`openSourceBuild`) answers every secrets route with 501 "Not
 *   Implemented" once access is checked (handler/api/repos/secrets/none.go,
 *   handler/api/secrets/none.go);
 * - activation (POST /api/repos/{o}/{n}) creates the webhook first: a failure is a 500 carrying
 *   GitHub's text (`webhookError`; handler/api/repos/enable.go HandleEnable); it also generates
 *   the repository's signing secret (`secret`, 32 characters) and sets the timeout to 60 when 0;
 * - PATCH is partial (absent fields keep their values), and trusted and timeout change only for a
 *   Drone administrator (handler/api/repos/update.go "system administrator only");
 * - the repository list sync (POST /api/user/repos) is synchronous and runs on the request's
 *   context, so a client that goes away cancels it; with `?async=true` it answers 204 and runs in
 *   the background, `GET /api/user` showing `syncing` until it ends and `synced` (Unix seconds)
 *   when it did (handler/api/user/sync.go HandleSync; service/syncer/syncer.go Sync). A sync marks
 *   every repository known to GitHub as synced and records the user's GitHub permissions on it;
 *   `GET /api/user/repos` lists the repositories the user has a permission record for
 *   (handler/api/user/repos.go; store/repos/repos.go queryPerms);
 * - a secret: an empty name or one outside [a-zA-Z0-9-_.] is a 400 "Invalid Secret Name", an
 *   empty value a 400 "Invalid Secret Value", on create and on update (core/secret.go Validate,
 *   called by handler/api/repos/secrets/create.go and update.go); a duplicate create is a 500 (the
 *   store's unique constraint); a missing secret is a 404 whose message is the store's error,
 *   "sql: no rows in result set" (find.go, update.go, delete.go render it), not the access
 *   check's "Not Found"; answers never carry a secret's `data` (core/secret.go Copy);
 * - a webhook build (`hook`): Drone ignores a hook for an inactive repository
 *   (handler/web/hook.go); a pull request is skipped when the repository ignores pull requests or
 *   comes from a fork it ignores; a protected repository's hook build is blocked unless its
 *   pipeline file carries a valid signature (trigger/trigger.go Trigger, with
 *   drone/drone-yaml yaml/signer/signer.go Verify: HMAC-SHA256 under the repository's secret of
 *   every document but the signature); POST /api/repos/{o}/{n}/sign signs (handler/api/repos/
 *   sign/sign.go with signer.Sign);
 * - which secrets a build gets (`secretsForBuild`): all of the repository's and its
 *   organisation's, except those without pull_request for a build of event pull_request;
 *   pull_request_push is never consulted (operator/manager/manager.go Manager.Details).
 */
import * as crypto from "crypto";
import { DeferredAnswer, FakeJsonApi } from "../helpers/fake-json-api";

export type { Fault, LoggedRequest } from "../helpers/fake-json-api";

/** A user's permissions on a repository (drone/drone core/perm.go). */
export interface FakePermissions {
  read: boolean;
  write: boolean;
  admin: boolean;
}

export interface FakeRepository {
  namespace: string;
  name: string;
  /** Drone has synced it from GitHub (until then the API answers 404). */
  synced: boolean;
  active: boolean;
  config_path: string;
  protected: boolean;
  trusted: boolean;
  visibility: "private" | "internal" | "public";
  ignore_forks: boolean;
  ignore_pull_requests: boolean;
  auto_cancel_pull_requests: boolean;
  auto_cancel_pushes: boolean;
  timeout: number;
  /** What GitHub grants the token's user; recorded in Drone by a sync. */
  githubPermissions: FakePermissions;
  /** Drone's permission record of the token's user (undefined: none, e.g. never synced). */
  permissions?: FakePermissions;
  /** Key of the pipeline signatures, generated on activation (core/repo.go `Secret`, never shown). */
  secret: string;
  /** When set, creating the webhook fails with this GitHub text (activation answers 500). */
  webhookError?: string;
}

export interface FakeSecret {
  name: string;
  data: string;
  pull_request: boolean;
  pull_request_push: boolean;
}

/** The token's user (core/user.go). */
export interface FakeUser {
  login: string;
  admin: boolean;
  active: boolean;
  syncing: boolean;
  synced: number;
}

/** A webhook as Drone's trigger sees it (core/hook.go). */
export interface FakeHook {
  event: "push" | "pull_request" | "tag" | "promote" | "cron" | "custom";
  /** The pipeline file at the commit. */
  config: string;
  /** "owner/name" the pull request comes from; the repository itself unless from a fork. */
  fork?: string;
  /** "@hook" for a webhook (default), "@cron" for a cron job, a login for a manual build. */
  trigger?: string;
}

const FULL: FakePermissions = { read: true, write: true, admin: true };
const SECRET_NAME = /^[a-zA-Z0-9_.-]+$/;
const NOT_FOUND: [number, unknown] = [404, { message: "Not Found" }];
/** database/sql's ErrNoRows, as the secrets handlers render a missing secret. */
const NO_ROWS: [number, unknown] = [404, { message: "sql: no rows in result set" }];

export class FakeDroneServer extends FakeJsonApi {
  readonly repositories = new Map<string, FakeRepository>();
  /** Secrets per repository slug. */
  readonly repoSecrets = new Map<string, Map<string, FakeSecret>>();
  /** Secrets per organisation. */
  readonly orgSecrets = new Map<string, Map<string, FakeSecret>>();
  /** The token's user: a Drone administrator unless a test says otherwise. */
  readonly user: FakeUser = {
    login: "mlplatform-bot",
    admin: true,
    active: true,
    syncing: false,
    synced: 0,
  };
  /** GitHub organisation membership of the token's user; an organisation not listed: member and admin. */
  readonly organisations = new Map<string, { member: boolean; admin: boolean }>();
  /** The open-source build: no secrets routes (501). */
  openSourceBuild = false;
  /** How long a repository-list sync takes, in milliseconds (0: over when its answer is sent). */
  syncDurationMs = 0;

  private constructor(token: string) {
    super(token, { message: "Unauthorized" }, true);
  }

  static async start(token: string): Promise<FakeDroneServer> {
    const fake = new FakeDroneServer(token);
    await fake.listen();
    return fake;
  }

  /** Whether the token is a Drone admin's: a non-admin's timeout and trusted changes are ignored. */
  get tokenIsAdmin(): boolean {
    return this.user.admin;
  }

  set tokenIsAdmin(admin: boolean) {
    this.user.admin = admin;
  }

  /**
   * A repository that exists on GitHub; `synced: false` = Drone does not know it yet.
   * `permissions` is what GitHub grants the token's user (recorded by Drone once synced).
   */
  addRepository(
    slug: string,
    options: {
      synced?: boolean;
      active?: boolean;
      permissions?: FakePermissions;
      visibility?: FakeRepository["visibility"];
      trusted?: boolean;
    } = {},
  ): FakeRepository {
    const [namespace, name] = slug.split("/");
    const synced = options.synced ?? true;
    const githubPermissions = { ...(options.permissions ?? FULL) };
    const repo: FakeRepository = {
      namespace,
      name,
      synced,
      active: options.active ?? false,
      config_path: ".drone.yml",
      protected: false,
      trusted: options.trusted ?? false,
      visibility: options.visibility ?? "private",
      ignore_forks: false,
      ignore_pull_requests: false,
      auto_cancel_pull_requests: false,
      auto_cancel_pushes: false,
      timeout: 60,
      githubPermissions,
      permissions: synced ? { ...githubPermissions } : undefined,
      secret: options.active ? randomKey() : "",
    };
    this.repositories.set(slug, repo);
    return repo;
  }

  secretsOf(slug: string): Map<string, FakeSecret> {
    return this.repoSecrets.get(slug) ?? new Map();
  }

  /**
   * What Drone does with a webhook for `slug` (handler/web/hook.go, trigger/trigger.go Trigger):
   * "ignored" (inactive), "skipped" (pull requests or forks ignored), "blocked" (protected and not
   * verified) or "pending".
   */
  hook(slug: string, hook: FakeHook): "ignored" | "skipped" | "blocked" | "pending" {
    const repo = this.repositories.get(slug);
    if (!repo || !repo.active) return "ignored";
    if (hook.event === "pull_request") {
      if (repo.ignore_pull_requests) return "skipped";
      if (repo.ignore_forks && (hook.fork ?? slug).toLowerCase() !== slug.toLowerCase()) {
        return "skipped";
      }
    }
    let verified = true;
    if (repo.protected && (hook.trigger ?? "@hook") === "@hook") {
      verified = verifySignature(hook.config, repo.secret);
    }
    return verified ? "pending" : "blocked";
  }

  /** Names of the secrets a build of `event` gets (operator/manager/manager.go Manager.Details). */
  secretsForBuild(slug: string, event: FakeHook["event"]): string[] {
    const namespace = slug.split("/")[0];
    return [...this.secretsOf(slug).values(), ...(this.orgSecrets.get(namespace)?.values() ?? [])]
      .filter((s) => !(s.pull_request === false && event === "pull_request"))
      .map((s) => s.name);
  }

  protected route(
    method: string,
    path: string,
    body: Record<string, unknown> | undefined,
    query?: URLSearchParams,
  ): [number, unknown] | DeferredAnswer {
    const parts = path.split("/").filter(Boolean);
    if (parts[0] !== "api") return NOT_FOUND;
    const rest = parts.slice(1);
    if (rest[0] === "user") return this.userRoute(method, rest, query);
    if (rest[0] === "repos" && rest.length >= 3) {
      const slug = `${rest[1]}/${rest[2]}`;
      const repo = this.repositories.get(slug);
      if (rest.length === 3) {
        const need = method === "GET" ? "read" : "admin";
        return this.aclRepository(repo, need) ?? this.repoRoute(method, repo!, body);
      }
      if (rest[3] === "secrets") {
        const refused = this.aclRepository(repo, "write");
        if (refused) return refused;
        if (this.openSourceBuild) return [501, { message: "Not Implemented" }];
        const store = this.repoSecrets.get(slug) ?? new Map<string, FakeSecret>();
        this.repoSecrets.set(slug, store);
        return this.secretRoute(method, store, rest[4], rest.length, 4, body);
      }
      if (rest[3] === "sign" && rest.length === 4 && method === "POST") {
        const refused = this.aclRepository(repo, "write");
        if (refused) return refused;
        const data = typeof body?.data === "string" ? body.data : "";
        return [200, { data: signConfig(data, repo!.secret) }];
      }
      return NOT_FOUND;
    }
    if (rest[0] === "secrets" && rest.length >= 2) {
      const refused = this.aclOrganisation(rest[1], method !== "GET");
      if (refused) return refused;
      if (this.openSourceBuild) return [501, { message: "Not Implemented" }];
      const store = this.orgSecrets.get(rest[1]) ?? new Map<string, FakeSecret>();
      this.orgSecrets.set(rest[1], store);
      return this.secretRoute(method, store, rest[2], rest.length, 2, body);
    }
    return NOT_FOUND;
  }

  /** acl/repo.go InjectRepository, then acl/check.go CheckReadAccess and the route's own check. */
  private aclRepository(
    repo: FakeRepository | undefined,
    need: keyof FakePermissions,
  ): [number, unknown] | undefined {
    if (!repo || !repo.synced) return NOT_FOUND;
    // CheckAccess(read, write, admin) for a session.
    const check = (write: boolean, admin: boolean): [number, unknown] | undefined => {
      if (this.user.admin) return undefined; // "root access granted"
      const open = repo.visibility === "public" || repo.visibility === "internal";
      if (!write && !admin && open) return undefined; // "read access granted"
      const perm = repo.permissions;
      if (!perm) return NOT_FOUND; // "repository permissions not found"
      if (!this.user.active) return [403, { message: "Forbidden" }]; // "active account required"
      if (!perm.read) return NOT_FOUND; // "read access required"
      if (write && !perm.write) return NOT_FOUND; // "write access required"
      if (admin && !perm.admin) return NOT_FOUND; // "admin access required"
      return undefined;
    };
    // api.go: CheckReadAccess on every /repos/{owner}/{name} route, then the route's own.
    return (
      check(false, false) ??
      (need === "write" ? check(true, false) : need === "admin" ? check(true, true) : undefined)
    );
  }

  /** acl/org.go CheckMembership: a 401 with message "Not Found". */
  private aclOrganisation(namespace: string, admin: boolean): [number, unknown] | undefined {
    if (this.user.admin) return undefined;
    const membership = this.organisations.get(namespace) ?? { member: true, admin: true };
    if (!membership.member || (admin && !membership.admin)) {
      return [401, { message: "Not Found" }];
    }
    return undefined;
  }

  private userRoute(
    method: string,
    rest: string[],
    query?: URLSearchParams,
  ): [number, unknown] | DeferredAnswer {
    if (rest.length === 1 && method === "GET") return [200, { ...this.user }];
    if (rest.length !== 2 || rest[1] !== "repos") return NOT_FOUND;
    if (method === "GET") {
      return [200, this.knownToUser().map((r) => this.repoView(r))];
    }
    if (method !== "POST") return [405, { message: "Method Not Allowed" }];
    if (query?.get("async") === "true") {
      // A background context: the sync runs to its end whatever the client does. A sync of no
      // duration has ended before the answer (a 0 ms timer could still be pending when the
      // client's first poll arrives, which made the number of polls depend on the machine).
      if (this.syncDurationMs === 0) {
        this.finishSync();
        return [204, undefined];
      }
      this.user.syncing = true;
      const t = setTimeout(() => this.finishSync(), this.syncDurationMs);
      t.unref();
      return [204, undefined];
    }
    // On the request's context: the client going away cancels the sync.
    this.user.syncing = true;
    return this.defer(
      this.syncDurationMs,
      () => {
        this.finishSync();
        return [200, this.knownToUser().map((r) => this.repoView(r))];
      },
      () => {
        // Sync's deferred update still runs: the user is no longer syncing, nothing was synced.
        this.user.syncing = false;
        this.user.synced = Math.floor(Date.now() / 1000);
      },
    );
  }

  private finishSync(): void {
    for (const repo of this.repositories.values()) {
      repo.synced = true;
      repo.permissions = { ...repo.githubPermissions };
    }
    this.user.syncing = false;
    this.user.synced = Math.floor(Date.now() / 1000);
  }

  private knownToUser(): FakeRepository[] {
    return [...this.repositories.values()].filter((r) => r.synced && r.permissions);
  }

  private repoRoute(
    method: string,
    repo: FakeRepository,
    body: Record<string, unknown> | undefined,
  ): [number, unknown] {
    switch (method) {
      case "GET":
        return [200, this.repoView(repo, true)];
      case "POST":
        // enable.go: the webhook first; nothing is stored when GitHub refuses it.
        if (repo.webhookError !== undefined) return [500, { message: repo.webhookError }];
        if (!repo.secret) repo.secret = randomKey();
        if (repo.timeout === 0) repo.timeout = 60;
        repo.active = true;
        return [200, this.repoView(repo)];
      case "DELETE":
        repo.active = false;
        return [200, this.repoView(repo)];
      case "PATCH": {
        const b = body ?? {};
        if (typeof b.visibility === "string") {
          repo.visibility = b.visibility as FakeRepository["visibility"];
        }
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
        if (this.user.admin) {
          if (typeof b.trusted === "boolean") repo.trusted = b.trusted;
          if (typeof b.timeout === "number") repo.timeout = b.timeout;
        }
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
    if (length !== collectionLength + 1 || name === undefined) return NOT_FOUND;
    const secret = store.get(name);
    if (!secret) return NO_ROWS;
    switch (method) {
      case "GET":
        return [200, secretView(secret)];
      case "PATCH": {
        const data = typeof b.data === "string" ? b.data : secret.data;
        if (data === "") return [400, { message: "Invalid Secret Value" }];
        secret.data = data;
        if (typeof b.pull_request === "boolean") secret.pull_request = b.pull_request;
        if (typeof b.pull_request_push === "boolean")
          secret.pull_request_push = b.pull_request_push;
        return [200, secretView(secret)];
      }
      case "DELETE":
        store.delete(name);
        return [204, undefined];
      default:
        return [405, { message: "Method Not Allowed" }];
    }
  }

  /** A repository as Drone renders it (core/repo.go: signer and secret never shown). */
  private repoView(repo: FakeRepository, withPermissions = false): Record<string, unknown> {
    const view: Record<string, unknown> = {
      namespace: repo.namespace,
      name: repo.name,
      slug: `${repo.namespace}/${repo.name}`,
      scm: "git",
      active: repo.active,
      config_path: repo.config_path,
      protected: repo.protected,
      trusted: repo.trusted,
      visibility: repo.visibility,
      ignore_forks: repo.ignore_forks,
      ignore_pull_requests: repo.ignore_pull_requests,
      auto_cancel_pull_requests: repo.auto_cancel_pull_requests,
      auto_cancel_pushes: repo.auto_cancel_pushes,
      timeout: repo.timeout,
    };
    // handler/api/repos/find.go adds the user's permissions from the access check, when any.
    if (withPermissions && repo.permissions) view.permissions = { ...repo.permissions };
    return view;
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

/** 32 random characters, as uniuri.NewLen(32) in enable.go. */
function randomKey(): string {
  return crypto.randomBytes(24).toString("base64").replace(/[+/]/g, "x").slice(0, 32);
}

/** drone-yaml yaml/parse.go ParseRaw: documents split on "---" lines, ending at a "..." line. */
function rawResources(config: string): { kind: string; data: string }[] {
  const resources: { kind: string; data: string }[] = [];
  let current: { kind: string; data: string } | undefined;
  for (const line of config.replace(/\n$/, "").split("\n")) {
    if (line.startsWith("---")) current = undefined;
    if (current === undefined) {
      current = { kind: "", data: "" };
      resources.push(current);
    }
    if (line.startsWith("---")) continue;
    if (line.startsWith("...")) break;
    current.data += `${line}\n`;
  }
  for (const r of resources) r.kind = /^kind:\s*(\S+)/m.exec(r.data)?.[1] ?? "";
  return resources;
}

/** drone-yaml yaml/signer/signer.go sign: HMAC-SHA256 of every document but the signature. */
function hmacOf(config: string, key: string): string | undefined {
  if (key.length < 32) return undefined; // ErrInvalidKey
  const h = crypto.createHmac("sha256", Buffer.from(key, "utf8"));
  for (const r of rawResources(config)) if (r.kind !== "signature") h.update(r.data, "utf8");
  return h.digest("hex");
}

/** drone-yaml signer.Sign: the hex signature of a pipeline file. */
function signConfig(config: string, key: string): string {
  return hmacOf(config, key) ?? "";
}

/** drone-yaml signer.Verify: a signature document whose hmac matches; false when none. */
function verifySignature(config: string, key: string): boolean {
  const signature = rawResources(config).find((r) => r.kind === "signature");
  const claimed = signature && /^hmac:\s*(\S+)/m.exec(signature.data)?.[1];
  const actual = hmacOf(config, key);
  return claimed !== undefined && actual !== undefined && claimed === actual;
}

/** drone-yaml signer.WriteTo: the pipeline file with its signature document appended. */
export function withSignature(config: string, hmac: string): string {
  const documents = rawResources(config)
    .filter((r) => r.kind !== "signature")
    .map((r) => `---\n${r.data}`)
    .join("");
  return `${documents}---\nkind: signature\nhmac: ${hmac}\n\n...\n`;
}
