/**
 * Auth, retries and timeouts: one sender that `connect` calls directly and that openapi-fetch
 * calls through a `fetch` adapter (raw.ts), so `client.raw` gets exactly what `connect` gets.
 * Each attempt goes out through an {@link Exchange}: node:http in Node (node-http.ts), fetch
 * elsewhere or when the caller gives one.
 *
 * Retries are hand-written rather than a dependency: what a browser loads for `connect` has a
 * budget of a few kB (min+gzip, `pnpm bench:client`), and the policy below is a few dozen lines.
 */
import pkg from "../package.json" with { type: "json" };
import { checkTransport, hashBody, invalid, type Credential } from "./auth.ts";
import { CallAutomationError, describe, type RequestIds } from "./errors.ts";
import { isNode, loadNodeHttp } from "./platform.ts";

/** Retry settings; see the README for what is retried. */
export interface RetryOptions {
  /** Retries after the first attempt. Default 3. */
  maxRetries?: number;
  /** Back-off base: attempt n waits random(0, min(maxDelayMs, baseDelayMs * 2^n)). Default 1000. */
  baseDelayMs?: number;
  /** Longest wait between attempts; a server asking for longer (Retry-After) is not retried. Default 30000. */
  maxDelayMs?: number;
}

/** The fetch a caller may supply (e.g. one with a proxy agent); called as `fetch(url, init)`. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** What the sender needs from the client options, already validated. */
export interface TransportOptions {
  /** Signs each attempt. */
  credential: Credential;
  /** Plain http to non-loopback hosts is allowed (access keys only). */
  allowInsecureConnection: boolean;
  /** The retry policy, defaults filled in. */
  retry: Required<RetryOptions>;
  /** Overall limit of one logical request, or undefined for none. */
  timeoutMs: number | undefined;
  /** The caller's fetch, or undefined for the global one (looked up per call, so it can be swapped). */
  fetch: FetchLike | undefined;
  /** The caller's User-Agent prefix. */
  userAgent: string | undefined;
  /** The largest response body read; a larger one fails with `ResponseTooLarge`. */
  maxResponseBytes: number;
  /** Told about every attempt. */
  logger: Logger | undefined;
}

/** What a {@link Logger} is told after each attempt. Nothing in it is secret: no headers, no query, no body. */
export interface AttemptLog {
  /** The request method. */
  method: string;
  /** The request URL without its query (`origin` + `pathname`). */
  url: string;
  /** 1 for the first attempt, 2 for the first retry, … */
  attempt: number;
  /** The response status, or 0 when the attempt got no response (network error). */
  status: number;
  /** The wait before the next attempt in ms; absent when this attempt was the last. */
  delayMs?: number;
  /** Why the attempt failed on the network (status 0), credentials redacted. */
  error?: string;
  /** The attempt's 401 said the token expired: the next attempt goes with a new token (not counted as a retry). */
  renewToken?: true;
}

/** Called after every attempt, e.g. `(entry) => console.debug("acs-connect", entry)`; an exception it throws is ignored. */
export type Logger = (entry: AttemptLog) => void;

/** The module an error answer needs (failure.ts), loaded on the first one: a call that succeeds never loads it. */
export const loadFailure = (): Promise<typeof import("./failure.ts")> => (failureModule ??= import("./failure.ts"));
let failureModule: Promise<typeof import("./failure.ts")> | undefined;

/** Header names the sender and the raw adapter share. */
export const REQUEST_ID = "repeatability-request-id";
export const FIRST_SENT = "repeatability-first-sent";
export const CLIENT_REQUEST_ID = "x-ms-client-request-id";

const retryable = (status: number): boolean => status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505);

/** Rejects with the signal's reason as soon as it aborts, even if `promise` never settles. */
function guard<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise((resolve, reject) => {
    const stop = () => reject(signal.reason);
    if (signal.aborted) return stop();
    signal.addEventListener("abort", stop, { once: true });
    promise.then(
      (value) => (signal.removeEventListener("abort", stop), resolve(value)),
      (error) => (signal.removeEventListener("abort", stop), reject(error)),
    );
  });
}

/** Waits `ms` by the wall clock (timers may fire a little early), or until the signal aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stop = () => (clearTimeout(timer), reject(signal?.reason));
    const tick = () => {
      const left = until - Date.now();
      if (left > 0) timer = setTimeout(tick, left);
      else signal?.removeEventListener("abort", stop), resolve();
    };
    if (signal?.aborted) return stop();
    signal?.addEventListener("abort", stop, { once: true });
    tick();
  });
}

// Browsers drop or CORS-reject a custom User-Agent; Azure services read x-ms-useragent there instead.
const userAgentHeader = isNode ? "user-agent" : "x-ms-useragent";

/** The status line and headers of a response: a fetch `Response`, or what node:http received. */
export interface Head {
  /** The HTTP status. */
  status: number;
  /** The reason phrase ("" over HTTP/2). */
  statusText: string;
  /** The response headers. */
  headers: Headers;
}

/** A response and its whole body, read inside the attempt. */
export interface Answer {
  /** The status line and headers; a Response's body is already consumed (see `bytes`). */
  response: Head;
  /** The body as received (decompressed); empty when refused. */
  bytes: ArrayBuffer | Uint8Array<ArrayBuffer>;
  /**
   * Set when the sender must refuse the answer, without retrying: a redirect (never followed;
   * `location` is its Location header) or a body past `maxResponseBytes` (dropped unread).
   * failure.ts words the error, so that a call that succeeds never loads the wording.
   */
  refused?: { code: "UnexpectedRedirect" | "ResponseTooLarge"; location?: string | null };
}

/**
 * One attempt on the wire: sends the signed request and reads the whole answer (at most `max`
 * bytes of body), refusing a redirect or a larger body (see {@link Answer.refused}); anything it
 * throws is a network failure, and retried.
 */
export type Exchange = (url: URL, method: string, headers: Headers, body: Uint8Array<ArrayBuffer> | undefined, signal: AbortSignal | undefined, max: number) => Promise<Answer>;

/** The request's ids, for the errors the sender makes itself. */
const ids = (headers: Headers): RequestIds => ({
  repeatabilityRequestId: headers.get(REQUEST_ID) ?? undefined,
  repeatabilityFirstSent: headers.get(FIRST_SENT) ?? undefined,
  clientRequestId: headers.get(CLIENT_REQUEST_ID) ?? undefined,
});

/**
 * Reads a body up to `max` bytes, chunk by chunk, and cancels it past that (or at once when its
 * Content-Length says so), so a hostile or broken server cannot make the client buffer without
 * end: undefined then.
 */
async function read(response: Response, max: number): Promise<ArrayBuffer | undefined> {
  // Node's fetch stops a body at its Content-Length and shows every header, so an unencoded body
  // of a known, allowed length is read in one piece: the chunk loop below costs about 5% of a
  // local call. Browsers may hide Content-Encoding (CORS), where the length would be the compressed one.
  const length = isNode && response.headers.get("content-length");
  if (length && !response.headers.has("content-encoding") && /^\d+$/.test(length) && +length <= max) return response.arrayBuffer();
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let size = Number(response.headers.get("content-length")) > max ? Infinity : 0;
  const reader = response.body?.getReader();
  for (let next; size <= max && reader && !(next = await reader.read()).done; size += next.value.length) chunks.push(next.value);
  if (size > max) return (reader?.cancel().catch(() => {}), undefined);
  return new Blob(chunks).arrayBuffer();
}

/** The exchange over a fetch: the caller's, or the global one outside Node. */
const viaFetch =
  (doFetch: FetchLike): Exchange =>
  async (url, method, headers, body, signal, max) => {
    // A redirect is never followed: fetch would re-send the repeatability pair and signed
    // headers to another origin (as a GET after a 302), or to plain http.
    const response = await doFetch(url.href, { method, headers, body, signal, redirect: "manual" });
    // `redirected`: a caller's fetch that follows redirects whatever it is told. A browser's
    // opaque redirect (status 0) shows no Location at all.
    if ((response.status > 299 && response.status < 400) || response.type === "opaqueredirect" || response.redirected) {
      response.body?.cancel().catch(() => {});
      return { response, bytes: new Uint8Array(0), refused: { code: "UnexpectedRedirect", location: response.headers.get("location") } };
    }
    const bytes = await read(response, max);
    return { response, bytes: bytes ?? new Uint8Array(0), refused: bytes ? undefined : { code: "ResponseTooLarge" } };
  };

let nodeExchange: Exchange | undefined;
let nodeExchangeLoading: Promise<Exchange> | undefined;

/**
 * Sends one logical request: `headers` (with the repeatability pair and client request id
 * already set) and `body` are the request as the caller built it; per attempt it re-signs
 * (fresh x-ms-date) and re-sends the same bytes and headers. The body of the answer is read
 * inside the attempt, so a connection that drops mid-body is retried like any other network
 * failure.
 */
export type Send = (url: URL, method: string, headers: Headers, body: Uint8Array<ArrayBuffer> | undefined, outer?: AbortSignal | null) => Promise<Answer>;

/** Creates the sender behind both `connect` and the fetch handed to openapi-fetch. */
export function createSend(options: TransportOptions): Send {
  const { credential, retry, timeoutMs, logger } = options;
  const userAgent = `${options.userAgent ? `${options.userAgent} ` : ""}acs-connect-client/${pkg.version}`;

  return async (url, method, headers, body, outer) => {
    if (outer?.aborted) throw outer.reason;
    checkTransport(url, credential.bearer, options.allowInsecureConnection);
    headers.set(userAgentHeader, userAgent);
    const contentHash = credential.bearer ? "" : await hashBody(body);

    // With a timeout, one signal stands for both the caller's abort and the timeout, and its
    // reason says which fired; without one, the caller's signal (if any) is used as is.
    let phase = "attempt 1";
    let signal = outer ?? undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
    if (timeoutMs !== undefined) {
      const controller = new AbortController();
      signal = controller.signal;
      onAbort = () => controller.abort(outer?.reason);
      outer?.addEventListener("abort", onAbort, { once: true });
      const expire = () => controller.abort(new DOMException(`Connect timed out: timeoutMs (${timeoutMs} ms) elapsed during ${phase}`, "TimeoutError"));
      timer = setTimeout(expire, timeoutMs);
    }
    // The caller's fetch; else node:http in Node (loaded once, on the first call); else the
    // global fetch, looked up per call so that it can be swapped.
    const exchange = options.fetch
      ? viaFetch(options.fetch)
      : loadNodeHttp
        ? (nodeExchange ??= await (nodeExchangeLoading ??= loadNodeHttp().then(({ createNodeExchange }) => createNodeExchange())))
        : viaFetch(fetch);

    try {
      let renewed = false;
      // `attempt` counts retries (back-off, maxRetries); `n` every request sent, a token renewal included.
      for (let attempt = 0, n = 1; ; attempt++, n++) {
        phase = `attempt ${n}`;
        // Outside the network try: a failing token provider is the caller's error, not a retryable one.
        await guard(credential.sign(headers, method, url, contentHash, signal), signal);
        let answer: Answer | undefined;
        let failure: unknown;
        try {
          answer = await guard(exchange(url, method, headers, body, signal, options.maxResponseBytes), signal);
        } catch (error) {
          if (signal?.aborted) throw signal.reason;
          failure = error;
        }

        const status = answer?.response.status ?? 0;
        const log = (entry: Partial<AttemptLog>) => {
          try {
            logger?.({ method, url: url.origin + url.pathname, attempt: n, status, ...entry });
          } catch {}
        };
        const failed = answer && (status < 200 || status > 299 || answer.refused) ? await loadFailure() : undefined;
        // The sender's own verdicts on an answer (redirect, too large) are final, not retried.
        if (answer?.refused) throw new CallAutomationError(...failed!.refusalOf(answer, url, options.maxResponseBytes, ids(headers)));
        // Once per call: a second 401 with a brand-new token is the answer, not an expiry.
        if (credential.renew && !renewed && failed?.tokenRefused(answer!)) {
          renewed = true;
          credential.renew(headers.get("authorization"));
          log({ renewToken: true });
          attempt--;
          continue;
        }
        let delay: number | undefined;
        if (attempt < retry.maxRetries && (!answer || retryable(answer.response.status))) {
          const asked = answer && failed!.serverDelay(answer.response.headers);
          // Never earlier than the server asked; never longer than maxDelayMs (then the caller decides).
          delay = asked ?? Math.random() * Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** attempt);
          // A wait that would outlast timeoutMs is not started: the last answer is more useful than a timeout.
          if (delay > retry.maxDelayMs || Date.now() + delay >= deadline) delay = undefined;
        }
        if (logger) log({ delayMs: delay, error: answer ? undefined : describe(failure) });
        if (delay === undefined) {
          if (answer) return answer;
          throw new CallAutomationError(
            `Connect failed: network error on ${attempt + 1} attempt${attempt ? "s" : ""}: ${describe(failure)}`,
            { status: 0, code: "NetworkError", ...ids(headers), attempts: attempt + 1 },
            { cause: failure },
          );
        }
        phase = `the back-off before attempt ${n + 1}`;
        await sleep(delay, signal);
      }
    } finally {
      if (onAbort) outer?.removeEventListener("abort", onAbort);
      clearTimeout(timer);
    }
  };
}
