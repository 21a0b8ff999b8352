/**
 * One pipeline for every call: middleware (client.use or client.raw.use) runs for connect and
 * client.raw alike, before signing; client.raw sends the client's api-version; the logger option.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createCallAutomationClient, type AttemptLog, type CallAutomationClient, type Middleware } from "@acs-connect/client";
import { CONNECTED, REQUEST, TEST_KEY, connectionString, json, startServer, type Handler, type TestServer } from "./helpers/server.ts";

const FAST = { baseDelayMs: 1, maxDelayMs: 5 };
const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function clientFor(handler: Handler = (_, res) => json(res, 200, CONNECTED), options: { retry?: object; apiVersion?: string; logger?: (entry: AttemptLog) => void } = {}) {
  server = await startServer(handler, TEST_KEY);
  return createCallAutomationClient({ connectionString: connectionString(server), retry: FAST, ...options });
}

/** Both ways of calling Connect, with the same request. */
const VIA = {
  connect: (client: CallAutomationClient) => client.connect(REQUEST),
  raw: (client: CallAutomationClient) => client.raw.POST("/calling/callConnections:connect", { body: REQUEST }),
};

describe.each(Object.entries(VIA))("middleware through %s", (_, call) => {
  it("sees the call; a header it sets (W3C traceparent) arrives untouched, on every retry", async () => {
    const client = await clientFor((request, res, index) => (index === 0 ? json(res, 503, {}) : json(res, 200, CONNECTED)));
    const seen: string[] = [];
    client.use({
      onRequest: ({ request }) => {
        seen.push(`${request.method} ${new URL(request.url).pathname}`);
        request.headers.set("traceparent", TRACEPARENT);
      },
    });
    await call(client);
    expect(seen).toEqual(["POST /calling/callConnections:connect"]);
    expect(server!.requests.map((request) => request.headers.traceparent)).toEqual([TRACEPARENT, TRACEPARENT]);
    expect(server!.requests.map((request) => request.signatureProblem)).toEqual([undefined, undefined]);
  });

  it("runs before signing: a body it rewrites is the body signed and sent", async () => {
    const client = await clientFor();
    client.use({
      onRequest: async ({ request }) => {
        const body = { ...(await request.json()), operationContext: "added-by-middleware" };
        return new Request(request, { body: JSON.stringify(body) });
      },
    });
    await call(client);
    const [received] = server!.requests;
    expect(JSON.parse(received!.body.toString())).toEqual({ ...REQUEST, operationContext: "added-by-middleware" });
    expect(received!.signatureProblem).toBeUndefined();
    expect(received!.headers["repeatability-request-id"]).toBeTruthy();
  });

  it("runs onRequest in order and onResponse in reverse order, once per call after retries", async () => {
    const client = await clientFor((_, res, index) => (index === 0 ? json(res, 500, {}) : json(res, 200, CONNECTED)));
    const order: string[] = [];
    const named = (name: string): Middleware => ({
      onRequest: () => void order.push(`${name} request`),
      onResponse: ({ response }) => void order.push(`${name} response ${response.status}`),
    });
    client.use(named("a"), named("b"));
    await call(client);
    expect(order).toEqual(["a request", "b request", "b response 200", "a response 200"]);
    expect(server!.requests).toHaveLength(2);
  });

  it("middleware added with client.raw.use applies as well, and eject removes it", async () => {
    const client = await clientFor();
    const seen: string[] = [];
    const tracer: Middleware = { onRequest: () => void seen.push("traced") };
    client.raw.use(tracer);
    await call(client);
    client.eject(tracer);
    await call(client);
    expect(seen).toEqual(["traced"]);
  });

  it("a Response from onRequest is the answer: nothing is sent", async () => {
    const client = await clientFor();
    client.use({ onRequest: () => new Response(JSON.stringify({ ...CONNECTED, callConnectionId: "from-cache" }), { status: 200 }) });
    const result = await call(client);
    expect("data" in result ? result.data : result).toMatchObject({ callConnectionId: "from-cache" });
    expect(server!.requests).toHaveLength(0);
  });

  it("onResponse can replace the response", async () => {
    const client = await clientFor();
    client.use({ onResponse: () => new Response(JSON.stringify({ callConnectionId: "replaced" }), { status: 200 }) });
    const result = await call(client);
    expect("data" in result ? result.data : result).toEqual({ callConnectionId: "replaced" });
  });

  it("onError sees a network failure after the retries and may answer instead", async () => {
    const client = await clientFor((_, res) => res.destroy(), { retry: { maxRetries: 1, ...FAST } });
    const errors: unknown[] = [];
    client.use({
      onError: ({ error }) => {
        errors.push(error);
        return new Response(JSON.stringify({ callConnectionId: "fallback" }), { status: 200 });
      },
    });
    const result = await call(client);
    expect("data" in result ? result.data : result).toEqual({ callConnectionId: "fallback" });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: "NetworkError", attempts: 2 });
  });
});

describe("client.use", () => {
  it.each([[null], [{}], [{ onRequest: "x" }]])("refuses %j, naming middleware", async (value) => {
    const client = await clientFor();
    expect(() => client.use(value as Middleware)).toThrow(/^Invalid middleware: /);
  });

  it("calls connect's middleware with openapi-fetch's parameters", async () => {
    const client = await clientFor();
    let params: Record<string, unknown> | undefined;
    client.use({ onRequest: ({ request: _, ...rest }) => void (params = rest) });
    await client.connect(REQUEST);
    expect(params).toMatchObject({
      schemaPath: "/calling/callConnections:connect",
      params: { query: { "api-version": "2025-05-15" } },
      options: { baseUrl: server!.url },
    });
    expect(params!.id).toBe(server!.requests[0]!.headers["x-ms-client-request-id"]);
  });
});

describe("client.raw api-version", () => {
  it("sends the client's apiVersion when the call gives none", async () => {
    const client = await clientFor(undefined, { apiVersion: "2025-06-30-preview" });
    const { response } = await client.raw.POST("/calling/callConnections:connect", { body: REQUEST });
    expect(response.status).toBe(200);
    expect(server!.requests[0]!.url).toBe("/calling/callConnections:connect?api-version=2025-06-30-preview");
  });

  it("sends the call's own api-version when it gives one", async () => {
    const client = await clientFor();
    await client.raw.POST("/calling/callConnections:connect", { params: { query: { "api-version": "2024-09-15" } }, body: REQUEST });
    await client.raw.request("post", "/calling/callConnections:connect", { body: REQUEST });
    expect(server!.requests.map((request) => request.url)).toEqual([
      "/calling/callConnections:connect?api-version=2024-09-15",
      "/calling/callConnections:connect?api-version=2025-05-15",
    ]);
  });
});

describe("logger", () => {
  it("reports every attempt: method, URL without query, status, attempt number, delay", async () => {
    const entries: AttemptLog[] = [];
    const client = await clientFor((_, res, index) => (index < 2 ? json(res, 503, {}, { "retry-after-ms": "3" }) : json(res, 200, CONNECTED)), {
      logger: (entry) => entries.push(entry),
    });
    await client.connect(REQUEST);
    const url = `${server!.url}/calling/callConnections:connect`;
    expect(entries).toEqual([
      { method: "POST", url, attempt: 1, status: 503, delayMs: 3 },
      { method: "POST", url, attempt: 2, status: 503, delayMs: 3 },
      { method: "POST", url, attempt: 3, status: 200 },
    ]);
  });

  it("reports network failures with status 0 and the reason, and no credential", async () => {
    const entries: AttemptLog[] = [];
    const client = await clientFor((_, res) => res.destroy(), { retry: { maxRetries: 1, ...FAST }, logger: (entry) => entries.push(entry) });
    await expect(client.connect(REQUEST)).rejects.toMatchObject({ code: "NetworkError" });
    expect(entries.map(({ attempt, status }) => ({ attempt, status }))).toEqual([
      { attempt: 1, status: 0 },
      { attempt: 2, status: 0 },
    ]);
    expect(entries[0]!.delayMs).toBeTypeOf("number");
    expect(entries[0]!.error).toBeTypeOf("string");
    expect(JSON.stringify(entries)).not.toContain(TEST_KEY);
  });

  it("reports client.raw calls too, and a throwing logger does not break the call", async () => {
    const entries: AttemptLog[] = [];
    const client = await clientFor(undefined, {
      logger: (entry) => {
        entries.push(entry);
        throw new Error("logger bug");
      },
    });
    const { response } = await client.raw.POST("/calling/callConnections:connect", { body: REQUEST });
    expect(response.status).toBe(200);
    expect(entries).toEqual([{ method: "POST", url: `${server!.url}/calling/callConnections:connect`, attempt: 1, status: 200 }]);
  });

  it("refuses a logger that is not a function, naming it", () => {
    expect(() => createCallAutomationClient({ endpoint: "https://x.communication.azure.com", token: "t", logger: "debug" as never })).toThrow(/^Invalid logger: /);
  });
});
