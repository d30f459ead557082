/**
 * Test fixture: a local HTTP server (127.0.0.1, ephemeral port) speaking the subset of a
 * Databricks workspace's API that `npm run rollback` uses, holding its state in memory. Not part
 * of the product.
 *
 * - `POST /oidc/v1/token`: OAuth client credentials with HTTP basic auth, form body
 *   `grant_type=client_credentials&scope=all-apis` (databricks-sdk-py `databricks/sdk/oauth.py`,
 *   `ClientCredentials.refresh` / `retrieve_token`); a wrong client answers 401
 *   `{"error": "invalid_client", "error_description": ...}` (RFC 6749, 5.2).
 * - Unity Catalog (Databricks REST API reference, "Model Versions" and "Registered Models";
 *   databricks-sdk-py `databricks/sdk/service/catalog.py`): `GET .../models/{full_name}/aliases/{alias}`
 *   (`ModelVersionsAPI.get_by_alias`), `GET .../models/{full_name}/versions/{version}`
 *   (`ModelVersionsAPI.get`), both answering a `ModelVersionInfo` without tags, and
 *   `PUT .../models/{full_name}/aliases/{alias}` with `{"version_num"}` (`RegisteredModelsAPI.set_alias`),
 *   answering a `RegisteredModelAlias`.
 * - MLflow's Unity Catalog endpoints (mlflow/mlflow `mlflow/protos/databricks_uc_registry_service.proto`):
 *   `GET /api/2.0/mlflow/unity-catalog/model-versions/get?name&version` answering
 *   `{"model_version": {..., "version": "<string>", "tags": [{"key", "value"}]}}` and
 *   `POST /api/2.0/mlflow/unity-catalog/model-versions/tags` with `{"name", "version", "key", "value"}`.
 * - MLflow tracking: `GET /api/2.0/mlflow/runs/get?run_id` answering `{"run": {"info", "data": {"metrics"}}}`.
 * - Errors in Databricks' shape `{"error_code", "message"}` (Databricks REST API reference,
 *   "Errors", https://docs.databricks.com/api/account/errors): a missing model, version, alias
 *   or run is a 404 `RESOURCE_DOES_NOT_EXIST`; a missing or unknown bearer token a 401
 *   `UNAUTHENTICATED`.
 *
 * Fault injection, per matching request: `lost` (the request is served, its effect happens, then
 * the socket is destroyed without an answer), or a status (429 with `retry-after`, 5xx, 403 ...)
 * answered instead of serving. `before` hooks run just before a matching request is served (a
 * concurrent alias move between the rollback's read and its write).
 */
import * as http from "http";
import { AddressInfo } from "net";

export interface FakeVersion {
  tags: Record<string, string>;
  runId?: string;
  status?: string;
}

export interface FakeModel {
  aliases: Map<string, number>;
  versions: Map<number, FakeVersion>;
}

export interface Logged {
  method: string;
  /** Decoded path, without the query. */
  path: string;
  query: Record<string, string>;
  body: unknown;
  /** Whether a valid bearer token (or, for the token endpoint, valid client credentials) came. */
  authorized: boolean;
  /** Status answered; 0 when the answer was lost (socket destroyed). */
  status: number;
  /** The raw Authorization header, kept only to check what the client sent. */
  authorization?: string;
}

export interface Match {
  method?: string;
  /** The decoded path contains this. */
  pathIncludes?: string;
  /** How many matching requests it applies to. */
  count: number;
}

export type Fault = Match &
  (
    | { lost: true }
    | { status: number; errorCode?: string; message?: string; headers?: Record<string, string> }
  );

export interface Hook extends Match {
  run: (request: Logged) => void;
}

export class FakeDatabricks {
  readonly requests: Logged[] = [];
  readonly models = new Map<string, FakeModel>();
  /** Metrics per run id. */
  readonly runs = new Map<string, Record<string, number>>();
  url = "";
  private readonly tokens = new Set<string>();
  private issued = 0;
  private readonly faults: Fault[] = [];
  private readonly hooks: Hook[] = [];
  private server!: http.Server;

  private constructor(
    readonly clientId: string,
    private readonly clientSecret: string,
  ) {}

  static async start(clientId: string, clientSecret: string): Promise<FakeDatabricks> {
    const fake = new FakeDatabricks(clientId, clientSecret);
    fake.server = http.createServer((req, res) => fake.handle(req, res));
    await new Promise<void>((resolve) => fake.server.listen(0, "127.0.0.1", resolve));
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  model(fullName: string): FakeModel {
    let m = this.models.get(fullName);
    if (!m) {
      m = { aliases: new Map(), versions: new Map() };
      this.models.set(fullName, m);
    }
    return m;
  }

  addVersion(
    fullName: string,
    version: number,
    tags: Record<string, string>,
    metrics?: Record<string, number>,
  ): void {
    const runId = `run-${version}`;
    this.model(fullName).versions.set(version, { tags: { ...tags }, runId, status: "READY" });
    if (metrics) this.runs.set(runId, metrics);
  }

  inject(fault: Fault): void {
    this.faults.push({ ...fault });
  }

  before(hook: Hook): void {
    this.hooks.push({ ...hook });
  }

  /** Requests that change state (everything but GET and the token request). */
  writes(): Logged[] {
    return this.requests.filter((r) => r.method !== "GET" && r.path !== "/oidc/v1/token");
  }

  private take<T extends Match>(list: T[], method: string, path: string): T | undefined {
    const found = list.find(
      (m) =>
        m.count > 0 &&
        (m.method === undefined || m.method === method) &&
        (m.pathIncludes === undefined || path.includes(m.pathIncludes)),
    );
    if (found) found.count--;
    return found;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const url = new URL(req.url ?? "/", "http://fake");
      const method = req.method ?? "GET";
      const path = decodeURIComponent(url.pathname);
      const query = Object.fromEntries(url.searchParams.entries());
      let body: unknown = undefined;
      if (req.headers["content-type"]?.startsWith("application/x-www-form-urlencoded")) {
        body = Object.fromEntries(new URLSearchParams(text).entries());
      } else if (text) {
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
      }
      const entry: Logged = {
        method,
        path,
        query,
        body,
        authorized: false,
        status: 0,
        authorization: req.headers.authorization,
      };
      this.requests.push(entry);
      const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
        entry.status = status;
        res.writeHead(status, { "Content-Type": "application/json", ...headers });
        res.end(JSON.stringify(payload));
      };

      const fault = this.take(this.faults, method, path);
      if (fault && "status" in fault) {
        entry.authorized = true;
        send(
          fault.status,
          {
            error_code: fault.errorCode ?? codeOf(fault.status),
            message: fault.message ?? http.STATUS_CODES[fault.status] ?? "error",
          },
          fault.headers,
        );
        return;
      }
      const [status, payload] = this.serve(entry);
      if (fault && "lost" in fault) {
        // The effect happened; the answer never arrives.
        entry.status = 0;
        req.socket.destroy();
        return;
      }
      send(status, payload);
    });
  }

  /** Routes one request: [status, body]. */
  private serve(r: Logged): [number, unknown] {
    if (r.path === "/oidc/v1/token" && r.method === "POST") return this.token(r);
    const bearer = /^Bearer (.+)$/.exec(r.authorization ?? "")?.[1];
    if (!bearer || !this.tokens.has(bearer)) {
      return [401, { error_code: "UNAUTHENTICATED", message: "Invalid access token." }];
    }
    r.authorized = true;
    const hook = this.take(this.hooks, r.method, r.path);
    if (hook) hook.run(r);

    let m: RegExpExecArray | null;
    if ((m = /^\/api\/2\.1\/unity-catalog\/models\/([^/]+)\/aliases\/([^/]+)$/.exec(r.path))) {
      const [, fullName, alias] = m;
      const model = this.models.get(fullName);
      if (!model) return notFound(`Registered model '${fullName}' does not exist.`);
      if (r.method === "GET") {
        const version = model.aliases.get(alias);
        if (version === undefined)
          return notFound(`Alias '${alias}' does not exist on registered model '${fullName}'.`);
        return [200, this.versionInfo(fullName, version)];
      }
      if (r.method === "PUT") {
        const versionNum = (r.body as { version_num?: unknown })?.version_num;
        if (typeof versionNum !== "number" || !Number.isInteger(versionNum)) {
          return [
            400,
            { error_code: "INVALID_PARAMETER_VALUE", message: "version_num is required" },
          ];
        }
        if (!model.versions.has(versionNum))
          return notFound(`Model version ${fullName}/${versionNum} does not exist.`);
        model.aliases.set(alias, versionNum);
        const [catalog, schema, name] = fullName.split(".");
        return [
          200,
          {
            alias_name: alias,
            version_num: versionNum,
            catalog_name: catalog,
            schema_name: schema,
            model_name: name,
          },
        ];
      }
    }
    if ((m = /^\/api\/2\.1\/unity-catalog\/models\/([^/]+)\/versions\/([^/]+)$/.exec(r.path))) {
      if (r.method !== "GET") return methodNotAllowed();
      const [, fullName, v] = m;
      const model = this.models.get(fullName);
      if (!model) return notFound(`Registered model '${fullName}' does not exist.`);
      if (!model.versions.has(Number(v)))
        return notFound(`Model version ${fullName}/${v} does not exist.`);
      return [200, this.versionInfo(fullName, Number(v))];
    }
    if (r.path === "/api/2.0/mlflow/unity-catalog/model-versions/get" && r.method === "GET") {
      const version = this.models.get(r.query.name ?? "")?.versions.get(Number(r.query.version));
      if (!version)
        return notFound(`Model version ${r.query.name}/${r.query.version} does not exist.`);
      const aliases = [...this.model(r.query.name).aliases.entries()]
        .filter(([, v]) => v === Number(r.query.version))
        .map(([alias, v]) => ({ alias, version: String(v) }));
      return [
        200,
        {
          model_version: {
            name: r.query.name,
            version: String(r.query.version),
            run_id: version.runId,
            status: version.status,
            aliases,
            tags: Object.entries(version.tags).map(([key, value]) => ({ key, value })),
          },
        },
      ];
    }
    if (r.path === "/api/2.0/mlflow/unity-catalog/model-versions/tags" && r.method === "POST") {
      const b = (r.body ?? {}) as Record<string, unknown>;
      if (
        typeof b.name !== "string" ||
        typeof b.version !== "string" ||
        typeof b.key !== "string"
      ) {
        return [
          400,
          { error_code: "INVALID_PARAMETER_VALUE", message: "name, version and key are required" },
        ];
      }
      const version = this.models.get(b.name)?.versions.get(Number(b.version));
      if (!version) return notFound(`Model version ${b.name}/${b.version} does not exist.`);
      version.tags[b.key] = typeof b.value === "string" ? b.value : "";
      return [200, {}];
    }
    if (r.path === "/api/2.0/mlflow/runs/get" && r.method === "GET") {
      const metrics = this.runs.get(r.query.run_id ?? "");
      if (!metrics) return notFound(`Run '${r.query.run_id}' not found.`);
      return [
        200,
        {
          run: {
            info: { run_id: r.query.run_id, status: "FINISHED" },
            data: {
              metrics: Object.entries(metrics).map(([key, value]) => ({
                key,
                value,
                timestamp: 1700000000000,
                step: 0,
              })),
              params: [],
              tags: [],
            },
          },
        },
      ];
    }
    return [
      404,
      { error_code: "ENDPOINT_NOT_FOUND", message: `No API found for '${r.method} ${r.path}'` },
    ];
  }

  private token(r: Logged): [number, unknown] {
    const basic = /^Basic (.+)$/.exec(r.authorization ?? "")?.[1];
    const decoded = basic ? Buffer.from(basic, "base64").toString("utf8") : "";
    const form = (r.body ?? {}) as Record<string, string>;
    if (decoded !== `${this.clientId}:${this.clientSecret}`) {
      return [401, { error: "invalid_client", error_description: "Client authentication failed" }];
    }
    if (form.grant_type !== "client_credentials" || form.scope !== "all-apis") {
      return [400, { error: "invalid_request", error_description: "grant_type or scope" }];
    }
    r.authorized = true;
    const token = `fake-token-${++this.issued}-${Math.random().toString(36).slice(2)}`;
    this.tokens.add(token);
    return [
      200,
      { access_token: token, token_type: "Bearer", expires_in: 3600, scope: "all-apis" },
    ];
  }

  private versionInfo(fullName: string, version: number): Record<string, unknown> {
    const [catalog, schema, name] = fullName.split(".");
    const v = this.model(fullName).versions.get(version)!;
    return {
      catalog_name: catalog,
      schema_name: schema,
      model_name: name,
      version,
      run_id: v.runId,
      status: v.status,
      source: `models:/${fullName}/${version}`,
    };
  }
}

function notFound(message: string): [number, unknown] {
  return [404, { error_code: "RESOURCE_DOES_NOT_EXIST", message }];
}

function methodNotAllowed(): [number, unknown] {
  return [405, { error_code: "BAD_REQUEST", message: "method not allowed" }];
}

function codeOf(status: number): string {
  if (status === 403) return "PERMISSION_DENIED";
  if (status === 429) return "REQUEST_LIMIT_EXCEEDED";
  if (status === 503) return "TEMPORARILY_UNAVAILABLE";
  if (status >= 500) return "INTERNAL_ERROR";
  return "BAD_REQUEST";
}
