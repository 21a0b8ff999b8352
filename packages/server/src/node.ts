/**
 * `createNodeServer`: serves a Fetch handler with node:http.
 *
 * For handlers made by `createConnectHandler` it takes a fast path straight into the runtime's
 * core, skipping the WHATWG Request/Response objects (a large share of the cost of a small
 * request); any other `(Request) => Promise<Response>` is served through a Fetch conversion.
 *
 * Timeouts bound slow clients: headers must arrive within `headersTimeoutMs`, the whole request
 * within `requestTimeoutMs`, and idle keep-alive connections close after `keepAliveTimeoutMs`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { errorBody, type OutgoingResponse } from "./errors.ts";
import { BodyTooLargeError, type IncomingExchange } from "./exchange.ts";
import { CORE, type CoreHandler } from "./handler.ts";

export interface NodeServerOptions {
  /** Time allowed for the request headers (default 10 s). */
  headersTimeoutMs?: number;
  /** Time allowed for the whole request, body included (default 30 s). */
  requestTimeoutMs?: number;
  /** How long an idle keep-alive connection stays open (default 5 s). */
  keepAliveTimeoutMs?: number;
}

/** Thrown by a node exchange's readBody when the client goes away mid-body. */
class ClientClosedError extends Error {
  override readonly name = "ClientClosedError";
}

/** The runtime's view of a node:http request: one object per request, methods on the prototype. */
class NodeExchange implements IncomingExchange {
  readonly method: string;
  readonly target: string;
  #controller: AbortController | undefined;

  constructor(
    readonly request: IncomingMessage,
    readonly response: ServerResponse,
  ) {
    this.method = request.method ?? "GET";
    this.target = request.url ?? "/";
  }

  header(name: string): string | undefined {
    const value = this.request.headers[name];
    return Array.isArray(value) ? value.join(", ") : value;
  }

  readBody(limit: number): Promise<Uint8Array> {
    const request = this.request;
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        request.removeAllListeners("data");
        reject(error);
      };
      request.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) fail(new BodyTooLargeError(limit));
        else chunks.push(chunk);
      });
      // `on`, not `once`: each fires at most once per request anyway, and `once` wraps every listener.
      request.on("end", () => {
        if (settled) return;
        settled = true;
        resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
      });
      request.on("error", fail);
      // Built only when needed: an Error's stack trace is costly on every request.
      request.on("close", () => settled || fail(new ClientClosedError("The client closed the connection before sending the whole body.")));
    });
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      const created = new AbortController();
      this.#controller = created;
      const response = this.response;
      if (response.destroyed && !response.writableFinished) created.abort();
      else response.once("close", () => response.writableFinished || created.abort());
    }
    return this.#controller.signal;
  }
}

function send(response: ServerResponse, outgoing: OutgoingResponse): void {
  if (response.headersSent || response.destroyed) return;
  response.writeHead(outgoing.status, outgoing.headers);
  response.end(outgoing.body);
}

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };

/** Serves a request through a Fetch handler that is not ours. */
async function serveFetch(
  handle: (request: Request) => Promise<Response>,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const controller = new AbortController();
  response.once("close", () => response.writableFinished || controller.abort());
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  const method = request.method ?? "GET";
  const init: RequestInit & { duplex?: "half" } = { method, headers, signal: controller.signal };
  if (method !== "GET" && method !== "HEAD") {
    init.body = Readable.toWeb(request) as ReadableStream<Uint8Array>;
    init.duplex = "half";
  }
  const answer = await handle(new Request(`http://${request.headers.host ?? "localhost"}${request.url ?? "/"}`, init));
  response.writeHead(answer.status, Object.fromEntries(answer.headers));
  if (answer.body) Readable.fromWeb(answer.body as import("node:stream/web").ReadableStream).pipe(response);
  else response.end();
}

/**
 * Creates a node:http server for a Fetch handler; call `listen` on it as usual.
 *
 * @example
 * ```ts
 * const server = createNodeServer(createConnectHandler({ connect, auth: { accessKey } }));
 * server.listen(8080, "127.0.0.1");
 * ```
 */
export function createNodeServer(handle: (request: Request) => Promise<Response>, options: NodeServerOptions = {}): Server {
  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  const server = createServer({
    headersTimeout,
    requestTimeout,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 5_000,
    // Node checks the two timeouts on this interval (30 s by default), which would let short
    // timeouts overrun by up to that much.
    connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(Math.min(headersTimeout, requestTimeout) / 2))),
  });
  const core = (handle as unknown as Record<typeof CORE, CoreHandler | undefined>)[CORE];
  const counter = { requests: 0 };
  IN_FLIGHT.set(server, counter);

  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    counter.requests++;
    const served = core
      ? core(new NodeExchange(request, response)).then((outgoing) => {
          send(response, outgoing);
          // A body refused half-way is not read further; the connection closes instead.
          if (outgoing.headers.connection === "close") response.once("finish", () => request.destroy());
        })
      : serveFetch(handle, request, response);
    served.then(
      () => counter.requests--,
      () => counter.requests--,
    );
    served.catch((error: unknown) => {
      if (error instanceof ClientClosedError) return;
      if (!response.headersSent) {
        send(response, {
          status: 500,
          headers: JSON_HEADERS,
          body: errorBody("InternalServerError", "The server failed to process the request."),
        });
      } else {
        response.destroy();
      }
    });
  });

  // Malformed requests and timeouts are answered in the API's error shape too.
  server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || error.code === "ECONNRESET") {
      socket.destroy();
      return;
    }
    const [status, code, message] =
      error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? [408, "RequestTimeout", "The request was not received in time."]
        : error.code === "HPE_HEADER_OVERFLOW"
          ? [431, "RequestHeaderFieldsTooLarge", "The request headers are too large."]
          : [400, "BadRequest", "The request is not valid HTTP/1.1."];
    const body = errorBody(code, message);
    socket.end(
      `HTTP/1.1 ${status} ${code}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  return server;
}

const IN_FLIGHT = new WeakMap<Server, { requests: number }>();

/** How many requests a server made by {@link createNodeServer} is answering right now. */
export function requestsInFlight(server: Server): number {
  return IN_FLIGHT.get(server)?.requests ?? 0;
}

/**
 * Stops accepting connections, lets requests in flight finish, closes idle keep-alive
 * connections, and after `timeoutMs` (default 10 s) closes whatever is left.
 */
export function closeGracefully(server: Server, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
    timer.unref();
    server.close((error) => {
      clearTimeout(timer);
      if (error && (error as NodeJS.ErrnoException).code !== "ERR_SERVER_NOT_RUNNING") reject(error);
      else resolve();
    });
    server.closeIdleConnections();
  });
}
