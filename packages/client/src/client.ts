import type { CallConnectionProperties, ConnectRequest, paths } from "@acs-connect/types";
import type { Client, Middleware, MiddlewareCallbackParams } from "openapi-fetch";
import {
  checkTransport,
  createAccessKeySigner,
  createBearerSigner,
  createCredentialSigner,
  encoder,
  check,
  optional,
  parseConnectionString,
  parseEndpoint,
  type Credential,
  type TokenCredential,
  type TokenProvider,
} from "./auth.ts";
import { CallAutomationError, isObject, redact } from "./errors.ts";
import type { RawClient } from "./raw.ts";
import { createSend, loadFailure, type Answer, type FetchLike, type Logger, type RetryOptions, type Send } from "./transport.ts";

/** The api-version this package is written and tested against. */
export const DEFAULT_API_VERSION = "2025-05-15";

/** Options every way of authenticating shares. */
export interface CallAutomationClientBaseOptions {
  /** The `api-version` query parameter. Default `"2025-05-15"`. */
  apiVersion?: string;
  /** Retry settings. Defaults: 3 retries, 1000 ms base, 30000 ms cap. `{ maxRetries: 0 }` turns retries off. */
  retry?: RetryOptions;
  /** Overall limit for one logical call, all attempts and waits included, in ms. Default: none. */
  timeoutMs?: number;
  /** The fetch to send with, e.g. one bound to a proxy agent or an undici dispatcher. Default: node:http (Node's global keep-alive agents) in Node, the global fetch elsewhere. */
  fetch?: FetchLike;
  /** Allow plain `http:` to a non-loopback host when signing with an access key. Bearer tokens never go over non-loopback http. Default false. */
  allowInsecureConnection?: boolean;
  /** Prefix for the User-Agent (`<userAgent> acs-connect-client/<version>`). */
  userAgent?: string;
  /** The largest response body read, in bytes; a larger one rejects with `code: "ResponseTooLarge"`. Default 4 MiB (4194304). */
  maxResponseBytes?: number;
  /** Told about every attempt of every call (method, URL without query, status, attempt number, delay). Default: none. */
  logger?: Logger;
}

/** Authenticate with the resource's connection string (`endpoint=…;accesskey=…`). */
export interface ConnectionStringCredentialOptions {
  /** `endpoint=https://<resource>.communication.azure.com/;accesskey=<base64 key>`, as the Azure portal shows it. */
  connectionString: string;
  /** Not with a connection string (it holds the endpoint). */
  endpoint?: undefined;
  /** Not with a connection string (it holds the key). */
  accessKey?: undefined;
  /** Not with a connection string. */
  token?: undefined;
  /** Not with a connection string. */
  credential?: undefined;
}

/** Authenticate with the endpoint and an access key (HMAC-SHA256 signing). */
export interface AccessKeyCredentialOptions {
  /** The resource endpoint, e.g. `https://<resource>.communication.azure.com`. */
  endpoint: string;
  /** The resource's base64 access key. */
  accessKey: string;
  /** Not with endpoint and accessKey. */
  connectionString?: undefined;
  /** Not with an access key. */
  token?: undefined;
  /** Not with an access key. */
  credential?: undefined;
}

/** Authenticate with the endpoint and a Microsoft Entra ID token (`Authorization: Bearer`). */
export interface TokenCredentialOptions {
  /** The resource endpoint, e.g. `https://<resource>.communication.azure.com`. */
  endpoint: string;
  /** A token for scope `https://communication.azure.com//.default`, or a function returning one (called on every attempt, so it may refresh). */
  token: string | TokenProvider;
  /** Not with endpoint and token. */
  connectionString?: undefined;
  /** Not with a token. */
  accessKey?: undefined;
  /** Not with a token. */
  credential?: undefined;
}

/** Authenticate with the endpoint and a `TokenCredential`, e.g. `new DefaultAzureCredential()` of `@azure/identity`. */
export interface AzureCredentialOptions {
  /** The resource endpoint, e.g. `https://<resource>.communication.azure.com`. */
  endpoint: string;
  /**
   * Asked for scope `https://communication.azure.com//.default` (with the call's `abortSignal`);
   * the token is reused until 2 minutes before `expiresOnTimestamp` (or until `refreshAfterTimestamp`),
   * one `getToken` serves every call waiting, and a 401 saying the token expired renews it once.
   */
  credential: TokenCredential;
  /** Not with a credential. */
  connectionString?: undefined;
  /** Not with a credential. */
  accessKey?: undefined;
  /** Not with a credential. */
  token?: undefined;
}

/** Options of {@link createCallAutomationClient}: one way of authenticating plus the shared options. */
export type CallAutomationClientOptions = CallAutomationClientBaseOptions &
  (ConnectionStringCredentialOptions | AccessKeyCredentialOptions | TokenCredentialOptions | AzureCredentialOptions);

/**
 * The spec's `paths` with the `api-version` query parameter optional: `client.raw` sends the
 * client's `apiVersion` unless a call gives its own.
 */
export type RawPaths = { [P in keyof paths]: { [M in keyof paths[P]]: OptionalApiVersion<paths[P][M]> } };

/** One operation with `api-version` optional (other operations unchanged). */
export type OptionalApiVersion<O> = O extends { parameters: { query: { "api-version": string } } }
  ? Omit<O, "parameters"> & {
      parameters: Omit<O["parameters"], "query"> & { query?: Omit<O["parameters"]["query"], "api-version"> & { "api-version"?: string } };
    }
  : O;

/** Per-call options of {@link CallAutomationClient.connect}. */
export interface ConnectOptions {
  /** Aborts the call, including an attempt in flight or a wait between attempts; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Sets `operationContext` of the request body (overrides the request's own). */
  operationContext?: string;
  /** Repeatability-Request-ID (a UUID). Give it with `repeatabilityFirstSent` to repeat an earlier call safely; default: a fresh v4 UUID. */
  repeatabilityRequestId?: string;
  /** Repeatability-First-Sent (IMF-fixdate or Date) of that earlier call; default: now. */
  repeatabilityFirstSent?: string | Date;
}

/** A client for the Connect operation. */
export interface CallAutomationClient {
  /** The endpoint requests go to (no trailing slash). */
  readonly endpoint: string;
  /** The api-version sent. */
  readonly apiVersion: string;
  /**
   * Creates a connection to the call `request.callLocator` names; the service posts the
   * connection's events to `request.callbackUri`. Resolves to the response body as sent.
   * @throws TypeError for an invalid request or option, before anything is sent.
   * @throws {@link CallAutomationError} for an error response, or when every attempt failed on the network.
   */
  connect(request: ConnectRequest, options?: ConnectOptions): Promise<CallConnectionProperties>;
  /**
   * The openapi-fetch client of the whole spec, with the same auth, retries, repeatability,
   * timeout and middleware; `api-version` defaults to the client's `apiVersion`.
   */
  readonly raw: Client<RawPaths>;
  /**
   * Adds middleware (openapi-fetch's `{ onRequest, onResponse, onError }`) to every call, `connect`
   * and `client.raw` alike (`client.raw.use` is the same list). `onRequest` runs in the order added,
   * once per call, before signing: a header or body it sets is signed and re-sent on every retry.
   * `onResponse` and `onError` run in reverse order, once, on the final answer after retries.
   * @throws TypeError for a value without one of the three functions.
   */
  use(...middleware: Middleware[]): void;
  /** Removes middleware added with {@link CallAutomationClient.use}. */
  eject(...middleware: Middleware[]): void;
}

/** What openapi-fetch does with a request that has no body status. */
const NULL_BODY = [101, 204, 205, 304];

/**
 * `client.raw` without loading openapi-fetch up front: the first call of any method imports
 * it (./raw.ts) and every call delegates to the real client. Most applications only call
 * `connect`, and a bundler then leaves openapi-fetch in a chunk they never load; that is
 * about a third of the client's size.
 */
function lazyRaw(load: () => Promise<RawClient>, use: CallAutomationClient["use"], eject: CallAutomationClient["eject"]): Client<RawPaths> {
  const raw: Record<string, unknown> = { use, eject };
  for (const method of ["request", "GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"] as const) {
    raw[method] = (...args: unknown[]) => load().then((client) => client.call(method, args));
  }
  return raw as unknown as Client<RawPaths>;
}

/**
 * Runs the client's middleware around one `connect` the way openapi-fetch runs it around a raw
 * call: onRequest in order (a Response it returns is the answer; nothing is sent), then the
 * sender (which signs what onRequest left), then onError or onResponse in reverse order. Only
 * called when there is middleware: building a Request costs a measurable share of a local call.
 */
async function withMiddleware(
  middleware: Middleware[],
  send: Send,
  params: Omit<MiddlewareCallbackParams, "request">,
  url: URL,
  headers: Headers,
  body: Uint8Array<ArrayBuffer>,
  signal: AbortSignal | undefined,
): Promise<Answer> {
  const original = new Request(url, { method: "POST", headers, body, signal });
  let request = original;
  let response: Response | undefined;
  // The answer as sent, and its bytes: read back only if a middleware replaced it.
  let sent: [Response, Answer["bytes"]] | undefined;
  // A snapshot: middleware added or removed during the call applies from the next call on.
  const list = [...middleware];
  const reversed = [...list].reverse();
  for (const m of list) {
    const result = await m.onRequest?.({ ...params, request });
    if (result instanceof Response) {
      response = result;
      break;
    }
    check(!result || result instanceof Request, "middleware", "onRequest must return a Request, a Response or nothing");
    request = result ?? request;
  }
  if (!response) {
    try {
      // The Request as built unless a middleware returned another: then its URL, body and signal.
      // (Headers a middleware set on it are in request.headers either way.)
      const same = request === original;
      const { response: answer, bytes } = await send(
        same ? url : new URL(request.url),
        request.method,
        new Headers(request.headers),
        same ? body : request.body ? new Uint8Array(await request.arrayBuffer()) : undefined,
        same ? signal : request.signal,
      );
      response = new Response(NULL_BODY.includes(answer.status) ? null : bytes, answer);
      sent = [response, bytes];
    } catch (error) {
      let failure: unknown = error;
      for (const m of reversed) {
        const result = m.onError && (await m.onError({ ...params, request, error: failure }));
        if (result instanceof Response) {
          response = result;
          break;
        }
        if (result instanceof Error) failure = result;
      }
      if (!response) throw failure;
    }
  }
  let final: Response = response!;
  for (const m of reversed) {
    const result: unknown = await m.onResponse?.({ ...params, request, response: final });
    check(!result || result instanceof Response, "middleware", "onResponse must return a Response or nothing");
    final = (result as Response | undefined) ?? final;
  }
  return { response: final, bytes: final === sent?.[0] ? sent[1] : await final.arrayBuffer() };
}

const PATH = "/calling/callConnections:connect";
const decoder = new TextDecoder();


function isAbsoluteUrl(value: unknown): boolean {
  try {
    return typeof value === "string" && !!new URL(value);
  } catch {
    return false;
  }
}

function number(value: unknown, field: string, fallback: number, min: number, integer = false): number {
  if (value === undefined) return fallback;
  // setTimeout's limit; longer waits would silently become 1 ms.
  check(typeof value === "number" && value >= min && value <= 2 ** 31 - 1 && (!integer || Number.isInteger(value)), field, `expected a${integer ? "n integer" : " number"} from ${min} to ${2 ** 31 - 1}`);
  return value;
}

/**
 * Creates a client for the Azure Communication Services Call Automation Connect operation.
 * Validates every option up front: a malformed connection string, key, token or endpoint, or a
 * plain-http endpoint that is not allowed, throws a `TypeError` naming the option.
 *
 * @example
 * ```ts
 * const client = createCallAutomationClient({ connectionString: process.env.ACS_CONNECTION_STRING! });
 * const call = await client.connect({
 *   callLocator: { kind: "roomCallLocator", roomId: "99434917639286209" },
 *   callbackUri: "https://app.example/callback",
 * });
 * ```
 */
export function createCallAutomationClient(options: CallAutomationClientOptions): CallAutomationClient {
  check(isObject(options), "options", "expected { connectionString } or { endpoint, accessKey }, { endpoint, token } or { endpoint, credential }");
  const o = options as CallAutomationClientBaseOptions & Partial<Record<"connectionString" | "endpoint" | "accessKey" | "token" | "credential", unknown>>;
  let endpointValue: unknown = o.endpoint;
  let endpointField = "endpoint";
  let credential: Credential;
  if (o.connectionString !== undefined) {
    check([o.endpoint, o.accessKey, o.token, o.credential].every((value) => value === undefined), "options", "give connectionString alone, or endpoint with accessKey, token or credential");
    check(typeof o.connectionString === "string", "connectionString", "expected a string");
    const parsed = parseConnectionString(o.connectionString);
    endpointValue = parsed.endpoint;
    endpointField = "connectionString endpoint";
    credential = { sign: createAccessKeySigner(parsed.accessKey, "connectionString accesskey"), bearer: false };
  } else {
    check([o.accessKey, o.token, o.credential].filter((value) => value !== undefined).length === 1, "options", "give endpoint with exactly one of accessKey, token or credential (or a connectionString)");
    if (o.credential !== undefined) {
      check(typeof (o.credential as Partial<TokenCredential> | null)?.getToken === "function", "credential", "expected a TokenCredential (an object with getToken(scopes, options)), e.g. new DefaultAzureCredential()");
      credential = createCredentialSigner(o.credential as TokenCredential);
    } else if (o.token !== undefined) {
      credential = { sign: createBearerSigner(o.token as string | TokenProvider), bearer: true };
    } else {
      credential = { sign: createAccessKeySigner(o.accessKey as string, "accessKey"), bearer: false };
    }
  }
  const url = parseEndpoint(endpointValue, endpointField);
  const allowInsecureConnection = o.allowInsecureConnection === true;
  checkTransport(url, credential.bearer, allowInsecureConnection);
  const endpoint = (url.origin + url.pathname).replace(/\/+$/, "");

  const apiVersion = o.apiVersion ?? DEFAULT_API_VERSION;
  check(typeof apiVersion === "string" && apiVersion, "apiVersion", 'expected a non-empty string like "2025-05-15"');
  check(optional(o.fetch, "function"), "fetch", "expected a function");
  check(optional(o.userAgent, "string") && /^[\x20-\x7e]*$/.test(o.userAgent ?? ""), "userAgent", "expected a string of printable ASCII characters");
  check(optional(o.logger, "function"), "logger", "expected a function (entry) => void");
  const retry = o.retry ?? {};
  check(isObject(retry), "retry", "expected { maxRetries?, baseDelayMs?, maxDelayMs? }");

  const send = createSend({
    credential,
    allowInsecureConnection,
    retry: {
      maxRetries: number(retry.maxRetries, "retry.maxRetries", 3, 0, true),
      baseDelayMs: number(retry.baseDelayMs, "retry.baseDelayMs", 1000, 0),
      maxDelayMs: number(retry.maxDelayMs, "retry.maxDelayMs", 30_000, 0),
    },
    timeoutMs: o.timeoutMs === undefined ? undefined : number(o.timeoutMs, "timeoutMs", 0, 1),
    fetch: o.fetch,
    userAgent: o.userAgent,
    maxResponseBytes: number(o.maxResponseBytes, "maxResponseBytes", 4 * 1024 * 1024, 1, true),
    logger: o.logger,
  });
  // One middleware list: `connect` runs it itself, openapi-fetch (once loaded) runs it for raw
  // calls, in the same order either way.
  const middleware: Middleware[] = [];
  let rawClient: RawClient | undefined;
  let rawLoading: Promise<RawClient> | undefined;
  const use = (...added: Middleware[]): void => {
    for (const m of added) {
      const hooks = isObject(m) ? [m.onRequest, m.onResponse, m.onError] : [];
      check(hooks.some((hook) => typeof hook === "function") && hooks.every((hook) => optional(hook, "function")), "middleware", "expected an object with onRequest, onResponse or onError functions");
    }
    middleware.push(...added);
    rawClient?.client.use(...added);
  };
  const eject = (...removed: Middleware[]): void => {
    for (const m of removed) if (middleware.includes(m)) middleware.splice(middleware.indexOf(m), 1);
    rawClient?.client.eject(...removed);
  };
  const raw = lazyRaw(
    () => (rawLoading ??= import("./raw.ts").then(({ createRawClient }) => (rawClient = createRawClient(endpoint, send, apiVersion, middleware)))),
    use,
    eject,
  );
  // What connect's middleware see as `options` (openapi-fetch passes its merged client options).
  const middlewareOptions = { baseUrl: endpoint, parseAs: "json" } as MiddlewareCallbackParams["options"];
  // The URL openapi-fetch would build for Connect (same encoding of api-version).
  const connectUrl = new URL(`${endpoint}${PATH}?api-version=${encodeURIComponent(apiVersion)}`);

  async function connect(request: ConnectRequest, connectOptions: ConnectOptions = {}): Promise<CallConnectionProperties> {
    check(isObject(request), "request", "expected a ConnectRequest object { callLocator, callbackUri }");
    check(isObject(request.callLocator), "request.callLocator", 'required, e.g. { kind: "roomCallLocator", roomId: "…" }');
    check(isAbsoluteUrl(request.callbackUri), "request.callbackUri", "required, an absolute URL the service posts the call's events to");
    check(typeof connectOptions === "object" && connectOptions, "connect options", "expected { signal?, operationContext?, repeatabilityRequestId?, repeatabilityFirstSent? }");
    const { operationContext, signal } = connectOptions;
    check(optional(operationContext, "string"), "operationContext", "expected a string");
    // fetch would reject it on every attempt, as if the network had failed.
    check(signal === undefined || signal instanceof AbortSignal, "signal", "expected an AbortSignal");
    const given = [connectOptions.repeatabilityRequestId, connectOptions.repeatabilityFirstSent] as const;
    // A fresh pair needs no checks; a given one (or half of one) is checked by repeat.ts, loaded then.
    const [repeatabilityRequestId, repeatabilityFirstSent] =
      given[0] === undefined && given[1] === undefined
        ? [crypto.randomUUID(), new Date().toUTCString()]
        : (await import("./repeat.ts")).repeatability(...given, "repeatabilityRequestId", "repeatabilityFirstSent");
    const clientRequestId = crypto.randomUUID();
    const ids = { repeatabilityRequestId, repeatabilityFirstSent, clientRequestId };

    // Straight to the sender rather than through raw.POST: the same request openapi-fetch would
    // build, without a Request object to build and read back (a measurable share of a local call).
    const headers = new Headers({
      "content-type": "application/json",
      "repeatability-request-id": repeatabilityRequestId,
      "repeatability-first-sent": repeatabilityFirstSent,
      "x-ms-client-request-id": clientRequestId,
    });
    // Spread keeps the caller's property order: the body is serialized (and hashed) as given.
    const body = JSON.stringify(operationContext === undefined ? request : { ...request, operationContext });
    const bytes0 = encoder.encode(body);
    const { response, bytes } = middleware.length
      ? await withMiddleware(middleware, send, { schemaPath: PATH, params: { query: { "api-version": apiVersion } }, options: middlewareOptions, id: clientRequestId }, connectUrl, headers, bytes0, signal)
      : await send(connectUrl, "POST", headers, bytes0, signal);
    const text = decoder.decode(bytes);
    if (response.status < 200 || response.status > 299) {
      throw new CallAutomationError(...(await loadFailure()).httpErrorOf(response, text, ids, redact));
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {}
    if (!isObject(parsed)) throw new CallAutomationError(...(await loadFailure()).invalidResponseOf(response, ids));
    return parsed as CallConnectionProperties;
  }

  return { endpoint, apiVersion, connect, raw, use, eject };
}
