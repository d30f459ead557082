/**
 * Drone's rules for the one JSON API client (../json-api-client.ts): retries on timeouts,
 * connection errors, 5xx and 429, bounded both in attempts and in total time. A 4xx fails at once,
 * and so do the 5xx that Drone answers for good: a 501 (a route the open-source build does not
 * serve) and the 500s a call names as permanent (e.g. a webhook GitHub refused). Errors are plain
 * `Error`s with fields rather than a class (they may cross module realms).
 *
 * Error and log text never carries the token or a secret value: every message goes through
 * `redact` with the values the caller names, and the token is always among them.
 */

import {
  apiError,
  backoffDelay,
  callJsonApi,
  isApiError,
  messageOf,
  redact,
  sleep,
} from "../json-api-client";

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
  return isApiError(e, "DroneError");
}

export { backoffDelay, messageOf, redact, sleep };

/** An error for users: message only, no stack trace (the provider host prints `stack`). */
export function droneError(
  message: string,
  fields: { status?: number; transient: boolean; attempts: number },
): DroneError {
  return apiError("DroneError", message, fields) as DroneError;
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

/**
 * Sends one call to Drone (../json-api-client.ts with Drone's rules). Transient failures
 * (timeouts, connection errors, 5xx but 501, 429) are retried with backoff within `policy`; any
 * other status outside 2xx and `call.expect` fails at once, and so do the `call.permanent` ones.
 * Thrown errors are DroneErrors whose message names the operation, the subject, the HTTP status
 * and Drone's message, and never the token or a value in `call.redact`.
 */
export async function callDrone(
  connection: DroneConnection,
  call: DroneCall,
  policy: DroneRetryPolicy,
): Promise<DroneResponse> {
  const what = `Drone: could not ${call.operation} (${call.subject})`;
  const reply = await callJsonApi({
    api: "Drone",
    baseUrl: connection.server,
    token: connection.token,
    method: call.method,
    path: call.path,
    body: call.body,
    headers: { Accept: "application/json", "User-Agent": "mlplatform-drone-provider" },
    // Drone's answers are small; a huge body is kept only up to 1 MB.
    maxBodyBytes: 1_048_576,
    limits: { ...policy, maxAttempts: call.retry === false ? 1 : policy.maxAttempts },
    redact: call.redact,
    what,
    judge: (answer) => {
      const status = answer.status;
      if ((status >= 200 && status < 300) || (call.expect ?? []).includes(status)) {
        return { kind: "return" };
      }
      const said = droneMessage(answer.body);
      const failure = `HTTP ${status}${said ? ` (Drone says: "${said}")` : ""}`;
      const permanent = (call.permanent ?? []).find(
        (p) => p.status === status && said !== undefined && said !== bareStatusText(status),
      );
      if (permanent) return { kind: "refuse", message: `${what}: ${failure}. ${permanent.advice}` };
      if (!isTransientStatus(status)) {
        return { kind: "refuse", message: `${what}: ${failure}. ${statusAdvice(status)}` };
      }
      return { kind: "retry", failure };
    },
    tries: (n) => (n === 1 ? "1 attempt" : `${n} attempts`),
    unreachable: `Check that ${connection.server} is reachable and healthy, then run \`pulumi up\` again.`,
  });
  return { status: reply.status, body: reply.body };
}
