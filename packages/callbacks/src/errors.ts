/**
 * The error every refusal carries: the `CommunicationError` shape of the API
 * (`{ error: { code, message, target } }`), so a service log or a test reads the same fields it
 * reads from the API's own errors.
 */

/** Why a callback was refused, in the API's error shape. */
export class CallbackError extends Error {
  /** Always `CallbackError`. */
  override readonly name = "CallbackError";
  /** The HTTP status the handler answers with: 400, 401, 405, 413, 415, 500 or 503. */
  readonly status: number;
  /** A `CommunicationError` code, e.g. `Unauthorized` or `InvalidType`. */
  readonly code: string;
  /** What is at fault: a header name or a JSON path into the body (`$[0].data.callConnectionId`). */
  readonly target: string | undefined;

  constructor(status: number, code: string, message: string, target?: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.target = target;
  }

  /** The error body: `{ error: { code, message, target? } }`. */
  toJSON(): { error: { code: string; message: string; target?: string } } {
    return { error: { code: this.code, message: this.message, ...(this.target === undefined ? {} : { target: this.target }) } };
  }
}
