/**
 * The attempt sender in Node: node:http(s) through Node's global keep-alive agents, in place of
 * fetch. Loaded on the first call in Node only (see transport.ts), so browser bundles never load
 * it; the built-in modules are found through `process.getBuiltinModule` rather than imported, so
 * that bundling for a browser does not fail on them.
 *
 * It keeps what the fetch path guarantees: no redirect is followed, a body is read to at most
 * `max` bytes (decompressed, as fetch would), the caller's signal aborts the request and the body,
 * and a connection that closes mid-body is a network failure (retried by the sender).
 */
import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
// Only types from transport.ts: a runtime import would make the bundler split transport.ts into a
// chunk shared with this lazily loaded one, which costs every `connect` caller a second file.
import type { Answer, Exchange } from "./transport.ts";

type Http = typeof import("node:http");
type Zlib = typeof import("node:zlib");
const builtin = <T>(id: string): T => (process as unknown as { getBuiltinModule(id: string): T }).getBuiltinModule(id);

/** The response body as a stream of decoded bytes, for the encodings fetch decodes. */
function decoded(response: IncomingMessage): Readable {
  const encoding = response.headers["content-encoding"]?.trim().toLowerCase();
  if (!encoding || encoding === "identity") return response;
  const zlib = builtin<Zlib>("node:zlib");
  const decoder =
    encoding === "gzip" || encoding === "x-gzip"
      ? zlib.createGunzip()
      : encoding === "deflate"
        ? zlib.createInflate()
        : encoding === "br"
          ? zlib.createBrotliDecompress()
          : undefined;
  if (!decoder) return response;
  response.on("error", (error) => decoder.destroy(error));
  return response.pipe(decoder);
}

/** The response headers as fetch shows them (repeated names joined with ", "). */
function headersOf(raw: string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i < raw.length; i += 2) {
    try {
      headers.append(raw[i]!, raw[i + 1]!);
    } catch {
      // A value fetch would not accept either: left out rather than failing the call.
    }
  }
  return headers;
}

/** Creates the node:http exchange. */
export function createNodeExchange(): Exchange {
  const http = builtin<Http>("node:http");
  const https = builtin<typeof import("node:https")>("node:https");
  return (url, method, headers, body, signal, max) =>
    new Promise((resolve, reject) => {
      // fetch's default Accept, so that servers answer both paths alike.
      const head: Record<string, string> = { accept: "*/*" };
      headers.forEach((value, name) => (head[name] = value));
      if (body) head["content-length"] = String(body.byteLength);
      const request = (url.protocol === "https:" ? https : http).request(url, { method, headers: head, signal });
      request.on("error", reject);
      request.on("response", (response) => {
        const status = response.statusCode ?? 0;
        // Built on first use: a successful connect reads only the status.
        let answerHeaders: Headers | undefined;
        const head = { status, statusText: response.statusMessage ?? "", get headers() { return (answerHeaders ??= headersOf(response.rawHeaders)); } };
        // An answer the sender refuses (see Answer.refused); its body is dropped unread.
        const refuse = (refused: Answer["refused"]) => {
          response.destroy();
          resolve({ response: head, bytes: new Uint8Array(0), refused });
        };
        if (status > 299 && status < 400) return refuse({ code: "UnexpectedRedirect", location: response.headers.location ?? null });
        if (Number(response.headers["content-length"]) > max) return refuse({ code: "ResponseTooLarge" });
        const chunks: Buffer[] = [];
        let size = 0;
        const stream = decoded(response);
        stream.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > max) {
            stream.destroy();
            refuse({ code: "ResponseTooLarge" });
          } else chunks.push(chunk);
        });
        stream.on("error", reject);
        stream.on("end", () => {
          // Copied out of Node's shared pool: the caller may keep the bytes (a Response body).
          const bytes = new Uint8Array(size);
          let at = 0;
          for (const chunk of chunks) bytes.set(chunk, (at += chunk.length) - chunk.length);
          resolve({ response: head, bytes });
        });
        // A connection that closes before the body is complete (Node reports it as an error too).
        response.on("close", () => response.complete || reject(new Error("the connection closed before the response body was complete")));
      });
      request.end(body);
    });
}
