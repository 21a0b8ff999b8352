/**
 * `createNodeServer`: serves a Fetch handler with node:http.
 *
 * For handlers made by `createConnectHandler` it takes a fast path straight into the runtime's
 * core, skipping the WHATWG Request/Response objects (a large share of the cost of a small
 * request); any other `(Request) => Promise<Response>` is served through a Fetch conversion.
 *
 * Timeouts bound slow clients: headers must arrive within `headersTimeoutMs`, the whole request
 * within `requestTimeoutMs`, and idle keep-alive connections close after `keepAliveTimeoutMs`.
 * At most `maxConnections` connections are served at once; a request on one past the cap gets
 * 503 with Retry-After. A response sent before the request's body was read closes the
 * connection, so the body is never read (nor a timeout answered) on a socket already answered.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { errorBody, type OutgoingResponse } from "./errors.ts";
import { BodyTooLargeError, ClientClosedError, type IncomingExchange } from "./exchange.ts";
import { CORE, type CoreHandler } from "./handler.ts";

/** Bounds on slow and numerous clients for `createNodeServer`. */
export interface NodeServerOptions {
  /** Time allowed for the request headers (default 10 s). */
  headersTimeoutMs?: number;
  /** Time allowed for the whole request, body included (default 30 s). */
  requestTimeoutMs?: number;
  /** How long an idle keep-alive connection stays open (default 5 s). */
  keepAliveTimeoutMs?: number;
  /**
   * The most connections served at once (default 1,024). A request on a connection past the cap
   * gets 503 with `Retry-After` in the API's error shape, and the connection closes.
   */
  maxConnections?: number;
}

/** `http(s)://authority/path?query`: the absolute form a client may send to any server (RFC 9112 section 3.2.2). */
const ABSOLUTE_FORM = /^https?:\/\/([^/?#]*)([^#]*)/i;

/** The runtime's view of a node:http request: one object per request, methods on the prototype. */
class NodeExchange implements IncomingExchange {
  readonly method: string;
  readonly target: string;
  /** The authority of an absolute-form target, which replaces the Host header (RFC 9112 section 3.2.2). */
  readonly #authority: string | undefined;
  #controller: AbortController | undefined;

  constructor(
    readonly request: IncomingMessage,
    readonly response: ServerResponse,
    /** Whether the client waits for `100 Continue` before sending its body. */
    readonly expectsContinue = false,
  ) {
    this.method = request.method ?? "GET";
    const url = request.url ?? "/";
    const absolute = url.charCodeAt(0) === 47 /* "/" */ ? null : ABSOLUTE_FORM.exec(url);
    if (absolute) {
      // The string to sign holds the path and query; the authority stands in for Host.
      const rest = absolute[2]!;
      this.target = rest.startsWith("/") ? rest : `/${rest}`;
      this.#authority = absolute[1]!.slice(absolute[1]!.lastIndexOf("@") + 1);
    } else {
      this.target = url;
    }
  }

  header(name: string): string | undefined {
    if (name === "host" && this.#authority !== undefined) return this.#authority;
    const value = this.request.headers[name];
    return Array.isArray(value) ? value.join(", ") : value;
  }

  isRepeated(name: string): boolean {
    // node:http keeps the first of two Host or Authorization lines and drops the second; the raw list has both.
    const raw = this.request.rawHeaders;
    let seen = 0;
    for (let i = 0; i < raw.length; i += 2) {
      const header = raw[i]!;
      if (header.length === name.length && header.toLowerCase() === name && ++seen > 1) return true;
    }
    return false;
  }

  readBody(limit: number): Promise<Uint8Array> {
    const request = this.request;
    // Only now, with the credential checked, is the client invited to send its body.
    if (this.expectsContinue) this.response.writeContinue();
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
  const request = response.req;
  if (outgoing.drop) {
    response.destroy();
    return;
  }
  if (!request.complete) {
    // Answered before its body arrived (401, 413, 415, 503...): reading the rest would only cost,
    // and node:http would otherwise keep the socket and answer its request timeout on it too.
    outgoing.headers.connection = "close";
    response.once("finish", () => request.destroy());
  }
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
  const url = request.url ?? "/";
  const absolute = url.startsWith("/") ? null : ABSOLUTE_FORM.exec(url);
  const target = absolute ? `http://${absolute[1]}${absolute[2]!.startsWith("/") ? "" : "/"}${absolute[2]}` : `http://${request.headers.host ?? "localhost"}${url}`;
  const answer = await handle(new Request(target, init));
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
    // The pipeline answers a missing Host itself, in the API's error shape (node:http's 400 has no body).
    requireHostHeader: false,
    // Node checks the two timeouts on this interval (30 s by default), which would let short
    // timeouts overrun by up to that much.
    connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(Math.min(headersTimeout, requestTimeout) / 2))),
  });
  const core = (handle as unknown as Record<typeof CORE, CoreHandler | undefined>)[CORE];
  const counter = { requests: 0 };
  IN_FLIGHT.set(server, counter);
  const maxConnections = options.maxConnections ?? 1_024;
  if (!Number.isInteger(maxConnections) || maxConnections < 1) throw new RangeError(`maxConnections must be a positive integer, got ${String(maxConnections)}`);
  let connections = 0;
  const overCap = new WeakSet<object>();
  server.on("connection", (socket) => {
    connections++;
    socket.once("close", () => connections--);
    if (connections > maxConnections) overCap.add(socket);
  });

  const onRequest = (request: IncomingMessage, response: ServerResponse, expectsContinue: boolean) => {
    if (overCap.has(request.socket)) {
      send(response, {
        status: 503,
        headers: { ...JSON_HEADERS, "retry-after": "1", connection: "close" },
        body: errorBody("ServerBusy", `The server is serving ${maxConnections} connections, its maximum; retry after the time in Retry-After.`),
      });
      response.once("finish", () => request.destroy());
      return;
    }
    counter.requests++;
    const served = core
      ? core(new NodeExchange(request, response, expectsContinue)).then((outgoing) => send(response, outgoing))
      : (expectsContinue && response.writeContinue(), serveFetch(handle, request, response));
    served.then(
      () => counter.requests--,
      () => counter.requests--,
    );
    served.catch((error: unknown) => {
      if (error instanceof ClientClosedError) return;
      if (!response.headersSent) {
        send(response, {
          status: 500,
          headers: { ...JSON_HEADERS },
          body: errorBody("InternalServerError", "The server failed to process the request."),
        });
      } else {
        response.destroy();
      }
    });
  };
  server.on("request", (request: IncomingMessage, response: ServerResponse) => onRequest(request, response, false));
  // `Expect: 100-continue`: node:http would send 100 Continue at once; the pipeline sends it when
  // it reads the body, so a caller refused before that is never asked for it.
  server.on("checkContinue", (request: IncomingMessage, response: ServerResponse) => onRequest(request, response, true));

  // Any other expectation is refused in the API's shape.
  server.on("checkExpectation", (request: IncomingMessage, response: ServerResponse) => {
    send(response, {
      status: 417,
      headers: { ...JSON_HEADERS },
      body: errorBody("ExpectationFailed", `The expectation ${request.headers.expect ?? ""} is not supported; only 100-continue is.`, { target: "Expect" }),
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
