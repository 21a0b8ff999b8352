import type { CommunicationError } from "@acs-connect/types";

/**
 * The error `connect` rejects with for every failure the service or the network causes: an HTTP
 * error response, a connection that failed on every attempt, a success body that is not JSON, a
 * redirect (never followed) or a body larger than `maxResponseBytes`.
 * (Input mistakes throw a `TypeError` before any request; an aborted call rejects with the
 * signal's reason and an elapsed `timeoutMs` with a `DOMException` named `TimeoutError`.)
 *
 * It carries no credential: no key, token, signature or Authorization header.
 */
export class CallAutomationError extends Error {
  override name = "CallAutomationError";
  /** HTTP status; `0` when no response arrived (network failure). */
  readonly status: number;
  /**
   * `error.code` of the service's CommunicationErrorResponse; else `HttpError` (an error body that
   * is not one), `NetworkError` (no response on any attempt), `InvalidResponse` (a success
   * body that is not a JSON object), `UnexpectedRedirect` (a 3xx; the message names the
   * Location's origin) or `ResponseTooLarge` (a body past `maxResponseBytes`).
   */
  readonly code: string;
  /** `error.message` of the service's response, as sent (credential-shaped text redacted). */
  declare readonly serviceMessage?: string;
  /** `error.target`: the field or header the service blames (credential-shaped text redacted). */
  declare readonly target?: string;
  /** `error.details`, as sent (credential-shaped text redacted; at most 100 values, the rest dropped). */
  declare readonly details?: readonly CommunicationError[];
  /** `error.innererror`, as sent (redacted and bounded like `details`). */
  declare readonly innererror?: CommunicationError;
  /** The Repeatability-Request-ID sent on every attempt. Repeat the call with this pair (within 5 minutes) to get the original result instead of a second connection. */
  declare readonly repeatabilityRequestId?: string;
  /** The Repeatability-First-Sent sent on every attempt (IMF-fixdate). */
  declare readonly repeatabilityFirstSent?: string;
  /** `x-ms-client-request-id` sent with the request: quote it to support. */
  declare readonly clientRequestId?: string;
  /** `x-ms-request-id` of the response, when the service sent one: quote it to support. */
  declare readonly requestId?: string;
  /** `Repeatability-Result` of the response (`accepted` or `rejected`), when sent. */
  declare readonly repeatabilityResult?: string;
  /** The delay the service asked for (Retry-After, retry-after-ms, x-ms-retry-after-ms), in ms. */
  declare readonly retryAfterMs?: number;
  /** Attempts made, when known (network failures). */
  declare readonly attempts?: number;

  /**
   * @param message - The readable message, e.g. `Connect failed: 400 BadRequest: The request is invalid. (target: callbackUri)`.
   * @param init - The fields; undefined ones are left out.
   * @param options - `cause`: the underlying error, for network failures.
   */
  constructor(message: string, init: CallAutomationErrorInit, options?: { cause?: unknown }) {
    super(message, options);
    this.status = init.status;
    this.code = init.code;
    for (const [k, v] of Object.entries(init)) if (v !== undefined) Object.assign(this, { [k]: v });
  }

  /** Plain-object form for loggers: `JSON.stringify(error)` includes `name` and `message`. */
  toJSON(): Record<string, unknown> {
    return { ...(this as object), name: this.name, message: this.message };
  }
}

/** The fields of a {@link CallAutomationError} besides its message: `status` and `code`, the rest optional. */
export type CallAutomationErrorInit = Pick<CallAutomationError, "status" | "code"> &
  Partial<
    Pick<
      CallAutomationError,
      | "serviceMessage"
      | "target"
      | "details"
      | "innererror"
      | "repeatabilityRequestId"
      | "repeatabilityFirstSent"
      | "clientRequestId"
      | "requestId"
      | "repeatabilityResult"
      | "retryAfterMs"
      | "attempts"
    >
  >;

/** Longest text kept of anything a server sent, before redaction: error pages and echoes are never longer in practice. */
const MAX_TEXT = 8192;

/**
 * Blanks credential-shaped text (an Authorization value, a signature, a connection-string key, a
 * JWT) in anything a server sent back, since some proxies echo the request into error pages.
 * Linear time on hostile input: the text is cut first, and no pattern has a quantifier that can
 * backtrack over a long run (a JWT is found per run of token characters, not by one pattern
 * tried at every "eyJ" of the run, which was quadratic).
 */
export const redact = (text: string): string =>
  (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text)
    .replace(/(bearer\s+|hmac-sha256\s+|signature=|accesskey=)[^\s"'&;,<>]+/gi, "$1[redacted]")
    .replace(/[\w.-]+/g, (run) => (/eyJ[\w-]/i.test(run) && run.includes(".") ? "[redacted]" : run));

/** A plain object (not null, not an array). */
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Request-side facts every error carries. */
export interface RequestIds {
  /** Repeatability-Request-ID sent. */
  repeatabilityRequestId?: string;
  /** Repeatability-First-Sent sent. */
  repeatabilityFirstSent?: string;
  /** x-ms-client-request-id sent. */
  clientRequestId?: string;
}

/** Describes a network failure, with its cause (undici puts the socket error there). */
export const describe = (error: unknown): string => {
  const cause = (error as { cause?: unknown })?.cause;
  const text = error instanceof Error ? error.message + (cause instanceof Error ? ` (${cause.message})` : "") : String(error);
  return redact(text);
};
