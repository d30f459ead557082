/**
 * A small client for GitHub's REST API (the Git data endpoints the commit provider uses): bearer
 * token, JSON bodies, a timeout per attempt, and retries with exponential backoff on timeouts,
 * connection errors, 5xx and rate limits (429, or 403 with `retry-after` or an exhausted
 * `x-ratelimit-remaining`), honouring the wait GitHub asks for, bounded in attempts and in time.
 * Any other 4xx fails at once, with advice.
 *
 * This code is serialized into the Pulumi state with the provider and run by the engine's
 * provider host (see ../http-exchange.ts): it is self-contained, and errors are plain `Error`s.
 * No message ever carries the token: every text goes through `redactText` first.
 */
import { exchangeJson } from "../http-exchange";

/** Retry and timeout limits of every GitHub call. */
export interface GitHubRetryPolicy {
  /** Attempts of one request, the first one included. */
  maxAttempts: number;
  /** Time one request may take with all its retries (rate-limit waits included), in ms. */
  maxElapsedMs: number;
  /** Delay before the first retry, in ms; doubled at each further retry. */
  initialDelayMs: number;
  /** Longest backoff between two attempts, in ms (a rate-limit wait GitHub names may be longer). */
  maxDelayMs: number;
  /** Timeout of one attempt, in ms. */
  requestTimeoutMs: number;
  /** Times a commit is rebuilt when the branch moved while it was being made. */
  conflictAttempts: number;
}

/** Limits used by `pulumi up`: eight attempts within five minutes, 30 s per attempt. */
export const DEFAULT_GITHUB_RETRY_POLICY: Readonly<GitHubRetryPolicy> = {
  maxAttempts: 8,
  maxElapsedMs: 300_000,
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
  requestTimeoutMs: 30_000,
  conflictAttempts: 3,
};

/** Where GitHub's API is and who calls it. */
export interface GitHubConnection {
  /** Base URL of the REST API: https://api.github.com, or https://HOST/api/v3 on GitHub Enterprise Server. */
  apiUrl: string;
  token: string;
}

export interface GitHubCall {
  method: "GET" | "POST" | "PATCH";
  /** Path under the API URL, segments already encoded. */
  path: string;
  body?: Record<string, unknown>;
  /** What the call does, for messages: `create the commit`. */
  operation: string;
  /** What it acts on, for messages: `repository acme/churn-model`. */
  subject: string;
  /** Statuses handed back to the caller instead of failing (e.g. 422 of a ref that exists). */
  expect?: number[];
  /** Statuses retried like a 5xx: 404 and 409 while a new repository's first commit appears. */
  retryOn?: number[];
}

export interface GitHubReply {
  status: number;
  body: unknown;
}

/** The fields of an error thrown by `callGitHub`. */
export interface GitHubError extends Error {
  name: "GitHubError";
  status?: number;
  transient: boolean;
  attempts: number;
}

export function isGitHubError(e: unknown): e is GitHubError {
  return typeof e === "object" && e !== null && (e as { name?: unknown }).name === "GitHubError";
}

/** An error for users: message only, no stack trace (the provider host prints `stack`). */
export function gitHubError(
  message: string,
  fields: { status?: number; transient: boolean; attempts: number },
): GitHubError {
  const error = new Error(message) as GitHubError;
  error.name = "GitHubError";
  error.status = fields.status;
  error.transient = fields.transient;
  error.attempts = fields.attempts;
  error.stack = `GitHubError: ${message}`;
  return error;
}

/** Replaces every occurrence of each value by [secret]. */
export function redactText(text: string, values: readonly string[]): string {
  let out = text;
  for (const v of [...values].filter((x) => x.length > 0).sort((a, b) => b.length - a.length)) {
    out = out.split(v).join("[secret]");
  }
  return out;
}

/** Encodes the segments of an API path: repoPath("acme", "svc") = /repos/acme/svc. */
export function repoPath(owner: string, repository: string): string {
  return `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repository)}`;
}

/** A branch as a ref path: heads/<segments>, each segment encoded, slashes kept. */
export function headsPath(branch: string): string {
  return `heads/${branch.split("/").map(encodeURIComponent).join("/")}`;
}

/** What GitHub said: its JSON error `message`, shortened. */
export function gitHubMessage(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const message = (body as Record<string, unknown>).message;
  if (typeof message !== "string" || message.length === 0) return undefined;
  return message.length > 300 ? `${message.slice(0, 300)}...` : message;
}

/** What to do about a status that retrying will not fix. */
export function gitHubAdvice(status: number): string {
  if (status === 401) {
    return "GitHub refused the token: set a valid one with `pulumi config set --secret mlplatform:githubToken`, then run `pulumi up` again.";
  }
  if (status === 403) {
    return "The token lacks permission: it needs Contents read and write on the organisation's service repositories.";
  }
  if (status === 404) {
    return "GitHub does not show it to this token: check the organisation, the repository name and the token's repository access.";
  }
  if (status === 409) {
    return "The repository has no commit yet: it must be created with an initial commit (autoInit).";
  }
  if (status === 422) return "GitHub rejected the request: check the file paths and branch names.";
  return "Check the arguments and https://www.githubstatus.com.";
}

/**
 * How long GitHub asks to wait before the next attempt, in ms, or undefined when the answer is
 * not a rate limit. Primary limit: 403/429 with `x-ratelimit-remaining: 0` (wait until
 * `x-ratelimit-reset`); secondary limit: 403/429 with `retry-after` seconds.
 */
export function rateLimitWait(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  now: number,
): number | undefined {
  if (status !== 403 && status !== 429) return undefined;
  const header = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const retryAfter = Number(header("retry-after"));
  if (header("retry-after") !== undefined && Number.isFinite(retryAfter)) {
    return Math.max(0, retryAfter * 1000);
  }
  if (header("x-ratelimit-remaining") === "0") {
    const reset = Number(header("x-ratelimit-reset"));
    return Number.isFinite(reset) ? Math.max(0, reset * 1000 - now) : 60_000;
  }
  return status === 429 ? 0 : undefined;
}

function backoff(retry: number, policy: GitHubRetryPolicy): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (retry - 1));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

/**
 * Sends one call to GitHub. Transient failures are retried within `policy`; any other status
 * outside 2xx and `call.expect` fails at once. Errors name the operation, the subject, the HTTP
 * status and GitHub's message, never the token.
 */
export async function callGitHub(
  connection: GitHubConnection,
  call: GitHubCall,
  policy: GitHubRetryPolicy,
): Promise<GitHubReply> {
  const hidden = [connection.token];
  const what = `GitHub: could not ${call.operation} (${call.subject})`;
  const started = Date.now();
  const deadline = started + policy.maxElapsedMs;
  for (let attempt = 1; ; attempt++) {
    const timeoutMs = Math.max(1, Math.min(policy.requestTimeoutMs, deadline - Date.now()));
    let failure: string;
    let status: number | undefined;
    let wait = 0;
    try {
      const reply = await exchangeJson({
        baseUrl: connection.apiUrl,
        method: call.method,
        path: call.path,
        headers: {
          Authorization: `Bearer ${connection.token}`,
          Accept: "application/vnd.github+json",
          "X-GitHub-Api-Version": "2022-11-28",
          "User-Agent": "mlplatform-github-commit-provider",
        },
        body: call.body,
        timeoutMs,
        maxBodyBytes: 4_194_304,
      });
      status = reply.status;
      if ((status >= 200 && status < 300) || (call.expect ?? []).includes(status)) {
        return { status, body: reply.body };
      }
      const said = gitHubMessage(reply.body);
      failure = `HTTP ${status}${said ? ` (GitHub says: "${said}")` : ""}`;
      const limited = rateLimitWait(status, reply.headers, Date.now());
      const transient =
        status >= 500 || limited !== undefined || (call.retryOn ?? []).includes(status);
      if (!transient) {
        throw gitHubError(redactText(`${what}: ${failure}. ${gitHubAdvice(status)}`, hidden), {
          status,
          transient: false,
          attempts: attempt,
        });
      }
      wait = limited ?? 0;
    } catch (e) {
      if (isGitHubError(e)) throw e;
      const message = typeof e === "object" && e !== null ? (e as Error).message : String(e);
      failure = `no response: ${message}`;
    }
    const delay = Math.max(wait, backoff(attempt, policy));
    if (attempt >= policy.maxAttempts || Date.now() + delay >= deadline) {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const waited = (call.retryOn ?? []).includes(status ?? 0);
      const advice =
        wait > 0
          ? `GitHub's rate limit asks for ${Math.ceil(wait / 1000)} s more; run \`pulumi up\` again later (it resumes where it stopped).`
          : waited
            ? gitHubAdvice(status!)
            : `Check that ${connection.apiUrl} is reachable, then run \`pulumi up\` again.`;
      throw gitHubError(
        redactText(
          `${what}: ${failure}, after ${attempt} attempt(s) in ${seconds} s. ${advice}`,
          hidden,
        ),
        { status, transient: true, attempts: attempt },
      );
    }
    console.warn(
      redactText(
        `GitHub: ${call.method} ${call.path}: ${failure}; retrying in ${delay} ms (attempt ${attempt + 1} of ${policy.maxAttempts})`,
        hidden,
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
