/**
 * `createConnectHandler`: the Connect operation as a Fetch API handler,
 * `(request: Request) => Promise<Response>`, driven by the generated route table and
 * validators.
 *
 * A request passes, in order (see `pipeline`): framing (400 for a missing or repeated Host or a
 * repeated Authorization, 417), routing (404, 405), credentials (401, all but the signature, before
 * any body byte is read), the body's size, media type and share of the bytes in flight (413, 415,
 * 503), the signature over the bytes received (401), parameters (400), the JSON body (400),
 * repeatability (400, 412, 409, 503 when the store is unreachable, replay) and finally the handler. Every failure is a
 * `CommunicationErrorResponse` naming the field or header at fault.
 */
import { hash, randomUUID } from "node:crypto";
import type { CallConnectionProperties, ConnectRequest } from "@acs-connect/types";
import { checkCredential, compileAuth, contentHash, verifySignature, type AuthFailure, type AuthOptions, type Credential } from "./auth.ts";
import { errorResponse, ServiceError, type OutgoingResponse } from "./errors.ts";
import { BodyTooLargeError, ClientClosedError, readLimited, type IncomingExchange } from "./exchange.ts";
import { apiVersion, routes, type ConnectHandler, type ConnectParameters, type Route } from "./generated/stubs/index.ts";
import { requestValidators, responseValidators, type SchemaValidator } from "./generated/validators/validators.gen.js";
import { MemoryRepeatabilityStore, type RepeatabilityClaim, type RepeatabilityStore, type StoredResponse } from "./repeatability.ts";
import { parseImfFixdate } from "./generated/runtime/runtime.gen.ts";
import { bodyProblems, jsonPath, queryValue, readParameters } from "./validation.ts";

/** What a handler learns about the request besides its body. */
export interface ConnectContext {
  /** The query and header parameters, validated, by their generated keys. */
  readonly parameters: ConnectParameters;
  /** This exchange's `x-ms-request-id`, also on the response and in log entries. */
  readonly requestId: string;
  /** How the caller authenticated. */
  readonly auth: { readonly scheme: "hmac" | "bearer" };
  /** Reads a request header by name. */
  header(name: string): string | undefined;
  /** Aborted when the client disconnects before the response is sent. */
  readonly signal: AbortSignal;
}

/** A structured log entry; it never holds credentials, signatures or bodies. */
export interface LogEntry {
  message: string;
  requestId?: string;
  method?: string;
  path?: string;
  status?: number;
  durationMs?: number;
  error?: unknown;
}

/** Where the runtime reports requests and failures. Any method may be left out. */
export interface Logger {
  /** Events that are normal on the internet but may help debugging, e.g. a client that abandoned its upload. */
  debug?(entry: LogEntry): void;
  info?(entry: LogEntry): void;
  warn?(entry: LogEntry): void;
  error?(entry: LogEntry): void;
}

/** What `createConnectHandler` is configured with. */
export interface ConnectHandlerOptions {
  /** Implements Connect: gets the validated request, returns the call connection. */
  connect: ConnectHandler<ConnectContext>;
  /** How callers authenticate: the access key (HMAC-SHA256), a bearer-token verifier, or both. */
  auth: AuthOptions;
  /** Where repeatable requests are remembered (default: a new MemoryRepeatabilityStore). */
  repeatabilityStore?: RepeatabilityStore;
  /** How long a Repeatability-Request-ID is remembered after its First-Sent date (default 5 min). */
  repeatabilityWindowMs?: number;
  /** How far x-ms-date may be from the server's clock (default 5 min). */
  clockSkewMs?: number;
  /** The largest accepted body (default 1 MiB). */
  maxBodyBytes?: number;
  /**
   * The most body bytes being received at once, over all requests (default 64 MiB). A request
   * whose body would pass it gets 503 with Retry-After; the declared Content-Length is counted,
   * or `maxBodyBytes` for a chunked body, so it must be at least `maxBodyBytes`.
   */
  maxBodyBytesInFlight?: number;
  /** How long a repeat waits for the first request of its id to finish before a 409 (default 10 s). */
  inFlightWaitMs?: number;
  /**
   * Validate what the handler returns against CallConnectionProperties and answer 500 naming
   * the path at fault when it does not match (default: on unless NODE_ENV is "production").
   */
  validateResponses?: boolean;
  /** Receives one entry per request and every unexpected error. */
  logger?: Logger;
  /** The clock, for tests. */
  now?: () => number;
}

/** The Fetch handler `createConnectHandler` returns. */
export interface ConnectFetchHandler {
  (request: Request): Promise<Response>;
}

/**
 * The transport-independent core, reached by `createNodeServer` without Fetch objects. Internal:
 * not exported from the package, so that the exchange shape can change without a major release.
 */
export const CORE: unique symbol = Symbol.for("acs-connect.server.core");

/** The core's signature: one exchange in, one response out. */
export type CoreHandler = (exchange: IncomingExchange) => Promise<OutgoingResponse>;

const JSON_TYPE = "application/json; charset=utf-8";
/** Decoding is stateless between calls (no `stream` option), so one decoder serves all requests. */
const UTF8 = new TextDecoder("utf-8", { fatal: true });
const MINUTES_5 = 5 * 60 * 1000;

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
}

function compileRoutes(): CompiledRoute[] {
  return routes.map((route) => ({
    route,
    pattern: new RegExp(
      `^${route.path
        .split(/(\{[^}]+\})/)
        .map((part) => (part.startsWith("{") ? "([^/]+)" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
        .join("")}$`,
    ),
  }));
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive number of milliseconds (or bytes), got ${String(value)}`);
  }
  return value;
}

/**
 * Creates the Connect operation's handler.
 *
 * @example
 * ```ts
 * const handle = createConnectHandler({
 *   connect: async (request) => ({ callConnectionId: crypto.randomUUID(), callConnectionState: "connecting", callbackUri: request.callbackUri }),
 *   auth: { accessKey: process.env.ACS_ACCESS_KEY! },
 * });
 * createNodeServer(handle).listen(8080, "127.0.0.1");
 * ```
 */
export function createConnectHandler(options: ConnectHandlerOptions): ConnectFetchHandler {
  if (typeof options?.connect !== "function") throw new TypeError("createConnectHandler needs connect: (request, context) => CallConnectionProperties.");
  const auth = compileAuth(options.auth);
  const store = options.repeatabilityStore ?? new MemoryRepeatabilityStore();
  const windowMs = positive("repeatabilityWindowMs", options.repeatabilityWindowMs, MINUTES_5);
  const clockSkewMs = positive("clockSkewMs", options.clockSkewMs, MINUTES_5);
  const maxBodyBytes = positive("maxBodyBytes", options.maxBodyBytes, 1024 * 1024);
  const maxBodyBytesInFlight = positive("maxBodyBytesInFlight", options.maxBodyBytesInFlight, 64 * 1024 * 1024);
  if (maxBodyBytesInFlight < maxBodyBytes) {
    throw new RangeError(`maxBodyBytesInFlight (${maxBodyBytesInFlight}) must be at least maxBodyBytes (${maxBodyBytes}), or no chunked body could ever be received.`);
  }
  let bodyBytesInFlight = 0;
  const inFlightWaitMs = positive("inFlightWaitMs", options.inFlightWaitMs, 10_000);
  const validateResponses = options.validateResponses ?? process.env.NODE_ENV !== "production";
  const logger = options.logger ?? {};
  const now = options.now ?? Date.now;
  const compiled = compileRoutes();
  const handlers: Record<string, ConnectHandler<ConnectContext>> = { connect: options.connect };

  async function handle(exchange: IncomingExchange): Promise<OutgoingResponse> {
    const requestId = randomUUID();
    const started = logger.info ? performance.now() : 0;
    const queryAt = exchange.target.indexOf("?");
    const rawPath = queryAt === -1 ? exchange.target : exchange.target.slice(0, queryAt);
    const repeatable = exchange.header("repeatability-request-id") !== undefined || exchange.header("repeatability-first-sent") !== undefined;
    let outcome: Outcome;
    try {
      outcome = await pipeline(exchange, rawPath, queryAt === -1 ? "" : exchange.target.slice(queryAt + 1), requestId);
    } catch (error) {
      if (error instanceof ClientClosedError || exchange.signal.aborted) {
        // Nobody is left to answer; an abandoned upload is routine, not a server failure.
        logger.debug?.({ message: "client closed the connection before the request was complete", requestId, method: exchange.method, path: rawPath });
      } else {
        logger.error?.({ message: "unexpected failure", requestId, method: exchange.method, path: rawPath, error });
      }
      outcome = rejected(internalError(requestId));
    }
    const response = outcome.response;
    response.headers["x-ms-request-id"] = requestId;
    if (repeatable) response.headers["repeatability-result"] = outcome.executed ? "accepted" : "rejected";
    logger.info?.({
      message: "request",
      requestId,
      method: exchange.method,
      path: rawPath,
      status: response.status,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
    });
    return response;
  }

  /**
   * The steps a request passes, top to bottom. Each step returns either a Rejection (answered
   * as is, the handler not called) or what the next step needs.
   */
  async function pipeline(exchange: IncomingExchange, rawPath: string, rawQuery: string, requestId: string): Promise<Outcome> {
    const framed = framing(exchange);
    if (framed instanceof Rejection) return rejected(framed.response);

    const route = routing(exchange.method, rawPath);
    if (route instanceof Rejection) return rejected(route.response);

    const time = now();
    const checked = credentials(exchange, time);
    // HMAC is settled synchronously: awaiting it would cost a turn of the event loop per request.
    const credential = checked instanceof Promise ? await checked : checked;
    if (credential instanceof Rejection) return rejected(credential.response);

    const bytes = await body(exchange, route);
    if (bytes instanceof Rejection) return rejected(bytes.response);

    const bodyHash = contentHash(bytes);
    const signed = signature(exchange, credential, bodyHash);
    if (signed instanceof Rejection) return rejected(signed.response);

    const parameters = parametersOf(exchange, route, rawQuery);
    if (parameters instanceof Rejection) return rejected(parameters.response);

    const payload = requestBody(route, bytes);
    if (payload instanceof Rejection) return rejected(payload.response);

    const call: Call = {
      route,
      payload,
      context: new RequestContext(parameters, requestId, credential.scheme === "hmac" ? HMAC_AUTH : BEARER_AUTH, exchange),
      exchange,
    };
    if (parameters.repeatabilityRequestID === undefined || parameters.repeatabilityFirstSent === undefined) {
      return { response: await invoke(call), executed: true };
    }
    return repeatability(call, credential.principal, parameters.repeatabilityRequestID, parameters.repeatabilityFirstSent, fingerprintOf(exchange, bodyHash), time);
  }

  /**
   * Framing: one Host and one Authorization (RFC 9112 section 3.2: two Host lines are a 400;
   * two credentials leave it open which one a proxy checked), and no expectation but 100-continue.
   */
  function framing(exchange: IncomingExchange): true | Rejection {
    for (const name of ["Host", "Authorization"]) {
      if (exchange.isRepeated(name.toLowerCase())) {
        return new Rejection(errorResponse(400, "DuplicateHeader", `The ${name} header must appear once.`, { target: name }));
      }
    }
    if (exchange.header("host") === undefined) {
      return new Rejection(errorResponse(400, "MissingHeader", "The Host header is missing; HTTP/1.1 requires it.", { target: "Host" }));
    }
    const expect = exchange.header("expect");
    if (expect !== undefined && expect.trim().toLowerCase() !== "100-continue") {
      return new Rejection(errorResponse(417, "ExpectationFailed", `The expectation ${expect} is not supported; only 100-continue is.`, { target: "Expect" }));
    }
    return true;
  }

  /** Routing: the path (its colon may arrive percent-encoded) and the method, 404 or 405. */
  function routing(method: string, rawPath: string): Route | Rejection {
    let path = rawPath;
    if (rawPath.includes("%")) {
      try {
        path = decodeURIComponent(rawPath);
      } catch {
        return new Rejection(errorResponse(404, "NotFound", "No operation has this path."));
      }
    }
    let pathKnown = false;
    for (const candidate of compiled) {
      if (!candidate.pattern.test(path)) continue;
      if (candidate.route.method === method) return candidate.route;
      pathKnown = true;
    }
    if (!pathKnown) return new Rejection(errorResponse(404, "NotFound", `No operation has the path ${path}.`, { target: "path" }));
    const allow = [...new Set(compiled.filter((candidate) => candidate.pattern.test(path)).map((candidate) => candidate.route.method))].join(", ");
    return new Rejection(errorResponse(405, "MethodNotAllowed", `${path} accepts ${allow}, not ${method}.`, { target: "method", headers: { allow } }));
  }

  /**
   * Credentials: everything that does not need the body (the scheme, the signature's form,
   * x-ms-date, the content hash's presence, a bearer token's verdict), so that a caller who
   * cannot authenticate never gets a byte of its body buffered.
   */
  function credentials(exchange: IncomingExchange, time: number): Credential | Rejection | Promise<Credential | Rejection> {
    const checked = checkCredential(exchange, auth, time, clockSkewMs);
    const settle = (credential: Credential | AuthFailure) => ("scheme" in credential ? credential : unauthorized(credential.message, credential.challenge ?? auth.challenge));
    return checked instanceof Promise ? checked.then(settle) : settle(checked);
  }

  /**
   * The body: its size from Content-Length, its media type, charset and encoding, a share of the
   * bytes in flight, then the bytes themselves (413 past the limit).
   */
  async function body(exchange: IncomingExchange, route: Route): Promise<Uint8Array | Rejection> {
    const declaredLength = exchange.header("content-length");
    const declared = declaredLength === undefined ? undefined : Number(declaredLength);
    if (declared !== undefined && declared > maxBodyBytes) {
      return new Rejection(
        errorResponse(413, "PayloadTooLarge", `The request body is larger than ${maxBodyBytes} bytes.`, { target: "body", headers: { connection: "close" } }),
      );
    }
    const hasBody = (declared !== undefined && declared !== 0) || exchange.header("transfer-encoding") !== undefined;
    const media = mediaProblem(exchange, route, hasBody);
    if (media) return media;
    // Bytes of bodies being received right now, over all requests: the memory an upload flood can take.
    const reserved = !hasBody ? 0 : (declared ?? maxBodyBytes);
    if (reserved > 0 && bodyBytesInFlight + reserved > maxBodyBytesInFlight) {
      return new Rejection(
        errorResponse(503, "ServerBusy", "The server is receiving too many request bodies at once; retry after the time in Retry-After.", {
          headers: { "retry-after": "1", connection: "close" },
        }),
      );
    }
    bodyBytesInFlight += reserved;
    try {
      return await exchange.readBody(maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        return new Rejection(errorResponse(413, "PayloadTooLarge", error.message, { target: "body", headers: { connection: "close" } }));
      }
      throw error;
    } finally {
      bodyBytesInFlight -= reserved;
    }
  }

  /** The media type the route reads, UTF-8 and no content coding: 415 naming the header otherwise. */
  function mediaProblem(exchange: IncomingExchange, route: Route, hasBody: boolean): Rejection | undefined {
    const encoding = exchange.header("content-encoding");
    if (encoding !== undefined && encoding.trim() !== "" && encoding.trim().toLowerCase() !== "identity") {
      return new Rejection(
        errorResponse(415, "UnsupportedMediaType", `The request body must not be encoded; Content-Encoding ${encoding} is not supported.`, {
          target: "Content-Encoding",
        }),
      );
    }
    const contentType = exchange.header("content-type");
    if (!route.body || (!hasBody && contentType === undefined)) return undefined;
    const [type, ...parameters] = (contentType ?? "").split(";");
    if (type!.trim().toLowerCase() !== route.body.contentType) {
      return new Rejection(
        errorResponse(415, "UnsupportedMediaType", `The request body must be ${route.body.contentType}${contentType ? `, not ${contentType}` : ""}.`, {
          target: "Content-Type",
        }),
      );
    }
    for (const parameter of parameters) {
      const [name, value = ""] = parameter.split("=");
      if (name!.trim().toLowerCase() !== "charset") continue;
      const charset = value.trim().replace(/^"(.*)"$/, "$1").toLowerCase();
      if (charset !== "utf-8" && charset !== "utf8") {
        return new Rejection(
          errorResponse(415, "UnsupportedMediaType", `The request body must be UTF-8, not charset ${charset}.`, { target: "Content-Type" }),
        );
      }
    }
    return undefined;
  }

  /** The signature: for HMAC, the content hash and the signature over the bytes received. */
  function signature(exchange: IncomingExchange, credential: Credential, bodyHash: string): true | Rejection {
    const failure = verifySignature(exchange, credential, bodyHash, auth.key);
    return failure ? unauthorized(failure.message, auth.challenge) : true;
  }

  /** Parameters: api-version first (it decides how everything else is read), then each declared one. */
  function parametersOf(exchange: IncomingExchange, route: Route, rawQuery: string): ConnectParameters | Rejection {
    const version = queryValue(rawQuery, "api-version");
    if (version !== undefined && version !== "" && version !== apiVersion) {
      return new Rejection(
        errorResponse(400, "UnsupportedApiVersion", `The api-version ${version} is not supported; this server implements ${apiVersion}.`, {
          target: "api-version",
        }),
      );
    }
    const values: Record<string, string> = {};
    const problem = readParameters(route.parameters, rawQuery, exchange, values);
    if (problem) return new Rejection(errorResponse(400, problem.code, problem.message, { target: problem.target }));
    const parameters = values as unknown as ConnectParameters;
    if ((parameters.repeatabilityRequestID === undefined) !== (parameters.repeatabilityFirstSent === undefined)) {
      const missing = parameters.repeatabilityRequestID === undefined ? "Repeatability-Request-ID" : "Repeatability-First-Sent";
      const present = parameters.repeatabilityRequestID === undefined ? "Repeatability-First-Sent" : "Repeatability-Request-ID";
      return new Rejection(errorResponse(400, "MissingParameter", `The header ${missing} is required with ${present}.`, { target: missing }));
    }
    return parameters;
  }

  /** The request body as JSON, validated against the route's schema. */
  function requestBody(route: Route, bytes: Uint8Array): ConnectRequest | Rejection {
    if (!route.body) return undefined as unknown as ConnectRequest;
    if (bytes.byteLength === 0) {
      return route.body.required
        ? new Rejection(errorResponse(400, "MissingBody", "The request body is required.", { target: "body" }))
        : (undefined as unknown as ConnectRequest);
    }
    let payload: unknown;
    try {
      payload = JSON.parse(UTF8.decode(bytes));
    } catch (error) {
      const reason = error instanceof SyntaxError ? error.message : "it is not valid UTF-8";
      return new Rejection(errorResponse(400, "InvalidJson", `The request body is not valid JSON: ${reason}.`, { target: "body" }));
    }
    const validator = (requestValidators as Record<string, SchemaValidator>)[route.body.schema];
    if (validator && !validator(payload)) {
      const details = bodyProblems(validator.errors);
      return new Rejection(
        errorResponse(400, "InvalidRequestBody", `The request body does not match ${route.body.schema}: ${details.map((d) => d.message).join(" ")}`, {
          target: details[0]?.target,
          details,
        }),
      );
    }
    return payload as ConnectRequest;
  }

  /**
   * Repeatability: First-Sent inside the window, then the id claimed in the store; a repeat of a
   * finished request replays it, a repeat of one in flight waits for it (or 409).
   */
  async function repeatability(call: Call, principal: string, requestIdHeader: string, firstSent: string, fingerprint: string, time: number): Promise<Outcome> {
    const firstSentAt = parseImfFixdate(firstSent);
    if (firstSentAt < time - windowMs) {
      return rejected(
        errorResponse(
          412,
          "PreconditionFailed",
          `Repeatability-First-Sent is older than the ${Math.round(windowMs / 1000)} s repeatability window; send the request with a new Repeatability-Request-ID.`,
          { target: "Repeatability-First-Sent" },
        ),
      );
    }
    if (firstSentAt > time + clockSkewMs) {
      return rejected(errorResponse(400, "InvalidParameter", "Repeatability-First-Sent is in the future.", { target: "Repeatability-First-Sent" }));
    }
    // Scoped to the caller: another principal's record with the same id is never found.
    const id = `${principal} ${requestIdHeader.toLowerCase()}`;
    const waitUntil = performance.now() + inFlightWaitMs;
    // A repeat that waited for a first request which then failed with 5xx claims the id again.
    for (let round = 0; round < 3; round++) {
      let claim: RepeatabilityClaim;
      try {
        const claimed = store.claim(id, fingerprint, firstSentAt + windowMs, principal);
        claim = claimed instanceof Promise ? await claimed : claimed;
      } catch (error) {
        // Without the store nobody can tell whether this id already executed: never run it blind.
        return storeUnavailable(error, call);
      }
      if (claim.state === "claimed") {
        let response: OutgoingResponse;
        try {
          response = await invoke(call);
        } catch (error) {
          await settleStore(() => store.release(id), call);
          throw error;
        }
        await settleStore(
          () =>
            response.status < 500
              ? store.complete(id, { status: response.status, body: response.body, contentType: response.headers["content-type"] ?? JSON_TYPE })
              : store.release(id),
          call,
        );
        return { response, executed: true };
      }
      if (claim.fingerprint !== fingerprint) {
        return rejected(
          errorResponse(400, "RepeatabilityMismatch", "This Repeatability-Request-ID was used with a different request; send a new id.", {
            target: "Repeatability-Request-ID",
          }),
        );
      }
      if (claim.state === "completed") return { response: replay(claim.response), executed: true };
      const remaining = waitUntil - performance.now();
      let finished: StoredResponse | undefined | "timeout";
      try {
        finished = claim.completion && remaining > 0 ? await within(claim.completion, remaining) : undefined;
      } catch (error) {
        return storeUnavailable(error, call);
      }
      if (finished === "timeout" || (finished === undefined && !claim.completion)) break;
      if (finished) return { response: replay(finished), executed: true };
    }
    return rejected(
      errorResponse(409, "Conflict", "A request with this Repeatability-Request-ID is still being processed; retry it later.", {
        target: "Repeatability-Request-ID",
      }),
    );
  }

  /** A store that failed before execution: 503 with Retry-After, so that the caller retries once it is back. */
  function storeUnavailable(error: unknown, call: Call): Outcome {
    logger.error?.({ message: "repeatability store unavailable", requestId: call.context.requestId, method: call.exchange.method, path: call.route.path, error });
    return rejected(
      errorResponse(503, "StoreUnavailable", "The repeatability store is unavailable, so this request was not executed; retry after the time in Retry-After.", {
        target: "Repeatability-Request-ID",
        headers: { "retry-after": "1" },
      }),
    );
  }

  /**
   * Completing or releasing after execution: a failure is logged, never answered with an error,
   * since the request did execute and a retry of it must not be invited. (A claim left behind
   * expires with the store's lease or window.)
   */
  async function settleStore(action: () => void | Promise<void>, call: Call): Promise<void> {
    try {
      const settled = action();
      if (settled instanceof Promise) await settled;
    } catch (error) {
      logger.error?.({ message: "repeatability store failed to record an executed request", requestId: call.context.requestId, method: call.exchange.method, path: call.route.path, error });
    }
  }

  /** Invoke: the handler, its ServiceErrors in the API's shape, and (optionally) its result validated. */
  async function invoke({ route, payload, context, exchange }: Call): Promise<OutgoingResponse> {
    const requestId = context.requestId;
    const handler = handlers[route.handler];
    if (!handler) return errorResponse(501, "NotImplemented", `${route.operationId} is not implemented by this server.`);
    let result: CallConnectionProperties;
    try {
      // A synchronous handler's result is used as is: awaiting it would cost a turn of the loop.
      const returned = handler(payload, context);
      result = returned instanceof Promise ? await returned : returned;
    } catch (error) {
      if (error instanceof ServiceError) {
        if (error.status >= 500) logger.error?.({ message: "handler failed", requestId, method: exchange.method, path: route.path, error });
        return errorResponse(error.status, error.code, error.message, { target: error.target, details: error.details });
      }
      logger.error?.({ message: "handler threw", requestId, method: exchange.method, path: route.path, error });
      return internalError(requestId);
    }
    const success = route.responses.find((response) => typeof response.status === "number" && response.status < 300);
    const schema = success && "schema" in success ? success.schema : undefined;
    if (validateResponses && schema) {
      const validator = (responseValidators as Record<string, SchemaValidator>)[schema];
      if (validator && !validator(result)) {
        const details = bodyProblems(validator.errors);
        logger.error?.({ message: `handler returned an invalid ${schema}`, requestId, method: exchange.method, path: route.path });
        return errorResponse(500, "InvalidHandlerResponse", `The ${route.operationId} handler returned an invalid ${schema}: ${details.map((d) => d.message).join(" ")}`, {
          target: details[0]?.target ?? jsonPath([]),
          details,
        });
      }
    }
    return {
      status: typeof success?.status === "number" ? success.status : 200,
      headers: { "content-type": JSON_TYPE },
      body: JSON.stringify(result),
    };
  }

  const fetchHandler: ConnectFetchHandler = async (request) => {
    const url = new URL(request.url);
    const exchange: IncomingExchange = {
      method: request.method.toUpperCase(),
      target: `${url.pathname}${url.search}`,
      header: (name) => request.headers.get(name) ?? (name === "host" ? url.host : undefined),
      // Headers joins repeated lines with ", ", which no single Host or credential contains.
      isRepeated: (name) => (name === "host" ? request.headers.get("host")?.includes(",") === true : name === "authorization" ? REPEATED_CREDENTIAL.test(request.headers.get(name) ?? "") : false),
      readBody: (limit) => readLimited(request.body, limit),
      signal: request.signal,
    };
    const response = await handle(exchange);
    return new Response(response.body, { status: response.status, headers: response.headers });
  };
  Object.defineProperty(fetchHandler, CORE, { value: handle });
  return fetchHandler;
}

interface Outcome {
  response: OutgoingResponse;
  /** Whether the request reached the handler (or replayed its stored result): Repeatability-Result. */
  executed: boolean;
}

const rejected = (response: OutgoingResponse): Outcome => ({ response, executed: false });

/** A pipeline step's refusal: the response to send instead of going on. */
class Rejection {
  constructor(readonly response: OutgoingResponse) {}
}

/** What the handler is invoked with, once every check has passed. */
interface Call {
  route: Route;
  payload: ConnectRequest;
  context: RequestContext;
  exchange: IncomingExchange;
}

const unauthorized = (message: string, challenge: string): Rejection =>
  new Rejection(errorResponse(401, "Unauthorized", message, { target: "Authorization", headers: { "www-authenticate": challenge } }));

/** What identifies "the same request" for repeatability: method, target and the body's hash. */
function fingerprintOf(exchange: IncomingExchange, bodyHash: string): string {
  return hash("sha256", `${exchange.method} ${exchange.target}\n${bodyHash}`, "base64");
}

const internalError = (requestId: string): OutgoingResponse =>
  errorResponse(500, "InternalServerError", `The server failed to process the request; quote x-ms-request-id ${requestId}.`);

/** Two credentials joined by Headers: a comma followed by a second scheme. */
const REPEATED_CREDENTIAL = /,\s*(?:HMAC-SHA256|Bearer)\s/i;

const HMAC_AUTH = Object.freeze({ scheme: "hmac" as const });
const BEARER_AUTH = Object.freeze({ scheme: "bearer" as const });

/** The handler's context: one object per executed request, its methods on the prototype. */
class RequestContext implements ConnectContext {
  constructor(
    readonly parameters: ConnectParameters,
    readonly requestId: string,
    readonly auth: { readonly scheme: "hmac" | "bearer" },
    private readonly exchange: IncomingExchange,
  ) {}

  header(name: string): string | undefined {
    return this.exchange.header(name.toLowerCase());
  }

  get signal(): AbortSignal {
    return this.exchange.signal;
  }
}

function replay(stored: StoredResponse): OutgoingResponse {
  return { status: stored.status, headers: { "content-type": stored.contentType }, body: stored.body };
}

async function within<T>(promise: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<"timeout">((resolve) => (timer = setTimeout(resolve, ms, "timeout")))]);
  } finally {
    clearTimeout(timer);
  }
}
