/**
 * The request as the runtime sees it, independent of the transport: the Fetch adapter
 * (`createConnectHandler`'s return value) and the node:http fast path (`createNodeServer`) both
 * provide one, so that the Node server does not pay for building WHATWG Request and Response
 * objects on every call.
 */

/** Thrown by `readBody` when the body is larger than allowed. */
export class BodyTooLargeError extends Error {
  override readonly name = "BodyTooLargeError";
  constructor(readonly limit: number) {
    super(`The request body is larger than ${limit} bytes.`);
  }
}

/**
 * Thrown by `readBody` when the client goes away before the whole body arrived: an ordinary
 * event on the internet (a cancelled upload, a dropped connection), not a server failure.
 */
export class ClientClosedError extends Error {
  override readonly name = "ClientClosedError";
}

/** The request as the runtime reads it, whatever the transport. */
export interface IncomingExchange {
  /** The method, upper case. */
  readonly method: string;
  /** The request target exactly as received: path and query. */
  readonly target: string;
  /** A header value by lower-case name (repeated headers joined with ", "). */
  header(name: string): string | undefined;
  /** Whether the header (lower-case name) arrived on more than one line, as far as the transport can tell. */
  isRepeated(name: string): boolean;
  /** Reads the whole body; rejects with BodyTooLargeError past `limit` bytes. */
  readBody(limit: number): Promise<Uint8Array>;
  /** Aborted when the client goes away; created on first use. */
  readonly signal: AbortSignal;
}

/** Reads a Fetch body stream up to `limit` bytes. */
export async function readLimited(body: ReadableStream<Uint8Array> | null, limit: number): Promise<Uint8Array> {
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new BodyTooLargeError(limit);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const whole = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    whole.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return whole;
}
