/**
 * Errors in the API's own shape, `CommunicationErrorResponse`, for every failure a caller can
 * cause and for failures of the handler.
 */
import type { CommunicationError } from "@acs-connect/types";

/** One problem inside an error response, e.g. a property that failed validation. */
export interface ErrorDetail {
  code: string;
  message: string;
  target?: string;
}

/**
 * Throw from a handler to answer with a specific status and `CommunicationErrorResponse` body,
 * e.g. `throw new ServiceError(404, "CallNotFound", "No call has that server call id.", { target: "callLocator.serverCallId" })`.
 * Responses with a status below 500 are stored for repeatable requests like successes; 5xx are
 * not, so that a retry can succeed.
 */
export class ServiceError extends Error {
  override readonly name = "ServiceError";
  /** The HTTP status to answer with (400-599). */
  readonly status: number;
  readonly code: string;
  readonly target: string | undefined;
  readonly details: ErrorDetail[] | undefined;

  constructor(status: number, code: string, message: string, options: { target?: string; details?: ErrorDetail[] } = {}) {
    super(message);
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new RangeError(`ServiceError status must be an integer from 400 to 599, got ${String(status)}`);
    }
    this.status = status;
    this.code = code;
    this.target = options.target;
    this.details = options.details;
  }
}

/** A response the runtime sends: status, headers and JSON text. */
export interface OutgoingResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /**
   * Destroy the connection instead of answering (the mock's `--drop-rate`). Only the node:http
   * transport honours it; internal, never set by the pipeline itself.
   */
  drop?: boolean;
}

/** Builds the JSON text of a `CommunicationErrorResponse`. */
export function errorBody(code: string, message: string, options: { target?: string | undefined; details?: ErrorDetail[] | undefined } = {}): string {
  const error: CommunicationError = { code, message };
  const writable = error as { -readonly [K in keyof CommunicationError]: CommunicationError[K] };
  if (options.target !== undefined) writable.target = options.target;
  if (options.details !== undefined && options.details.length > 0) writable.details = options.details;
  return JSON.stringify({ error });
}

/** An error response with the given status. */
export function errorResponse(
  status: number,
  code: string,
  message: string,
  options: { target?: string | undefined; details?: ErrorDetail[] | undefined; headers?: Record<string, string> } = {},
): OutgoingResponse {
  return {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...options.headers },
    body: errorBody(code, message, options),
  };
}
