/**
 * One HTTP exchange with a JSON API (Node's global fetch), failing after a timeout whatever the
 * server does. Shared by the dynamic providers (Drone, GitHub's Git data), which the engine's
 * provider host runs from the package @mlplatform/dynamic-providers (./dynamic-providers.ts).
 */

export interface HttpExchange {
  /** Base URL of the API, e.g. https://api.github.com or https://drone.example.com. */
  baseUrl: string;
  method: string;
  /** Path under the base URL, segments already encoded. */
  path: string;
  headers: Record<string, string | number>;
  /** Sent as JSON when set. */
  body?: unknown;
  /** Timeout of the whole exchange (connect, send, receive), in milliseconds. */
  timeoutMs: number;
  /** Bytes of the answer kept; a longer body is cut (and then usually not JSON). */
  maxBodyBytes: number;
}

export interface HttpReply {
  status: number;
  /** Parsed JSON body, or undefined when the body is empty or not JSON. */
  body: unknown;
  /** Response headers, names in lower case. */
  headers: Record<string, string | string[] | undefined>;
}

/** The first `max` bytes of a body; the rest is not read (the stream is cancelled). */
async function readCapped(response: Response, max: number): Promise<string> {
  if (response.body === null) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value.subarray(0, Math.max(0, max - size)));
    size += value.length;
    if (size >= max) {
      await reader.cancel();
      break;
    }
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** What went wrong, in the words of the cause (fetch wraps socket errors in "fetch failed"). */
function failureMessage(e: unknown, timeoutMs: number): string {
  const error = e as { name?: unknown; message?: unknown; cause?: { message?: unknown } };
  if (error?.name === "TimeoutError") return `no answer within ${timeoutMs} ms`;
  const cause = error?.cause?.message;
  return typeof cause === "string" && cause !== "" ? cause : String(error?.message ?? e);
}

/**
 * Sends one request with Node's global fetch and resolves with the answer; rejects on timeout
 * (AbortSignal.timeout: connect, send and the whole body) or connection error. Redirects are not
 * followed: the caller decides (`redirect: "manual"` hands back the 3xx with its location).
 * https://nodejs.org/docs/latest-v20.x/api/globals.html#fetch,
 * https://nodejs.org/docs/latest-v20.x/api/globals.html#static-method-abortsignaltimeoutdelay
 */
export async function exchangeJson(exchange: HttpExchange): Promise<HttpReply> {
  const base = exchange.baseUrl.replace(/\/+$/, "");
  const headers: Record<string, string> = Object.fromEntries(
    Object.entries(exchange.headers).map(([k, v]) => [k, String(v)]),
  );
  if (exchange.body !== undefined) headers["Content-Type"] = "application/json";
  let response: Response;
  let text: string;
  try {
    response = await fetch(`${base}${exchange.path}`, {
      method: exchange.method,
      headers,
      body: exchange.body === undefined ? undefined : JSON.stringify(exchange.body),
      redirect: "manual",
      signal: AbortSignal.timeout(exchange.timeoutMs),
    });
    text = await readCapped(response, exchange.maxBodyBytes);
  } catch (e) {
    const error = new Error(failureMessage(e, exchange.timeoutMs));
    error.stack = error.message;
    throw error;
  }
  let body: unknown;
  try {
    body = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  const replyHeaders: Record<string, string> = {};
  // Headers iterate with lower-case names.
  response.headers.forEach((value, name) => (replyHeaders[name] = value));
  return { status: response.status, body, headers: replyHeaders };
}
