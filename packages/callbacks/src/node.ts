/**
 * Serving a Fetch handler from `node:http` (Node has no Fetch server of its own): the request
 * becomes a `Request` whose body streams from the socket (so the handler's size limit applies
 * before the body is buffered), and the `Response` is written back. The types are structural so
 * the published declarations need no `@types/node`.
 */

/** The parts of `node:http`'s IncomingMessage the adapter reads. */
export interface NodeRequestLike extends AsyncIterable<Uint8Array | string> {
  /** The request method, e.g. `POST`. */
  method?: string | undefined;
  /** The request target: path and query. */
  url?: string | undefined;
  /** The request headers, names in lower case. */
  headers: Record<string, string | string[] | undefined>;
  /** Drops the connection (when the response cannot be written). */
  destroy(error?: Error): unknown;
}

/** The parts of `node:http`'s ServerResponse the adapter writes. */
export interface NodeResponseLike {
  /** The status code to answer with. */
  statusCode: number;
  /** Sets one response header. */
  setHeader(name: string, value: string | string[]): unknown;
  /** Writes the body and ends the response. */
  end(body?: Uint8Array | string): unknown;
}

/** A `node:http` request listener that answers with a Fetch handler, e.g. `http.createServer(toNodeListener(handler))`. */
export function toNodeListener(handler: (request: Request) => Promise<Response>): (req: NodeRequestLike, res: NodeResponseLike) => void {
  return (req, res) => {
    void serve(handler, req, res).catch(() => {
      // Only the socket can fail here (the handler answers every error itself): drop it.
      req.destroy();
    });
  };
}

async function serve(handler: (request: Request) => Promise<Response>, req: NodeRequestLike, res: NodeResponseLike): Promise<void> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  const method = req.method ?? "GET";
  const iterator = req[Symbol.asyncIterator]();
  const encoder = new TextEncoder();
  const body =
    method === "GET" || method === "HEAD"
      ? null
      : new ReadableStream<Uint8Array>({
          async pull(controller) {
            const { done, value } = await iterator.next();
            if (done) controller.close();
            else controller.enqueue(typeof value === "string" ? encoder.encode(value) : value);
          },
          async cancel() {
            await iterator.return?.();
          },
        });
  const host = typeof req.headers.host === "string" ? req.headers.host : "localhost";
  const request = new Request(new URL(req.url ?? "/", `http://${host}`), { method, headers, body, duplex: "half" } as RequestInit);
  const response = await handler(request);
  res.statusCode = response.status;
  response.headers.forEach((value, name) => res.setHeader(name, value));
  res.end(new Uint8Array(await response.arrayBuffer()));
}
