/**
 * A small client for GitHub's REST API (the Git data endpoints the commit provider uses): bearer
 * token, JSON bodies, a timeout per attempt, and retries with exponential backoff on timeouts,
 * connection errors, 5xx and rate limits, honouring the wait GitHub asks for, bounded in attempts
 * and in time. Any other 4xx fails at once, with advice and GitHub's `errors[]`.
 *
 * GitHub's rules it follows (each cited where it is applied):
 * - rate limits: 403/429 with `retry-after`, or `x-ratelimit-remaining: 0`, or neither (a
 *   secondary limit: wait at least a minute, longer each time) ("Rate limits for the REST API",
 *   "Exceeding the rate limit");
 * - content creation: about 80 content-generating requests a minute and 500 an hour; writes are
 *   paced process-wide (`paceContentWrite`) ("About secondary rate limits");
 * - redirects: 301/302/307/308 are followed to the `location` GitHub names, on the API's own
 *   origin only, and a 301 is remembered for the rest of the operation (a renamed or transferred
 *   repository) ("Best practices for using the REST API", "Follow redirects");
 * - 422 bodies carry `errors[]` with `code`, `field`, `resource` or a `message` ("Troubleshooting
 *   the REST API", "Validation Failed"): they are kept in the message.
 *
 * The retry loop, timeouts and redaction are the one JSON API client's (../json-api-client.ts);
 * this file holds GitHub's rules. No message ever carries the token.
 */
import { apiError, callJsonApi, isApiError, redact } from "../json-api-client";

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
  /**
   * Content-creating requests (tree, commit, ref) allowed per `contentWriteWindowMs`, for the
   * whole process, i.e. every GitCommit of the deployment: they are spaced evenly, one every
   * `contentWriteWindowMs / contentWritesPerWindow`. Default 8 a minute (see DEFAULT_CONTENT_PACE).
   */
  contentWritesPerWindow?: number;
  /** The window of `contentWritesPerWindow`, in ms. Default 60,000. */
  contentWriteWindowMs?: number;
}

/**
 * GitHub allows "no more than 80 content-generating requests per minute and no more than 500
 * content-generating requests per hour", shared by everything the token's user does (web
 * interface included) (docs.github.com, "Rate limits for the REST API", "About secondary rate
 * limits"; github/docs data/reusables/rest-api/secondary-rate-limit-rest-graphql.md). 8 a minute
 * is 480 an hour: inside both limits, and one write every 7.5 s, well over the "wait at least one
 * second between each request" of "Best practices for using the REST API" ("Pause between
 * mutative requests").
 */
export const DEFAULT_CONTENT_PACE = { contentWritesPerWindow: 8, contentWriteWindowMs: 60_000 };

/** Limits used by `pulumi up`: eight attempts within five minutes, 30 s per attempt. */
export const DEFAULT_GITHUB_RETRY_POLICY: Readonly<GitHubRetryPolicy> = {
  maxAttempts: 8,
  maxElapsedMs: 300_000,
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
  requestTimeoutMs: 30_000,
  conflictAttempts: 3,
  ...DEFAULT_CONTENT_PACE,
};

/** A secondary rate limit that names no wait: "wait for at least one minute before retrying". */
export const SECONDARY_LIMIT_WAIT_MS = 60_000;

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
  /**
   * Answers retried like a 5xx when GitHub's message matches, whatever the status (and before
   * `expect`): the intermittent 422 "Reference update failed" of a ref creation.
   */
  retryOnMessage?: RegExp;
  /** What to advise when `retryOnMessage` answers persist. */
  retryOnMessageAdvice?: string;
  /** A content-creating request (POST or PATCH of a Git object or ref): paced, see paceContentWrite. */
  createsContent?: boolean;
}

export interface GitHubReply {
  status: number;
  body: unknown;
  /**
   * Set when GitHub answered 301 or 308 (moved permanently) and the request was repeated at the
   * new location: the new path, under the API URL, of this request. "You should update your code
   * to use this URL for future requests" (Best practices for using the REST API).
   */
  movedTo?: string;
}

/** The fields of an error thrown by `callGitHub`. */
export interface GitHubError extends Error {
  name: "GitHubError";
  status?: number;
  transient: boolean;
  attempts: number;
}

export function isGitHubError(e: unknown): e is GitHubError {
  return isApiError(e, "GitHubError");
}

/** An error for users: message only, no stack trace (the provider host prints `stack`). */
export function gitHubError(
  message: string,
  fields: { status?: number; transient: boolean; attempts: number },
): GitHubError {
  return apiError("GitHubError", message, fields) as GitHubError;
}

/** Replaces every occurrence of each value by [secret]. */
export function redactText(text: string, values: readonly string[]): string {
  return redact(text, values);
}

/** Encodes the segments of an API path: repoPath("acme", "svc") = /repos/acme/svc. */
export function repoPath(owner: string, repository: string): string {
  return `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repository)}`;
}

/** A branch as a ref path: heads/<segments>, each segment encoded, slashes kept. */
export function headsPath(branch: string): string {
  return `heads/${branch.split("/").map(encodeURIComponent).join("/")}`;
}

/**
 * One entry of a 422's `errors[]`: its `message` when it has one (code `custom`: "Refer to the
 * message property"), else `resource.field code` (docs.github.com, "Troubleshooting the REST
 * API", "Validation Failed": codes missing, missing_field, invalid, already_exists,
 * unprocessable, custom).
 */
function describeGitHubError(entry: unknown): string | undefined {
  if (typeof entry === "string") return entry.length > 0 ? entry : undefined;
  if (typeof entry !== "object" || entry === null) return undefined;
  const e = entry as Record<string, unknown>;
  if (typeof e.message === "string" && e.message.length > 0) return e.message;
  const where = [e.resource, e.field].filter((x) => typeof x === "string" && x !== "").join(".");
  const code = typeof e.code === "string" ? e.code : "";
  const text = [where, code].filter((x) => x !== "").join(" ");
  return text === "" ? undefined : text;
}

/** What GitHub said: its JSON error `message` and the entries of its `errors[]`, shortened. */
export function gitHubMessage(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const raw = body as Record<string, unknown>;
  const message = typeof raw.message === "string" ? raw.message : "";
  const details = (Array.isArray(raw.errors) ? raw.errors : [])
    .map(describeGitHubError)
    .filter((x): x is string => x !== undefined);
  const text = [message, details.join("; ")].filter((x) => x !== "").join(": ");
  if (text.length === 0) return undefined;
  return text.length > 500 ? `${text.slice(0, 500)}...` : text;
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
 * Whether a 403's body says it is a secondary rate limit: its message ("You have exceeded a
 * secondary rate limit") or its documentation_url (go-github's CheckResponse reads an
 * AbuseRateLimitError from a documentation_url ending in "#abuse-rate-limits" or
 * "secondary-rate-limits"). A 403 without it is a permission problem, never retried.
 */
export function isSecondaryRateLimit(body: unknown): boolean {
  if (typeof body !== "object" || body === null) return false;
  const b = body as Record<string, unknown>;
  const message = typeof b.message === "string" ? b.message : "";
  const docs = typeof b.documentation_url === "string" ? b.documentation_url : "";
  return (
    /secondary rate limit|abuse detection/i.test(message) ||
    /(#abuse-rate-limits|secondary-rate-limits)$/.test(docs)
  );
}

/**
 * How long GitHub asks to wait before the next attempt, in ms, or undefined when the answer is
 * not a rate limit. In GitHub's order (docs.github.com, "Rate limits for the REST API",
 * "Exceeding the rate limit"): "If the retry-after response header is present, you should not
 * retry your request until after that many seconds has elapsed. If the x-ratelimit-remaining
 * header is 0, you should not retry your request until after the time ... specified by the
 * x-ratelimit-reset header. Otherwise, wait for at least one minute before retrying. If your
 * request continues to fail due to a secondary rate limit, wait for an exponentially increasing
 * amount of time between retries". A 429 is always a rate limit; a 403 without either header is
 * one only when its body says so (isSecondaryRateLimit). `earlier` counts the header-less limits
 * this request met before: the minute doubles each time.
 */
export function rateLimitWait(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  now: number,
  body?: unknown,
  earlier = 0,
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
    return Number.isFinite(reset) ? Math.max(0, reset * 1000 - now) : SECONDARY_LIMIT_WAIT_MS;
  }
  if (status === 429 || isSecondaryRateLimit(body)) {
    return SECONDARY_LIMIT_WAIT_MS * 2 ** Math.min(Math.max(0, earlier), 6);
  }
  return undefined;
}

/**
 * Reserves the next slot for a content-creating request to `apiUrl` and returns how long to wait
 * for it, in ms. The slots live on `globalThis`, so every GitCommit the provider host runs in
 * this process (one deployment) shares them, however many copies of this code it loaded: writes
 * go out one every `window / perWindow` ms, never more than `perWindow` in any window.
 */
export function paceContentWrite(apiUrl: string, policy: GitHubRetryPolicy, now: number): number {
  const perWindow = policy.contentWritesPerWindow ?? DEFAULT_CONTENT_PACE.contentWritesPerWindow;
  const windowMs = policy.contentWriteWindowMs ?? DEFAULT_CONTENT_PACE.contentWriteWindowMs;
  if (!(perWindow > 0) || !(windowMs > 0)) return 0;
  const interval = windowMs / perWindow;
  const store = globalThis as unknown as { __mlplatformGitHubWriteSlots?: Record<string, number> };
  if (store.__mlplatformGitHubWriteSlots === undefined) store.__mlplatformGitHubWriteSlots = {};
  const slots = store.__mlplatformGitHubWriteSlots;
  const at = Math.max(now, slots[apiUrl] ?? 0);
  slots[apiUrl] = at + interval;
  return Math.ceil(at - now);
}

/** Redirect statuses followed: 301 and 308 permanent, 302 and 307 temporary. */
const REDIRECTS = [301, 302, 307, 308];
/** Redirects followed for one request before giving up. */
const MAX_REDIRECTS = 5;

/**
 * The path, under the API URL, a redirect's `location` names; undefined when it leaves the API
 * (another scheme, host, port or path prefix): the token is never sent anywhere else.
 */
export function redirectPath(apiUrl: string, location: string, from: string): string | undefined {
  let api: URL;
  let target: URL;
  try {
    api = new URL(apiUrl);
    const base = `${api.origin}${api.pathname.replace(/\/+$/, "")}`;
    target = new URL(location, `${base}${from}`);
  } catch {
    return undefined;
  }
  if (target.origin !== api.origin || target.username !== "" || target.password !== "") {
    return undefined;
  }
  const prefix = api.pathname.replace(/\/+$/, "");
  if (prefix !== "" && !target.pathname.startsWith(`${prefix}/`)) return undefined;
  return `${target.pathname.slice(prefix.length)}${target.search}`;
}

/**
 * Sends one call to GitHub (../json-api-client.ts with GitHub's rules). Transient failures are
 * retried within `policy`; any other status outside 2xx and `call.expect` fails at once. Errors
 * name the operation, the subject, the HTTP status and GitHub's message, never the token. A
 * content-creating call waits for its slot (paceContentWrite) before each attempt; that wait does
 * not count against `maxElapsedMs`.
 */
export async function callGitHub(
  connection: GitHubConnection,
  call: GitHubCall,
  policy: GitHubRetryPolicy,
): Promise<GitHubReply> {
  const what = `GitHub: could not ${call.operation} (${call.subject})`;
  let movedTo: string | undefined;
  let redirects = 0;
  let secondaryLimits = 0;
  const reply = await callJsonApi({
    api: "GitHub",
    baseUrl: connection.apiUrl,
    token: connection.token,
    method: call.method,
    path: call.path,
    body: call.body,
    headers: {
      Accept: "application/vnd.github+json",
      "X-GitHub-Api-Version": "2022-11-28",
      "User-Agent": "mlplatform-github-commit-provider",
    },
    maxBodyBytes: 4_194_304,
    limits: policy,
    what,
    beforeAttempt: async (path) => {
      if (!call.createsContent) return 0;
      const slot = paceContentWrite(connection.apiUrl, policy, Date.now());
      if (slot <= 0) return 0;
      // Said at most once a minute for the whole process: a large first deployment queues
      // hundreds of writes.
      const said = globalThis as unknown as { __mlplatformGitHubPaceSaid?: number };
      if (slot >= 5_000 && Date.now() - (said.__mlplatformGitHubPaceSaid ?? 0) >= 60_000) {
        said.__mlplatformGitHubPaceSaid = Date.now();
        console.warn(
          `GitHub: ${call.method} ${path}: waiting ${Math.ceil(slot / 1000)} s for a write slot (GitHub allows about 80 content-creating requests a minute and 500 an hour; the platform makes at most ${policy.contentWritesPerWindow ?? DEFAULT_CONTENT_PACE.contentWritesPerWindow} every ${Math.round((policy.contentWriteWindowMs ?? DEFAULT_CONTENT_PACE.contentWriteWindowMs) / 1000)} s)`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, slot));
      return slot;
    },
    judge: (answer, path) => {
      const status = answer.status;
      if (REDIRECTS.includes(status) && !(call.expect ?? []).includes(status)) {
        const header = answer.headers.location;
        const location = Array.isArray(header) ? header[0] : header;
        const next =
          location === undefined ? undefined : redirectPath(connection.apiUrl, location, path);
        if (next === undefined || redirects >= MAX_REDIRECTS) {
          return {
            kind: "refuse",
            message: `${what}: HTTP ${status} to ${location === undefined ? "no location" : JSON.stringify(location.slice(0, 200))}: ${next === undefined ? `not followed (only redirects within ${connection.apiUrl} are, so the token goes nowhere else)` : `more than ${MAX_REDIRECTS} redirects`}. Check mlplatform:githubApiUrl and the repository's name on GitHub.`,
          };
        }
        redirects++;
        if (status === 301 || status === 308) {
          movedTo = next;
          console.warn(
            redactText(
              `GitHub: ${call.method} ${path}: moved permanently (HTTP ${status}) to ${next}; following it (${call.subject} was renamed or transferred on GitHub)`,
              [connection.token],
            ),
          );
        }
        return { kind: "follow", path: next };
      }
      if (status >= 200 && status < 300) return { kind: "return" };
      const said = gitHubMessage(answer.body);
      const retriedMessage =
        call.retryOnMessage !== undefined && call.retryOnMessage.test(said ?? "");
      if (!retriedMessage && (call.expect ?? []).includes(status)) return { kind: "return" };
      const failure = `HTTP ${status}${said ? ` (GitHub says: "${said}")` : ""}`;
      const limited = rateLimitWait(
        status,
        answer.headers,
        Date.now(),
        answer.body,
        secondaryLimits,
      );
      if (
        limited !== undefined &&
        answer.headers["retry-after"] === undefined &&
        answer.headers["x-ratelimit-remaining"] !== "0"
      ) {
        secondaryLimits++;
      }
      const retried = (call.retryOn ?? []).includes(status);
      if (!(status >= 500 || limited !== undefined || retriedMessage || retried)) {
        return { kind: "refuse", message: `${what}: ${failure}. ${gitHubAdvice(status)}` };
      }
      const wait = limited ?? 0;
      return {
        kind: "retry",
        failure,
        wait,
        advice:
          wait > 0
            ? `GitHub's rate limit asks for ${Math.ceil(wait / 1000)} s more; run \`pulumi up\` again later (it resumes where it stopped).`
            : retriedMessage && call.retryOnMessageAdvice
              ? call.retryOnMessageAdvice
              : retried
                ? gitHubAdvice(status)
                : undefined,
      };
    },
    tries: (n) => `${n} attempt(s)`,
    unreachable: `Check that ${connection.apiUrl} is reachable, then run \`pulumi up\` again.`,
  });
  return { status: reply.status, body: reply.body, ...(movedTo !== undefined ? { movedTo } : {}) };
}
