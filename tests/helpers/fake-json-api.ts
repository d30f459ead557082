/**
 * Test fixture: the common part of the local fake API servers (Drone, GitHub's Git data API): an
 * HTTP server on 127.0.0.1 with an ephemeral port, a bearer-token check, a request log (never the
 * token), injected faults (a status with headers, optionally after serving, or a delay, for N
 * matching requests) and hooks run just before a matching request is served. A subclass routes
 * the requests. Not part of the product.
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
  /** Status answered; -1 while a delayed answer is pending. */
  status: number;
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

  /** What the API answers to an authorized request: status and JSON body. */
  protected abstract route(
    method: string,
    path: string,
    body: Record<string, unknown> | undefined,
  ): [number, unknown];

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
      const raw = (req.url ?? "/").split("?")[0];
      const path = this.decodePaths ? decodeURI(raw) : raw;
      const authorized = req.headers.authorization === `Bearer ${this.token}`;
      const entry: LoggedRequest = { method, path, body, authorized, status: 0 };
      this.requests.push(entry);
      const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
        entry.status = status;
        if (res.destroyed) return;
        res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", ...headers });
        res.end(payload === undefined ? "" : JSON.stringify(payload));
      };
      const fault = this.takeFault(method, path);
      const serve = () => {
        if (fault?.status !== undefined) {
          if (fault.afterServing && authorized) {
            this.runHooks(method, path);
            this.route(method, path, body);
          }
          const message = fault.message ?? http.STATUS_CODES[fault.status] ?? "error";
          send(fault.status, { message }, fault.headers);
        } else if (!authorized) {
          send(401, this.unauthorizedBody);
        } else {
          this.runHooks(method, path);
          const [status, payload] = this.route(method, path, body);
          send(status, payload);
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
