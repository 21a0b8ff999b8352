/**
 * `client.raw`: openapi-fetch over the client's sender. This module is loaded on first use of
 * `client.raw` (see client.ts), so applications that only call `connect` never load
 * openapi-fetch.
 */
import type { paths } from "@acs-connect/types";
import * as openapiFetch from "openapi-fetch";
import type { Client, Middleware } from "openapi-fetch";
import { repeatability } from "./repeat.ts";
// Only types from transport.ts: a runtime import would make the bundler split transport.ts into a
// chunk shared with this lazily loaded one, which costs every `connect` caller a second file.
import type { Send } from "./transport.ts";

const REQUEST_ID = "repeatability-request-id";
const FIRST_SENT = "repeatability-first-sent";
const CLIENT_REQUEST_ID = "x-ms-client-request-id";

/** Statuses whose Response must have a null body. */
const NULL_BODY = [204, 205, 304];

// Our CommonJS build requires openapi-fetch's CommonJS build, and the bundler's interop hands
// over its whole exports object as `default` there; the ESM build gets the function itself.
const createClient: typeof openapiFetch.default =
  typeof openapiFetch.default === "function" ? openapiFetch.default : (openapiFetch.default as unknown as { default: typeof openapiFetch.default }).default;

/** The openapi-fetch client of `client.raw`, and how the facade in client.ts calls it. */
export interface RawClient {
  /** The openapi-fetch client (for `use` and `eject`). */
  client: Client<paths>;
  /** Calls one of its methods with `args`, `api-version` added to the query unless given. */
  call(method: "request" | "GET" | "PUT" | "POST" | "DELETE" | "OPTIONS" | "HEAD" | "PATCH" | "TRACE", args: unknown[]): Promise<unknown>;
}

/** The openapi-fetch client of the spec's paths, sending through `send`, with the client's middleware. */
export function createRawClient(endpoint: string, send: Send, apiVersion: string, middleware: Middleware[]): RawClient {
  const client = createClient<paths>({ baseUrl: endpoint, fetch: createFetch(send) });
  if (middleware.length) client.use(...middleware);
  type Init = { params?: { query?: Record<string, unknown> } } | undefined;
  return {
    client,
    call(method, args) {
      // request(method, path, init) has the init third; the others (path, init) second.
      const at = method === "request" ? 2 : 1;
      const init = (args[at] ?? {}) as NonNullable<Init>;
      args[at] = { ...init, params: { ...init.params, query: { "api-version": apiVersion, ...init.params?.query } } };
      return (client[method] as (...args: unknown[]) => Promise<unknown>)(...args);
    },
  };
}

/**
 * The fetch handed to openapi-fetch, so `client.raw` gets exactly what `connect` gets: it reads
 * the Request openapi-fetch built (body bytes once), completes or checks the repeatability pair
 * of a POST and the client request id, and sends it with {@link Send}.
 */
export function createFetch(send: Send): (input: Request | string | URL, init?: RequestInit) => Promise<Response> {
  return async (input, init) => {
    const request = input instanceof Request && !init ? input : new Request(input, init);
    const headers = new Headers(request.headers);
    if (request.method === "POST") {
      const [id, sent] = repeatability(
        headers.get(REQUEST_ID) ?? undefined,
        headers.get(FIRST_SENT) ?? undefined,
        "Repeatability-Request-ID header",
        "Repeatability-First-Sent header",
      );
      headers.set(REQUEST_ID, id);
      headers.set(FIRST_SENT, sent);
    }
    if (!headers.has(CLIENT_REQUEST_ID)) headers.set(CLIENT_REQUEST_ID, crypto.randomUUID());
    const body = request.body ? new Uint8Array(await request.arrayBuffer()) : undefined;
    const { response, bytes } = await send(new URL(request.url), request.method, headers, body, request.signal);
    return new Response(NULL_BODY.includes(response.status) ? null : bytes, response);
  };
}
