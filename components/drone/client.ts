/**
 * A small client for Drone's REST API over node's own http/https: bearer token, JSON bodies,
 * a timeout per attempt, and retries with exponential backoff on timeouts, connection errors and
 * 5xx, bounded both in attempts and in total time. A 4xx fails at once, and so do the 5xx that
 * Drone answers for good: a 501 (a route the open-source build does not serve) and the 500s a call
 * names as permanent (e.g. a webhook GitHub refused).
 *
 * The dynamic providers' code is serialized into the Pulumi state and run by the engine's
 * provider host, which loads no TypeScript and no project module. So every function here is
 * self-contained: node built-ins are `require`d when called, and errors are plain `Error`s with
 * fields rather than a class.
 *
 * Error and log text never carries the token or a secret value: every message goes through
 * `redact` with the values the caller names, and the token is always among them.
 */

import { exchangeJson, HttpReply } from "../http-exchange";

/** Retry and timeout limits of every Drone call. */
export interface DroneRetryPolicy {
  /** Attempts of one request, the first one included. */
  maxAttempts: number;
  /** Time one request may take with all its retries, in milliseconds. */
  maxElapsedMs: number;
  /** Delay before the first retry, in milliseconds; doubled at each further retry. */
  initialDelayMs: number;
  /** Longest delay between two attempts, in milliseconds. */
  maxDelayMs: number;
  /** Timeout of one attempt (connect, send, receive), in milliseconds. */
  requestTimeoutMs: number;
  /** Activation: how often a repository unknown to Drone triggers a sync before giving up. */
  syncAttempts: number;
  /**
   * Activation: how long to wait for one repository-list sync to finish. The sync runs in Drone's
   * background (`POST /api/user/repos?async=true`) and its end shows in `GET /api/user`.
   */
  syncWaitMs: number;
}

/** Limits used by `pulumi up`: six attempts within two minutes, 30 s per attempt. */
export const DEFAULT_RETRY_POLICY: Readonly<DroneRetryPolicy> = {
  maxAttempts: 6,
  maxElapsedMs: 120_000,
  initialDelayMs: 1_000,
  maxDelayMs: 15_000,
  requestTimeoutMs: 30_000,
  syncAttempts: 5,
  // A sync lists every GitHub repository of the user and refreshes its permissions: minutes for
  // a large organisation.
  syncWaitMs: 180_000,
};

/** Where Drone is and who calls it. */
export interface DroneConnection {
  /** Base URL of the Drone server, e.g. https://drone.example.com. */
  server: string;
  /** Bearer token of the platform's machine user. */
  token: string;
}

export type DroneMethod = "GET" | "POST" | "PATCH" | "DELETE";

/** One call, described for messages as well as for the wire. */
export interface DroneCall {
  method: DroneMethod;
  /** Path under the server URL, segments already encoded, e.g. /api/repos/acme/svc. */
  path: string;
  body?: Record<string, unknown>;
  /** What the call does, for messages: `create secret "x"`. */
  operation: string;
  /** What it acts on, for messages: `repository acme/svc` or `organisation acme`. */
  subject: string;
  /** Statuses handed back to the caller instead of failing (e.g. 404 of a lookup). */
  expect?: number[];
  /** False for a request that must not be repeated blindly: one attempt, the caller decides. */
  retry?: boolean;
  /** Values that must never appear in a message (besides the token). */
  redact?: string[];
  /**
   * Server errors that will not go away by retrying: a status answered with a message written by
   * Drone's handler (not the bare status text a proxy or Drone's panic recoverer gives) fails at
   * once, with `advice` instead of "check that the server is healthy".
   */
  permanent?: { status: number; advice: string }[];
}

export interface DroneResponse {
  status: number;
  /** Parsed JSON body, or undefined when the body is empty or not JSON. */
  body: unknown;
}

/** The fields of an error thrown by `callDrone`. */
export interface DroneError extends Error {
  name: "DroneError";
  /** HTTP status of the last attempt; undefined when no response came (timeout, connection). */
  status?: number;
  /** Whether the failure was transient (the call may succeed later). */
  transient: boolean;
  /** Attempts made. */
  attempts: number;
}

export function isDroneError(e: unknown): e is DroneError {
  // Duck-typed: errors may come from another realm (node's own modules under a test sandbox).
  return typeof e === "object" && e !== null && (e as { name?: unknown }).name === "DroneError";
}

/** The message of anything thrown, whatever realm its Error class came from. */
export function messageOf(e: unknown): string {
  const message = typeof e === "object" && e !== null ? (e as { message?: unknown }).message : e;
  return typeof message === "string" ? message : String(message);
}

/** Replaces every occurrence of each value by [secret], in one pass (longest values first). */
export function redact(text: string, values: readonly (string | undefined)[]): string {
  const hidden = values
    .filter((v): v is string => typeof v === "string" && v.length > 0)
    .sort((a, b) => b.length - a.length)
    .map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return hidden.length === 0 ? text : text.replace(new RegExp(hidden.join("|"), "g"), "[secret]");
}

/** An error for users: message only, no stack trace (the provider host prints `stack`). */
export function droneError(
  message: string,
  fields: { status?: number; transient: boolean; attempts: number },
): DroneError {
  const error = new Error(message) as DroneError;
  error.name = "DroneError";
  error.status = fields.status;
  error.transient = fields.transient;
  error.attempts = fields.attempts;
  error.stack = `DroneError: ${message}`;
  return error;
}

/** Delay before retry number `retry` (1-based): exponential, capped, with jitter. */
export function backoffDelay(retry: number, policy: DroneRetryPolicy): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (retry - 1));
  // Half fixed, half random: spreads concurrent retries without ever dropping to zero.
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Statuses worth another attempt: server errors, and 429 (rate limited). Not 501: Drone's
 * open-source build answers "Not Implemented" for every route it does not serve, every time
 * (drone/drone handler/api/render/render.go NotImplemented, used by the `oss` stubs such as
 * handler/api/repos/secrets/none.go and handler/api/secrets/none.go).
 */
export function isTransientStatus(status: number): boolean {
  return (status >= 500 && status !== 501) || status === 429;
}

/** The reason phrase of a status, as Drone's panic recoverer or a proxy words an error. */
export function bareStatusText(status: number): string | undefined {
  const texts: Record<number, string> = {
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
  };
  return texts[status];
}

/**
 * Whether a 404 is Drone's access check (or an unknown repository) rather than a handler's own
 * lookup. The access middleware answers `{"message": "Not Found"}` (drone/drone
 * handler/api/acl/repo.go InjectRepository and acl/check.go CheckAccess render
 * errors.ErrNotFound), both for a repository Drone does not know and for one the user may not
 * use; a handler that looked the item up renders its store's error instead, e.g. "sql: no rows in
 * result set" for a missing secret (handler/api/repos/secrets/find.go, update.go, delete.go).
 */
export function isAccessNotFound(body: unknown): boolean {
  const said = droneMessage(body);
  return said === undefined || said === "Not Found";
}

/** What Drone said: the `message` of its JSON error body, shortened. */
export function droneMessage(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const message = (body as Record<string, unknown>).message;
  if (typeof message !== "string" || message.length === 0) return undefined;
  return message.length > 300 ? `${message.slice(0, 300)}...` : message;
}

/** What to do about a status that will not go away by retrying. */
export function statusAdvice(status: number): string {
  if (status === 401) {
    return "Drone refused the token: set a valid token of the platform's machine user with `pulumi config set --secret mlplatform:droneToken`, then run `pulumi up` again.";
  }
  if (status === 403) {
    return "The token's user lacks permission: Drone answers 403 to an inactive user (handler/api/acl/check.go) and to a user who is not a Drone administrator on administrators' routes (handler/api/acl/acl.go AuthorizeAdmin); the platform's Drone machine user must be a Drone administrator, active, with admin rights on the service repositories.";
  }
  if (status === 501) {
    return "This Drone server does not serve that route: it is the open-source build (built with `-tags oss`), whose handlers for repository and organisation secrets answer 501 Not Implemented (drone/drone handler/api/repos/secrets/none.go, handler/api/secrets/none.go). Run Drone's standard build (the drone/drone image), which serves secrets, then run `pulumi up` again.";
  }
  if (status === 404) {
    return "Drone does not know it: check the name, that the GitHub repository exists, and that the machine user can see it.";
  }
  if (status === 400 || status === 422)
    return "Drone rejected the request body: check the arguments.";
  return "Check the arguments and the Drone server's log.";
}

/** Encodes the segments of an API path: apiPath("repos", "acme", "svc") = /api/repos/acme/svc. */
export function apiPath(...segments: string[]): string {
  return `/api/${segments.map((s) => encodeURIComponent(s)).join("/")}`;
}

/** One HTTP exchange with Drone, failing after `timeoutMs` whatever the server does. */
function attemptOnce(
  connection: DroneConnection,
  call: DroneCall,
  timeoutMs: number,
): Promise<HttpReply> {
  return exchangeJson({
    baseUrl: connection.server,
    method: call.method,
    path: call.path,
    headers: {
      Authorization: `Bearer ${connection.token}`,
      Accept: "application/json",
      "User-Agent": "mlplatform-drone-provider",
    },
    body: call.body,
    timeoutMs,
    // Drone's answers are small; a huge body is kept only up to 1 MB.
    maxBodyBytes: 1_048_576,
  });
}

/**
 * Sends one call to Drone. Transient failures (timeouts, connection errors, 5xx, 429) are retried
 * with backoff within `policy`; any other status outside 2xx and `call.expect` fails at once.
 * Thrown errors are DroneErrors whose message names the operation, the subject, the HTTP status
 * and Drone's message, and never the token or a value in `call.redact`.
 */
export async function callDrone(
  connection: DroneConnection,
  call: DroneCall,
  policy: DroneRetryPolicy,
): Promise<DroneResponse> {
  const hidden = [connection.token, ...(call.redact ?? [])];
  const what = `Drone: could not ${call.operation} (${call.subject})`;
  const started = Date.now();
  const deadline = started + policy.maxElapsedMs;
  const attemptsAllowed = call.retry === false ? 1 : Math.max(1, policy.maxAttempts);
  for (let attempt = 1; ; attempt++) {
    const timeoutMs = Math.max(1, Math.min(policy.requestTimeoutMs, deadline - Date.now()));
    let failure: string;
    let status: number | undefined;
    try {
      const result = await attemptOnce(connection, call, timeoutMs);
      status = result.status;
      if ((status >= 200 && status < 300) || (call.expect ?? []).includes(status)) {
        return { status, body: result.body };
      }
      const said = droneMessage(result.body);
      failure = `HTTP ${status}${said ? ` (Drone says: "${said}")` : ""}`;
      const permanent = (call.permanent ?? []).find(
        (p) => p.status === status && said !== undefined && said !== bareStatusText(status),
      );
      if (permanent) {
        throw droneError(redact(`${what}: ${failure}. ${permanent.advice}`, hidden), {
          status,
          transient: false,
          attempts: attempt,
        });
      }
      if (!isTransientStatus(status)) {
        throw droneError(redact(`${what}: ${failure}. ${statusAdvice(status)}`, hidden), {
          status,
          transient: false,
          attempts: attempt,
        });
      }
    } catch (e) {
      if (isDroneError(e)) throw e;
      failure = `no response: ${messageOf(e)}`;
    }
    const delay = backoffDelay(attempt, policy);
    if (attempt >= attemptsAllowed || Date.now() + delay >= deadline) {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const tries = attempt === 1 ? "1 attempt" : `${attempt} attempts`;
      throw droneError(
        redact(
          `${what}: ${failure}, after ${tries} in ${seconds} s. Check that ${connection.server} is reachable and healthy, then run \`pulumi up\` again.`,
          hidden,
        ),
        { status, transient: true, attempts: attempt },
      );
    }
    console.warn(
      redact(
        `Drone: ${call.method} ${call.path}: ${failure}; retrying in ${delay} ms (attempt ${attempt + 1} of ${attemptsAllowed})`,
        hidden,
      ),
    );
    await sleep(delay);
  }
}
