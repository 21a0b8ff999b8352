import type { CallConnectionProperties, ConnectRequest, paths } from "@acs-connect/types";
import type { Client, Middleware } from "openapi-fetch";
import {
  checkTransport,
  createAccessKeySigner,
  encoder,
  invalid,
  createBearerSigner,
  parseConnectionString,
  parseEndpoint,
  type Credential,
  type TokenProvider,
} from "./auth.ts";
import { CallAutomationError, httpError, isObject } from "./errors.ts";
import { createSend, repeatability, serverDelay, type FetchLike, type RetryOptions, type Send } from "./transport.ts";

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
  /** The fetch to send with (e.g. one bound to a proxy agent). Default: the global fetch. */
  fetch?: FetchLike;
  /** Allow plain `http:` to a non-loopback host when signing with an access key. Bearer tokens never go over non-loopback http. Default false. */
  allowInsecureConnection?: boolean;
  /** Prefix for the User-Agent (`<userAgent> acs-connect-client/<version>`). */
  userAgent?: string;
  /** The largest response body read, in bytes; a larger one rejects with `code: "ResponseTooLarge"`. Default 4 MiB (4194304). */
  maxResponseBytes?: number;
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
}

/** Options of {@link createCallAutomationClient}: one way of authenticating plus the shared options. */
export type CallAutomationClientOptions = CallAutomationClientBaseOptions &
  (ConnectionStringCredentialOptions | AccessKeyCredentialOptions | TokenCredentialOptions);

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
  /** The openapi-fetch client underneath, with the same auth, retries, repeatability and timeout. */
  readonly raw: Client<paths>;
}

/**
 * `client.raw` without loading openapi-fetch up front: the first call of any method imports
 * it (./raw.ts) and every call delegates to the real client. Most applications only call
 * `connect`, and a bundler then leaves openapi-fetch in a chunk they never load; that is
 * about a third of the client's size. Middleware registered before the first request is
 * applied when the client is created.
 */
function lazyRaw(endpoint: string, send: Send): Client<paths> {
  let loaded: Client<paths> | undefined;
  let loading: Promise<Client<paths>> | undefined;
  const pending: Array<["use" | "eject", Middleware[]]> = [];
  const load = (): Promise<Client<paths>> =>
    (loading ??= import("./raw.ts").then(({ createRawClient }) => {
      loaded = createRawClient(endpoint, send, repeatability);
      for (const [action, middleware] of pending.splice(0)) loaded[action](...middleware);
      return loaded;
    }));
  type Method = "request" | "GET" | "PUT" | "POST" | "DELETE" | "OPTIONS" | "HEAD" | "PATCH" | "TRACE";
  const delegate =
    (method: Method) =>
    (...args: unknown[]) =>
      load().then((client) => (client[method] as (...args: unknown[]) => unknown)(...args));
  const register = (action: "use" | "eject") => (...middleware: Middleware[]) => {
    if (loaded) loaded[action](...middleware);
    else pending.push([action, middleware]);
  };
  return {
    request: delegate("request"),
    GET: delegate("GET"),
    PUT: delegate("PUT"),
    POST: delegate("POST"),
    DELETE: delegate("DELETE"),
    OPTIONS: delegate("OPTIONS"),
    HEAD: delegate("HEAD"),
    PATCH: delegate("PATCH"),
    TRACE: delegate("TRACE"),
    use: register("use"),
    eject: register("eject"),
  } as unknown as Client<paths>;
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
  if (typeof value !== "number" || !(value >= min && value <= 2 ** 31 - 1) || (integer && !Number.isInteger(value))) {
    throw invalid(field, `expected a${integer ? "n integer" : " number"} from ${min} to ${2 ** 31 - 1}`);
  }
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
  if (!isObject(options)) throw invalid("options", "expected { connectionString } or { endpoint, accessKey } or { endpoint, token }");
  const o = options as CallAutomationClientBaseOptions & Partial<Record<"connectionString" | "endpoint" | "accessKey" | "token", unknown>>;
  let endpointValue: unknown = o.endpoint;
  let endpointField = "endpoint";
  let credential: Credential;
  if (o.connectionString !== undefined) {
    if (o.endpoint !== undefined || o.accessKey !== undefined || o.token !== undefined) {
      throw invalid("options", "give connectionString alone, or endpoint with accessKey or token");
    }
    if (typeof o.connectionString !== "string") throw invalid("connectionString", "expected a string");
    const parsed = parseConnectionString(o.connectionString);
    endpointValue = parsed.endpoint;
    endpointField = "connectionString endpoint";
    credential = { sign: createAccessKeySigner(parsed.accessKey, "connectionString accesskey"), bearer: false };
  } else if ((o.accessKey === undefined) === (o.token === undefined)) {
    throw invalid("options", "give endpoint with exactly one of accessKey or token (or a connectionString)");
  } else if (o.token !== undefined) {
    credential = { sign: createBearerSigner(o.token as string | TokenProvider), bearer: true };
  } else {
    credential = { sign: createAccessKeySigner(o.accessKey as string, "accessKey"), bearer: false };
  }
  const url = parseEndpoint(endpointValue, endpointField);
  const allowInsecureConnection = o.allowInsecureConnection === true;
  checkTransport(url, credential.bearer, allowInsecureConnection);
  const endpoint = (url.origin + url.pathname).replace(/\/+$/, "");

  const apiVersion = o.apiVersion ?? DEFAULT_API_VERSION;
  if (typeof apiVersion !== "string" || !apiVersion) throw invalid("apiVersion", 'expected a non-empty string like "2025-05-15"');
  if (o.fetch !== undefined && typeof o.fetch !== "function") throw invalid("fetch", "expected a function");
  if (o.userAgent !== undefined && (typeof o.userAgent !== "string" || !/^[\x20-\x7e]*$/.test(o.userAgent))) {
    throw invalid("userAgent", "expected a string of printable ASCII characters");
  }
  const retry = o.retry ?? {};
  if (!isObject(retry)) throw invalid("retry", "expected { maxRetries?, baseDelayMs?, maxDelayMs? }");

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
  });
  const raw = lazyRaw(endpoint, send);
  // The URL openapi-fetch would build for Connect (same encoding of api-version).
  const connectUrl = new URL(`${endpoint}${PATH}?api-version=${encodeURIComponent(apiVersion)}`);

  async function connect(request: ConnectRequest, connectOptions: ConnectOptions = {}): Promise<CallConnectionProperties> {
    if (!isObject(request)) throw invalid("request", "expected a ConnectRequest object { callLocator, callbackUri }");
    if (!isObject(request.callLocator)) {
      throw invalid("request.callLocator", 'required, e.g. { kind: "roomCallLocator", roomId: "…" }');
    }
    if (!isAbsoluteUrl(request.callbackUri)) {
      throw invalid("request.callbackUri", "required, an absolute URL the service posts the call's events to");
    }
    if (typeof connectOptions !== "object" || connectOptions === null) {
      throw invalid("connect options", "expected { signal?, operationContext?, repeatabilityRequestId?, repeatabilityFirstSent? }");
    }
    const { operationContext, signal } = connectOptions;
    if (operationContext !== undefined && typeof operationContext !== "string") throw invalid("operationContext", "expected a string");
    // fetch would reject it on every attempt, as if the network had failed.
    if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalid("signal", "expected an AbortSignal");
    const [repeatabilityRequestId, repeatabilityFirstSent] = repeatability(
      connectOptions.repeatabilityRequestId,
      connectOptions.repeatabilityFirstSent,
      "repeatabilityRequestId",
      "repeatabilityFirstSent",
    );
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
    const { response, bytes } = await send(connectUrl, "POST", headers, encoder.encode(body), signal);
    const text = decoder.decode(bytes);
    if (!response.ok) throw httpError(response, text, ids, serverDelay(response.headers));
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {}
    if (!isObject(parsed)) {
      // The service may have connected: the pair lets the caller fetch the original result.
      const message = `Connect failed: ${response.status} InvalidResponse: the body is not a JSON object; repeat the call with the same repeatabilityRequestId and repeatabilityFirstSent to get the original result`;
      const requestId = response.headers.get("x-ms-request-id") ?? undefined;
      throw new CallAutomationError(message, { status: response.status, code: "InvalidResponse", ...ids, requestId });
    }
    return parsed as CallConnectionProperties;
  }

  return { endpoint, apiVersion, connect, raw };
}
