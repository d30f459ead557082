/**
 * Test fixture: the common part of the local fake API servers (Drone, GitHub's Git data API): an
 * HTTP server on 127.0.0.1 with an ephemeral port, a bearer-token check, a request log (never the
 * token), injected faults (a status with headers, optionally after serving, or a delay, for N
 * matching requests) and hooks run just before a matching request is served. A subclass routes
 * the requests; a route may also answer later (`defer`), as a server that works while the request
 * is open does, and learns when the client gave up first. Not part of the product.
 */
import * as http from "http";
import { AddressInfo } from "net";

export interface LoggedRequest {
  method: string;
  /** Path without the query (decoded where the subclass asks for it). */
  path: string;
  /** Parsed JSON body (undefined when none). */
  body: Record<string, unknown> | undefined;
  /** Whether the bearer token matched (the token itself is not kept). */
  authorized: boolean;
  /**
   * Status answered; -1 while a delayed answer is pending; 499 when the client went away before a
   * deferred answer (nginx's "client closed request").
   */
  status: number;
  /** The query string without "?", when the request had one. */
  query?: string;
}

/**
 * A route's answer given after `delayMs`, computed then. When the client goes away first, `answer`
 * never runs (`aborted` does): what the route would have done with the request is cancelled.
 */
export interface DeferredAnswer {
  deferred: true;
  delayMs: number;
  answer: () => [number, unknown];
  aborted?: () => void;
}

export interface Fault {
  /** Only requests with this method (any when unset). */
  method?: string;
  /** Only requests whose path starts with this (any when unset). */
  pathPrefix?: string;
  /** How many matching requests it applies to. */
  count: number;
  /** Answer with this status instead of serving the request. */
  status?: number;
  /** With `status`: the `message` of the error body. Defaults to the status text. */
  message?: string;
  /** With `status`: the whole error body instead of `{ message }` (an API's `errors[]`, ...). */
  body?: Record<string, unknown>;
  /** With `status`: serve the request first (its effect happens), then answer with `status`. */
  afterServing?: boolean;
  /** With `status`: response headers (retry-after, x-ratelimit-remaining, ...). */
  headers?: Record<string, string>;
  /** Serve the request (or answer the status) only after this delay, in milliseconds. */
  delayMs?: number;
}

export interface RequestHook {
  method?: string;
  pathPrefix?: string;
  /** How many matching requests it runs before (Infinity: every one). */
  count: number;
  run: () => void;
}

type Matcher = { method?: string; pathPrefix?: string; count: number };

function isDeferred(result: [number, unknown] | DeferredAnswer): result is DeferredAnswer {
  return !Array.isArray(result) && result.deferred === true;
}

function matches(m: Matcher, method: string, path: string): boolean {
  return (
    m.count > 0 &&
    (m.method === undefined || m.method === method) &&
    (m.pathPrefix === undefined || path.startsWith(m.pathPrefix))
  );
}

export abstract class FakeJsonApi {
  readonly requests: LoggedRequest[] = [];
  url = "";
  private readonly faults: Fault[] = [];
  private readonly hooks: RequestHook[] = [];
  private readonly pending = new Set<NodeJS.Timeout>();
  private server!: http.Server;

  protected constructor(
    private readonly token: string,
    /** The body of a 401 (each API words it its own way). */
    private readonly unauthorizedBody: Record<string, unknown>,
    /** Whether logged and routed paths are URI-decoded. */
    private readonly decodePaths: boolean,
  ) {}

  /**
   * What the API answers to an authorized request: status and JSON body, now or later (`defer`).
   * `query` holds the request's query parameters (a route may ignore it).
   */
  protected abstract route(
    method: string,
    path: string,
    body: Record<string, unknown> | undefined,
    query?: URLSearchParams,
  ): [number, unknown] | DeferredAnswer;

  /**
   * Response headers of a routed answer (a redirect's `location`, ...). None unless a subclass
   * says otherwise.
   */
  protected answerHeaders(_status: number, _payload: unknown): Record<string, string> {
    return {};
  }

  /** An answer given after `delayMs` unless the client goes away first (see DeferredAnswer). */
  protected defer(
    delayMs: number,
    answer: () => [number, unknown],
    aborted?: () => void,
  ): DeferredAnswer {
    return { deferred: true, delayMs, answer, aborted };
  }

  protected async listen(): Promise<void> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Injects a fault for the next `count` matching requests. */
  inject(fault: Fault): void {
    this.faults.push({ ...fault });
  }

  /** Runs `hook.run` just before each of the next `count` matching requests is served. */
  before(hook: RequestHook): void {
    this.hooks.push({ ...hook });
  }

  /** Requests whose method and path match. */
  calls(method: string, path: string): LoggedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path === path);
  }

  private takeFault(method: string, path: string): Fault | undefined {
    const fault = this.faults.find((f) => matches(f, method, path));
    if (fault) fault.count--;
    return fault;
  }

  private runHooks(method: string, path: string): void {
    for (const hook of this.hooks) {
      if (matches(hook, method, path)) {
        hook.count--;
        hook.run();
      }
    }
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      let body: Record<string, unknown> | undefined;
      try {
        body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
      } catch {
        body = undefined;
      }
      const method = req.method ?? "GET";
      const [raw, queryText] = (req.url ?? "/").split("?", 2);
      const path = this.decodePaths ? decodeURI(raw) : raw;
      const query = new URLSearchParams(queryText ?? "");
      const authorized = req.headers.authorization === `Bearer ${this.token}`;
      const entry: LoggedRequest = { method, path, body, authorized, status: 0 };
      if (queryText !== undefined) entry.query = queryText;
      this.requests.push(entry);
      const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
        entry.status = status;
        if (res.destroyed) return;
        res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", ...headers });
        res.end(payload === undefined ? "" : JSON.stringify(payload));
      };
      const fault = this.takeFault(method, path);
      /** Answers now, or later for a deferred answer unless the client went away first. */
      const answerWith = (result: [number, unknown] | DeferredAnswer) => {
        if (!isDeferred(result)) {
          send(result[0], result[1], this.answerHeaders(result[0], result[1]));
          return;
        }
        entry.status = -1;
        let settled = false;
        const t = setTimeout(() => {
          this.pending.delete(t);
          if (settled) return;
          settled = true;
          const [status, payload] = result.answer();
          send(status, payload, this.answerHeaders(status, payload));
        }, result.delayMs);
        this.pending.add(t);
        res.on("close", () => {
          if (settled || res.writableEnded) return;
          settled = true;
          clearTimeout(t);
          this.pending.delete(t);
          entry.status = 499;
          result.aborted?.();
        });
      };
      const serve = () => {
        if (fault?.status !== undefined) {
          if (fault.afterServing && authorized) {
            this.runHooks(method, path);
            const served = this.route(method, path, body, query);
            if (isDeferred(served)) served.answer();
          }
          const message = fault.message ?? http.STATUS_CODES[fault.status] ?? "error";
          send(fault.status, fault.body ?? { message }, fault.headers);
        } else if (!authorized) {
          send(401, this.unauthorizedBody);
        } else {
          this.runHooks(method, path);
          answerWith(this.route(method, path, body, query));
        }
      };
      if (fault?.delayMs) {
        entry.status = -1;
        const t = setTimeout(() => {
          this.pending.delete(t);
          serve();
        }, fault.delayMs);
        this.pending.add(t);
      } else {
        serve();
      }
    });
  }
}
