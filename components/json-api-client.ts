/**
 * One client for the JSON APIs the dynamic providers call (Drone, GitHub): bearer token, JSON
 * bodies, a timeout per attempt (./http-exchange.ts), retries with capped exponential backoff and
 * jitter, bounded in attempts and in total time, the token and named values redacted from every
 * message, and errors for users (message only, no stack trace: the provider host prints `stack`).
 *
 * What differs per API is its policy: how an answer is judged (returned, followed, refused or
 * retried, and how long the API asks to wait), what a message says, and what runs before each
 * attempt (GitHub's write pacing). drone/client.ts and github/git-client.ts hold those rules, each
 * with the API's documentation or code it follows.
 */
import { exchangeJson, HttpReply } from "./http-exchange";

/** Retry and timeout limits of one API's calls. */
export interface RetryLimits {
  /** Attempts of one request, the first one included. */
  maxAttempts: number;
  /** Time one request may take with all its retries, in milliseconds. */
  maxElapsedMs: number;
  /** Delay before the first retry, in milliseconds; doubled at each further retry. */
  initialDelayMs: number;
  /** Longest backoff between two attempts, in milliseconds. */
  maxDelayMs: number;
  /** Timeout of one attempt (connect, send, receive), in milliseconds. */
  requestTimeoutMs: number;
}

/** The fields of an error thrown by the client (`name` is the API's, e.g. "DroneError"). */
export interface ApiError extends Error {
  /** HTTP status of the last attempt; undefined when no response came (timeout, connection). */
  status?: number;
  /** Whether the failure was transient (the call may succeed later). */
  transient: boolean;
  /** Attempts made. */
  attempts: number;
}

/** An error for users: message only, its stack the message too. */
export function apiError(
  name: string,
  message: string,
  fields: { status?: number; transient: boolean; attempts: number },
): ApiError {
  const error = new Error(message) as ApiError;
  error.name = name;
  error.status = fields.status;
  error.transient = fields.transient;
  error.attempts = fields.attempts;
  error.stack = `${name}: ${message}`;
  return error;
}

/** Duck-typed: errors may come from another realm (node's own modules under a test sandbox). */
export function isApiError(e: unknown, name: string): e is ApiError {
  return typeof e === "object" && e !== null && (e as { name?: unknown }).name === name;
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

/** Delay before retry number `retry` (1-based): exponential, capped, with jitter. */
export function backoffDelay(retry: number, limits: RetryLimits): number {
  const ceiling = Math.min(limits.maxDelayMs, limits.initialDelayMs * 2 ** (retry - 1));
  // Half fixed, half random: spreads concurrent retries without ever dropping to zero.
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What an API's rules make of one answer. */
export type Verdict =
  /** Hand the answer to the caller (2xx, or a status the call expects). */
  | { kind: "return" }
  /** Repeat the request at another path (a redirect); not counted as an attempt. */
  | { kind: "follow"; path: string }
  /** Fail at once, not transient; `message` is the whole text. */
  | { kind: "refuse"; message: string }
  /** Transient: try again after at least `wait` ms; `advice` ends the message if it persists. */
  | { kind: "retry"; failure: string; wait?: number; advice?: string };

/** One API's rules for one call. */
export interface ApiPolicy {
  /** Name in messages and errors: "Drone" gives `Drone: ...` warnings and DroneErrors. */
  api: string;
  baseUrl: string;
  token: string;
  method: string;
  path: string;
  body?: unknown;
  /** Headers besides Authorization. */
  headers: Record<string, string>;
  /** Bytes of an answer kept. */
  maxBodyBytes: number;
  limits: RetryLimits;
  /** Values never shown (besides the token). */
  redact?: string[];
  /** `Drone: could not activate (repository acme/svc)`: how a failure message starts. */
  what: string;
  /** The verdict on an answer at `path`. */
  judge(reply: HttpReply, path: string, attempt: number): Verdict;
  /** Waited before each attempt (e.g. a write slot), in ms; extends the deadline by as much. */
  beforeAttempt?(path: string): Promise<number>;
  /** `after <tries> in 3.1 s`: "1 attempt", "3 attempts" or "3 attempt(s)". */
  tries(attempts: number): string;
  /** What to do when no answer came in time, or a retried one persists without its own advice. */
  unreachable: string;
}

/**
 * Sends one call: follows what the policy says of each answer, retries transient failures
 * (connection errors, timeouts, and what the policy retries) with backoff or the wait the API
 * asks for, within the attempts and the deadline. Resolves with the answer and the path it came
 * from; rejects with an ApiError named for the API, whose message never holds a hidden value.
 */
export async function callJsonApi(policy: ApiPolicy): Promise<HttpReply & { path: string }> {
  const hidden = [policy.token, ...(policy.redact ?? [])];
  const errorName = `${policy.api}Error`;
  const started = Date.now();
  let deadline = started + policy.limits.maxElapsedMs;
  const attemptsAllowed = Math.max(1, policy.limits.maxAttempts);
  let path = policy.path;
  for (let attempt = 1; ; attempt++) {
    if (policy.beforeAttempt) deadline += await policy.beforeAttempt(path);
    const timeoutMs = Math.max(1, Math.min(policy.limits.requestTimeoutMs, deadline - Date.now()));
    let failure: string;
    let status: number | undefined;
    let wait = 0;
    let advice: string | undefined;
    try {
      const reply = await exchangeJson({
        baseUrl: policy.baseUrl,
        method: policy.method,
        path,
        headers: { Authorization: `Bearer ${policy.token}`, ...policy.headers },
        body: policy.body,
        timeoutMs,
        maxBodyBytes: policy.maxBodyBytes,
      });
      status = reply.status;
      const verdict = policy.judge(reply, path, attempt);
      if (verdict.kind === "return") return { ...reply, path };
      if (verdict.kind === "follow") {
        path = verdict.path;
        attempt--;
        continue;
      }
      if (verdict.kind === "refuse") {
        throw apiError(errorName, redact(verdict.message, hidden), {
          status,
          transient: false,
          attempts: attempt,
        });
      }
      failure = verdict.failure;
      wait = verdict.wait ?? 0;
      advice = verdict.advice;
    } catch (e) {
      if (isApiError(e, errorName)) throw e;
      failure = `no response: ${messageOf(e)}`;
    }
    const delay = Math.max(wait, backoffDelay(attempt, policy.limits));
    if (attempt >= attemptsAllowed || Date.now() + delay >= deadline) {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      throw apiError(
        errorName,
        redact(
          `${policy.what}: ${failure}, after ${policy.tries(attempt)} in ${seconds} s. ${advice ?? policy.unreachable}`,
          hidden,
        ),
        { status, transient: true, attempts: attempt },
      );
    }
    console.warn(
      redact(
        `${policy.api}: ${policy.method} ${path}: ${failure}; retrying in ${delay} ms (attempt ${attempt + 1} of ${attemptsAllowed})`,
        hidden,
      ),
    );
    await sleep(delay);
  }
}
