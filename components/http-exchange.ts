/**
 * One HTTP exchange with a JSON API over node's own http/https, failing after a timeout whatever
 * the server does. Shared by the dynamic providers (Drone, GitHub's Git data), whose code is
 * serialized into the Pulumi state and run by the engine's provider host: so it is
 * self-contained, and node built-ins are `require`d when called.
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

/** Sends one request and resolves with the answer; rejects on timeout or connection error. */
export function exchangeJson(exchange: HttpExchange): Promise<HttpReply> {
  const base = new URL(exchange.baseUrl);
  const transport: typeof import("https") =
    // Required when called: this code also runs from its serialized form (see the file comment).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    base.protocol === "https:" ? require("https") : require("http");
  const payload =
    exchange.body === undefined ? undefined : Buffer.from(JSON.stringify(exchange.body));
  const headers: Record<string, string | number> = { ...exchange.headers };
  if (payload) {
    headers["Content-Type"] = "application/json";
    headers["Content-Length"] = payload.length;
  }
  return new Promise<HttpReply>((resolve, reject) => {
    let settled = false;
    // Declared before use: the closure serializer does not follow forward references.
    let timer: ReturnType<typeof setTimeout> | undefined = undefined;
    const finish = (error: Error | undefined, result?: HttpReply) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(result as HttpReply);
    };
    const request = transport.request(
      {
        protocol: base.protocol,
        hostname: base.hostname.replace(/^\[(.*)\]$/, "$1"),
        port: base.port || undefined,
        path: `${base.pathname.replace(/\/+$/, "")}${exchange.path}`,
        method: exchange.method,
        headers,
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size <= exchange.maxBodyBytes) chunks.push(chunk);
        });
        response.on("error", (e) => finish(e));
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body: unknown;
          try {
            body = text.length > 0 ? JSON.parse(text) : undefined;
          } catch {
            body = undefined;
          }
          finish(undefined, {
            status: response.statusCode ?? 0,
            body,
            headers: response.headers,
          });
        });
      },
    );
    timer = setTimeout(() => {
      const error = new Error(`no answer within ${exchange.timeoutMs} ms`);
      request.destroy(error);
      finish(error);
    }, exchange.timeoutMs);
    request.on("error", (e) => finish(e));
    if (payload) request.write(payload);
    request.end();
  });
}
