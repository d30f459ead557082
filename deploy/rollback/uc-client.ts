/**
 * The one HTTP client of `npm run rollback`: the platform's Databricks principal talking to the
 * workspace's Unity Catalog model registry and MLflow tracking server, with Node's `fetch`.
 *
 * - Authentication: OAuth machine-to-machine (client credentials). `POST <host>/oidc/v1/token`
 *   with `grant_type=client_credentials&scope=all-apis` and HTTP basic auth of client id and
 *   secret, as databricks/databricks-sdk-py does (`databricks/sdk/credentials_provider.py`,
 *   `oauth_service_principal`: `oauth.ClientCredentials(..., use_header=True)`;
 *   `databricks/sdk/oauth.py`, `ClientCredentials.refresh` and `retrieve_token`;
 *   `databricks/sdk/core.py`, `OIDC_TOKEN_PATH = "/oidc/v1/token"`; the scope defaults to
 *   `all-apis`, `databricks/sdk/config.py`, `get_scopes`). The answer's `access_token` is sent as
 *   `Authorization: Bearer ...`. The token and the secret never appear in a message.
 * - Every attempt has a timeout (`AbortSignal.timeout`). 429 (honouring `retry-after`), 5xx and
 *   network errors (refused or reset connections, a socket closed before the answer, timeouts)
 *   are retried with a bounded exponential backoff; any other 4xx is final. Every call made here
 *   is safe to repeat: reads, `PUT` of an alias to a version, and setting a tag to a value.
 * - Errors name the method, the endpoint and the status (and Databricks' `error_code` and
 *   `message`, the error shape every Databricks API answers: Databricks REST API reference,
 *   "Errors", https://docs.databricks.com/api/account/errors; MLflow's own client reads
 *   the same two fields, mlflow/mlflow `mlflow/utils/rest_utils.py`, `verify_rest_response`).
 */

export interface RetryOptions {
  /** Attempts per call, the first included (default 4). */
  maxAttempts?: number;
  /** Backoff before the second attempt; doubles for each further one (default 500 ms). */
  baseDelayMs?: number;
  /** Largest backoff between two attempts (default 8 s). */
  maxDelayMs?: number;
  /** Largest `retry-after` honoured; a longer one is cut to this (default 60 s). */
  maxRetryAfterMs?: number;
  /** Timeout of one attempt, answer body included (default 30 s). */
  timeoutMs?: number;
  /** How to wait (tests record the delays instead of waiting). */
  sleep?: (ms: number) => Promise<void>;
}

export interface UcClientOptions extends RetryOptions {
  /** Workspace URL (`databricksHost`). */
  host: string;
  /** Application id of the platform's service principal (`databricksClientId`). */
  clientId: string;
  /** Its OAuth secret. */
  clientSecret: string;
}

/** A call that failed for good; the message names the endpoint and the status, never a secret. */
export class DatabricksApiError extends Error {
  constructor(
    message: string,
    /** `METHOD /path?query`. */
    readonly endpoint: string,
    /** HTTP status; undefined when no answer came. */
    readonly status: number | undefined,
    /** Databricks' `error_code` (or OAuth's `error`), when the answer had one. */
    readonly errorCode: string | undefined,
  ) {
    super(message);
    this.name = "DatabricksApiError";
  }
}

/** A model version as the Unity Catalog API describes it (`ModelVersionInfo`, the fields used). */
export interface UcModelVersion {
  version: number;
  runId?: string;
  /** PENDING_REGISTRATION, FAILED_REGISTRATION or READY. */
  status?: string;
}

const DEFAULTS = {
  maxAttempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 8000,
  maxRetryAfterMs: 60_000,
  timeoutMs: 30_000,
};

type Query = Record<string, string>;

interface RequestSpec {
  query?: Query;
  json?: unknown;
  /** application/x-www-form-urlencoded body (the token request). */
  form?: Record<string, string>;
  /** Authorization header value; default: the bearer token. */
  authorization?: string;
}

export class UcClient {
  private readonly host: string;
  private readonly retry: Required<Omit<RetryOptions, "sleep">> & {
    sleep: (ms: number) => Promise<void>;
  };
  private token: string | undefined;

  constructor(private readonly options: UcClientOptions) {
    this.host = options.host.replace(/\/+$/, "");
    this.retry = {
      maxAttempts: Math.max(1, options.maxAttempts ?? DEFAULTS.maxAttempts),
      baseDelayMs: options.baseDelayMs ?? DEFAULTS.baseDelayMs,
      maxDelayMs: options.maxDelayMs ?? DEFAULTS.maxDelayMs,
      maxRetryAfterMs: options.maxRetryAfterMs ?? DEFAULTS.maxRetryAfterMs,
      timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
      sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    };
  }

  /**
   * The OAuth access token, fetched once per client.
   * `POST /oidc/v1/token` (databricks-sdk-py `databricks/sdk/oauth.py`, `ClientCredentials.refresh`
   * / `retrieve_token`; Databricks: "Authorize unattended access to Databricks resources with a
   * service principal using OAuth", https://docs.databricks.com/en/dev-tools/auth/oauth-m2m.html).
   */
  async accessToken(): Promise<string> {
    if (this.token) return this.token;
    const basic = Buffer.from(`${this.options.clientId}:${this.options.clientSecret}`).toString(
      "base64",
    );
    const answer = await this.request<{ access_token?: unknown }>("POST", "/oidc/v1/token", {
      form: { grant_type: "client_credentials", scope: "all-apis" },
      authorization: `Basic ${basic}`,
    });
    if (typeof answer.access_token !== "string" || answer.access_token === "") {
      throw new DatabricksApiError(
        "POST /oidc/v1/token answered without an access_token",
        "POST /oidc/v1/token",
        200,
        undefined,
      );
    }
    this.token = answer.access_token;
    return this.token;
  }

  /**
   * The version an alias points to; null when the alias (or the model) does not exist (404).
   * `GET /api/2.1/unity-catalog/models/{full_name}/aliases/{alias}`: Databricks REST API
   * "Get Model Version By Alias" (https://docs.databricks.com/api/workspace/modelversions/getbyalias);
   * databricks/databricks-sdk-py `databricks/sdk/service/catalog.py`, `ModelVersionsAPI.get_by_alias`
   * (answers a `ModelVersionInfo`: `version` int, `run_id`, `status`).
   */
  async versionByAlias(fullName: string, alias: string): Promise<UcModelVersion | null> {
    const info = await this.orNullOn404(() =>
      this.request<Record<string, unknown>>(
        "GET",
        `/api/2.1/unity-catalog/models/${encodeURIComponent(fullName)}/aliases/${encodeURIComponent(alias)}`,
      ),
    );
    return info && toModelVersion(info);
  }

  /**
   * One model version; null when it does not exist (404).
   * `GET /api/2.1/unity-catalog/models/{full_name}/versions/{version}`: Databricks REST API
   * "Get a Model Version" (https://docs.databricks.com/api/workspace/modelversions/get);
   * databricks/databricks-sdk-py `databricks/sdk/service/catalog.py`, `ModelVersionsAPI.get`.
   * Unity Catalog's `ModelVersionInfo` carries no tags: see `versionTags`.
   */
  async modelVersion(fullName: string, version: number): Promise<UcModelVersion | null> {
    const info = await this.orNullOn404(() =>
      this.request<Record<string, unknown>>(
        "GET",
        `/api/2.1/unity-catalog/models/${encodeURIComponent(fullName)}/versions/${version}`,
      ),
    );
    return info && toModelVersion(info);
  }

  /**
   * A model version's tags; null when the version does not exist (404).
   * `GET /api/2.0/mlflow/unity-catalog/model-versions/get?name=&version=`, the endpoint MLflow's
   * client reads Unity Catalog model versions (and their tags) with: mlflow/mlflow
   * `mlflow/store/_unity_catalog/registry/rest_store.py`, `UcModelRegistryStore.get_model_version`;
   * endpoint in `mlflow/protos/databricks_uc_registry_service.proto` (`GetModelVersion`), answer
   * `{ "model_version": { ..., "tags": [{ "key", "value" }] } }` in
   * `mlflow/protos/databricks_uc_registry_messages.proto` (`GetModelVersionResponse`,
   * `ModelVersion.tags`, `ModelVersionTag`); `version` is a string there.
   */
  async versionTags(fullName: string, version: number): Promise<Record<string, string> | null> {
    const answer = await this.orNullOn404(() =>
      this.request<{ model_version?: { tags?: unknown } }>(
        "GET",
        "/api/2.0/mlflow/unity-catalog/model-versions/get",
        { query: { name: fullName, version: String(version) } },
      ),
    );
    if (!answer) return null;
    const tags: Record<string, string> = {};
    const list = answer.model_version?.tags;
    if (Array.isArray(list)) {
      for (const tag of list as { key?: unknown; value?: unknown }[]) {
        if (typeof tag?.key === "string")
          tags[tag.key] = typeof tag.value === "string" ? tag.value : "";
      }
    }
    return tags;
  }

  /**
   * Points an alias at a version.
   * `PUT /api/2.1/unity-catalog/models/{full_name}/aliases/{alias}` with `{ "version_num": N }`:
   * Databricks REST API "Set a Registered Model Alias"
   * (https://docs.databricks.com/api/workspace/registeredmodels/setalias);
   * databricks/databricks-sdk-py `databricks/sdk/service/catalog.py`, `RegisteredModelsAPI.set_alias`.
   */
  async setAlias(fullName: string, alias: string, version: number): Promise<void> {
    await this.request(
      "PUT",
      `/api/2.1/unity-catalog/models/${encodeURIComponent(fullName)}/aliases/${encodeURIComponent(alias)}`,
      { json: { version_num: version } },
    );
  }

  /**
   * Sets a tag on a model version.
   * `POST /api/2.0/mlflow/unity-catalog/model-versions/tags` with
   * `{ "name", "version", "key", "value" }` (version as a string): mlflow/mlflow
   * `mlflow/store/_unity_catalog/registry/rest_store.py`, `UcModelRegistryStore.set_model_version_tag`
   * (`SetModelVersionTagRequest`); endpoint in `mlflow/protos/databricks_uc_registry_service.proto`
   * (`SetModelVersionTag`). This is what `MlflowClient(registry_uri="databricks-uc")
   * .set_model_version_tag` calls, and what the services' training code uses to write these tags.
   */
  async setVersionTag(
    fullName: string,
    version: number,
    key: string,
    value: string,
  ): Promise<void> {
    await this.request("POST", "/api/2.0/mlflow/unity-catalog/model-versions/tags", {
      json: { name: fullName, version: String(version), key, value },
    });
  }

  /**
   * The latest value of each metric of a run.
   * `GET /api/2.0/mlflow/runs/get?run_id=`: MLflow REST API "Get Run"
   * (https://mlflow.org/docs/latest/rest-api.html#get-run; Databricks:
   * https://docs.databricks.com/api/workspace/experiments/getrun), answer
   * `{ "run": { "data": { "metrics": [{ "key", "value", "timestamp", "step" }] } } }`;
   * mlflow/mlflow `mlflow/protos/service.proto`, `getRun`.
   */
  async runMetrics(runId: string): Promise<Record<string, number>> {
    const answer = await this.request<{ run?: { data?: { metrics?: unknown } } }>(
      "GET",
      "/api/2.0/mlflow/runs/get",
      { query: { run_id: runId } },
    );
    const metrics: Record<string, number> = {};
    const list = answer.run?.data?.metrics;
    if (Array.isArray(list)) {
      for (const m of list as { key?: unknown; value?: unknown }[]) {
        if (typeof m?.key === "string" && typeof m.value === "number") metrics[m.key] = m.value;
      }
    }
    return metrics;
  }

  private async orNullOn404<T>(call: () => Promise<T>): Promise<T | null> {
    try {
      return await call();
    } catch (e) {
      if (e instanceof DatabricksApiError && e.status === 404) return null;
      throw e;
    }
  }

  /** One call, with the retries described at the top of this file. */
  async request<T = unknown>(method: string, path: string, spec: RequestSpec = {}): Promise<T> {
    const url = new URL(`${this.host}${path}`);
    for (const [k, v] of Object.entries(spec.query ?? {})) url.searchParams.set(k, v);
    const endpoint = `${method} ${url.pathname}${url.search}`;
    const { maxAttempts } = this.retry;
    let lastProblem = "";
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const headers: Record<string, string> = { Accept: "application/json" };
      let body: string | undefined;
      if (spec.form) {
        headers["Content-Type"] = "application/x-www-form-urlencoded";
        body = new URLSearchParams(spec.form).toString();
      } else if (spec.json !== undefined) {
        headers["Content-Type"] = "application/json";
        body = JSON.stringify(spec.json);
      }
      headers.Authorization = spec.authorization ?? `Bearer ${await this.accessToken()}`;

      let status: number;
      let text: string;
      let retryAfter: string | null;
      try {
        const response = await fetch(url, {
          method,
          headers,
          body,
          signal: AbortSignal.timeout(this.retry.timeoutMs),
        });
        status = response.status;
        retryAfter = response.headers.get("retry-after");
        text = await response.text();
      } catch (e) {
        lastProblem = this.networkProblem(e);
        if (attempt < maxAttempts) {
          await this.retry.sleep(this.backoff(attempt));
          continue;
        }
        throw new DatabricksApiError(
          `${endpoint}: no answer after ${attempt} attempt${attempt === 1 ? "" : "s"} (${lastProblem})`,
          endpoint,
          undefined,
          undefined,
        );
      }

      if (status >= 200 && status < 300) {
        if (text.trim() === "") return {} as T;
        try {
          return JSON.parse(text) as T;
        } catch {
          throw new DatabricksApiError(
            `${endpoint} answered ${status} with a body that is not JSON`,
            endpoint,
            status,
            undefined,
          );
        }
      }
      const { code, message } = this.errorOf(text);
      const retriable = status === 429 || status >= 500;
      if (retriable && attempt < maxAttempts) {
        const hinted = parseRetryAfter(retryAfter);
        await this.retry.sleep(
          hinted !== undefined
            ? Math.min(hinted, this.retry.maxRetryAfterMs)
            : this.backoff(attempt),
        );
        continue;
      }
      const after = retriable && attempt > 1 ? ` (after ${attempt} attempts)` : "";
      throw new DatabricksApiError(
        `${endpoint} answered ${status}${code ? ` ${code}` : ""}${message ? `: ${message}` : ""}${after}`,
        endpoint,
        status,
        code,
      );
    }
    // Not reached: the last attempt returns or throws.
    throw new Error(`${endpoint}: ${lastProblem}`);
  }

  private backoff(attempt: number): number {
    return Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
  }

  /** Databricks' `{error_code, message}` or OAuth's `{error, error_description}`, redacted. */
  private errorOf(text: string): { code?: string; message?: string } {
    let code: string | undefined;
    let message: string | undefined;
    try {
      const parsed = JSON.parse(text) as Record<string, unknown>;
      const rawCode = parsed.error_code ?? parsed.error;
      if (typeof rawCode === "string") code = rawCode;
      const rawMessage = parsed.message ?? parsed.error_description;
      if (typeof rawMessage === "string") message = rawMessage;
    } catch {
      const first = text.trim().split("\n")[0];
      if (first) message = first.slice(0, 200);
    }
    return { code: code && this.redact(code), message: message && this.redact(message) };
  }

  private networkProblem(e: unknown): string {
    const err = e as {
      name?: string;
      message?: string;
      cause?: { code?: string; message?: string };
    };
    if (err?.name === "TimeoutError") return `timed out after ${this.retry.timeoutMs} ms`;
    const cause = err?.cause?.code ?? err?.cause?.message;
    return this.redact(
      cause ? `${err.message ?? "network error"}: ${cause}` : (err?.message ?? String(e)),
    );
  }

  /** Removes the secret and the token from text that came from elsewhere. */
  private redact(text: string): string {
    let out = text;
    for (const secret of [this.options.clientSecret, this.token]) {
      if (secret && secret.length >= 4) out = out.split(secret).join("[redacted]");
    }
    return out;
  }
}

function toModelVersion(info: Record<string, unknown>): UcModelVersion {
  const version = Number(info.version);
  return {
    version,
    runId: typeof info.run_id === "string" && info.run_id !== "" ? info.run_id : undefined,
    status: typeof info.status === "string" ? info.status : undefined,
  };
}

/** `retry-after` as seconds or an HTTP date (RFC 9110, 10.2.3), in milliseconds. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
