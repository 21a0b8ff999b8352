/**
 * The client sends with node:http in Node and with fetch everywhere else (browsers, Deno, Bun) or
 * when the caller passes `fetch`. Both paths must behave alike: each case below runs once per
 * path against a real node:http server on 127.0.0.1.
 */
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createCallAutomationClient, type CallAutomationClientOptions, type FetchLike } from "@acs-connect/client";
import { CONNECTED, REQUEST, connectionString, json, serveEachTest, type TestServer } from "./helpers/server.ts";

const serve = serveEachTest();
afterEach(() => {
  vi.restoreAllMocks();
});

// A wrapper, not the global itself: the fetch path is taken because a fetch is given.
const viaFetch: FetchLike = (url, init) => fetch(url, init);

describe.each([
  ["node:http (Node's default)", {}],
  ["fetch (a caller's, as in browsers)", { fetch: viaFetch }],
] as const)("%s", (_, transport: Partial<CallAutomationClientOptions>) => {
  const clientOf = (server: TestServer, options: Partial<CallAutomationClientOptions> = {}) =>
    createCallAutomationClient({ connectionString: connectionString(server), retry: { baseDelayMs: 1, maxDelayMs: 5 }, ...transport, ...options } as CallAutomationClientOptions);

  it("sends a request the server verifies and resolves with the body as sent", async () => {
    const server = await serve((_, res) => json(res, 200, CONNECTED));
    await expect(clientOf(server).connect(REQUEST)).resolves.toEqual(CONNECTED);
    const [received] = server.requests;
    expect(received?.signatureProblem).toBeUndefined();
    expect(received?.headers["content-length"]).toBe(String(JSON.stringify(REQUEST).length));
    expect(received?.headers["user-agent"]).toMatch(/acs-connect-client\//);
  });

  it("decodes a gzip body, as fetch does", async () => {
    const server = await serve((_, res) => res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" }).end(gzipSync(JSON.stringify(CONNECTED))));
    await expect(clientOf(server).connect(REQUEST)).resolves.toEqual(CONNECTED);
  });

  it("does not follow a redirect", async () => {
    const other = await serve((_, res) => json(res, 200, CONNECTED));
    const server = await serve((_, res) => res.writeHead(307, { location: `${other.url}/secret?sig=SECRET` }).end());
    await expect(clientOf(server).connect(REQUEST)).rejects.toMatchObject({ status: 307, code: "UnexpectedRedirect", message: expect.stringContaining(`redirected to ${other.url};`) });
    expect(other.requests).toHaveLength(0);
  });

  it("refuses a body past maxResponseBytes, declared or streamed", async () => {
    const declared = await serve((_, res) => res.writeHead(200, { "content-length": "100000" }).write("{"));
    await expect(clientOf(declared, { maxResponseBytes: 1000 }).connect(REQUEST)).rejects.toMatchObject({ code: "ResponseTooLarge" });
    const streamed = await serve((_, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      for (let i = 0; i < 20; i++) res.write("x".repeat(100));
      res.end();
    });
    await expect(clientOf(streamed, { maxResponseBytes: 1000 }).connect(REQUEST)).rejects.toMatchObject({ code: "ResponseTooLarge" });
  });

  it("retries a connection that closes mid-body, with the same repeatability pair", async () => {
    const server = await serve((_, res, index) => {
      if (index > 0) return json(res, 200, CONNECTED);
      res.writeHead(200, { "content-type": "application/json", "content-length": "1000" }).write('{"callConnectionId":');
      setTimeout(() => res.destroy(), 20);
    });
    await expect(clientOf(server).connect(REQUEST)).resolves.toEqual(CONNECTED);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.headers["repeatability-request-id"]).toBe(server.requests[0]!.headers["repeatability-request-id"]);
  });

  it("stops a body that never ends when the signal aborts", async () => {
    const server = await serve((_, res) => res.writeHead(200, { "content-type": "application/json" }).write("{"));
    const controller = new AbortController();
    const call = clientOf(server).connect(REQUEST, { signal: controller.signal });
    await vi.waitFor(() => expect(server.requests).toHaveLength(1));
    controller.abort(new Error("stop"));
    await expect(call).rejects.toThrow("stop");
  });

  it("maps an error response and shows middleware a standard Request and Response", async () => {
    const server = await serve((_, res) => json(res, 404, { error: { code: "NotFound", message: "No such call." } }, { "x-ms-request-id": "r-1" }));
    const client = clientOf(server);
    const seen: unknown[] = [];
    client.use({ onRequest: ({ request }) => void seen.push(request), onResponse: ({ response }) => void seen.push(response) });
    await expect(client.connect(REQUEST)).rejects.toMatchObject({ status: 404, code: "NotFound", requestId: "r-1" });
    expect(seen[0]).toBeInstanceOf(Request);
    expect(seen[1]).toBeInstanceOf(Response);
    expect((seen[1] as Response).headers.get("x-ms-request-id")).toBe("r-1");
  });
});

it("in Node, a client without a fetch option does not use the global fetch", async () => {
  const server = await serve((_, res) => json(res, 200, CONNECTED));
  const spy = vi.spyOn(globalThis, "fetch");
  await createCallAutomationClient({ connectionString: connectionString(server) }).connect(REQUEST);
  expect(spy).not.toHaveBeenCalled();
  expect(server.requests).toHaveLength(1);
});
