import { afterEach, describe, expect, it } from "vitest";
import { createCallAutomationClient, type ConnectRequest } from "@acs-connect/client";
import { CONNECTED, REQUEST, TEST_KEY, connectionString, json, startServer, type TestServer } from "./helpers/server.ts";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const FAST = { baseDelayMs: 1, maxDelayMs: 5 };

describe("responses as sent", () => {
  it("passes unknown enum values and unknown properties through unchanged, names untouched", async () => {
    const future = {
      ...CONNECTED,
      callConnectionState: "parked",
      targets: [{ kind: "botIdentity", rawId: "28:bot:abc", botIdentity: { id: "abc", tenant: "t" } }],
      mediaStreamingSubscription: { id: "m1", state: "paused", subscribedContentTypes: ["audio", "video"] },
      answeredBy: { id: "8:acs:1" },
      futureField: { nested: [1, { a: null }], flag: false },
    };
    server = await startServer((_, res) => json(res, 200, future), TEST_KEY);
    const client = createCallAutomationClient({ connectionString: connectionString(server) });
    const result = await client.connect(REQUEST);
    expect(result).toStrictEqual(future);
    expect(Object.keys(result)).toEqual(Object.keys(future));
  });
});

describe("requests as given", () => {
  it("sends every field, subtype fields and unknown values included, as compact JSON in the caller's order", async () => {
    const request: ConnectRequest = {
      callbackUri: "https://contoso.communications.azure.com/callback",
      callLocator: { roomId: "99434917639286209", kind: "roomCallLocator" },
      callIntelligenceOptions: { cognitiveServicesEndpoint: "https://cognitiveservice.com" },
      mediaStreamingOptions: {
        audioChannelType: "mixed",
        transportUrl: "wss://media.example",
        transportType: "websocket",
        contentType: "audio",
        startMediaStreaming: true,
        enableBidirectional: true,
        audioFormat: "pcm48KStereo",
        enableDtmfTones: true,
      },
      transcriptionOptions: { locale: "en-US", transportUrl: "wss://t.example", transportType: "websocket", speechModelEndpointId: "x", startTranscription: true, enableIntermediateResults: true },
    };
    server = await startServer((_, res) => json(res, 200, CONNECTED), TEST_KEY);
    const client = createCallAutomationClient({ connectionString: connectionString(server) });
    await client.connect(request);
    expect(server.requests[0]?.body.toString()).toBe(JSON.stringify(request));
    expect(server.requests[0]?.signatureProblem).toBeUndefined();
  });

  it("sets operationContext from the options, over the request's own", async () => {
    server = await startServer((_, res) => json(res, 200, CONNECTED), TEST_KEY);
    const client = createCallAutomationClient({ connectionString: connectionString(server) });
    await client.connect({ ...REQUEST, operationContext: "from-request" }, { operationContext: "from-options" });
    await client.connect(REQUEST, { operationContext: "only-options" });
    expect(server.requests.map((r) => JSON.parse(r.body.toString()).operationContext)).toEqual(["from-options", "only-options"]);
  });

  it("sends the configured api-version", async () => {
    server = await startServer((_, res) => json(res, 200, CONNECTED), TEST_KEY);
    const client = createCallAutomationClient({ connectionString: connectionString(server), apiVersion: "2026-03-12" });
    await client.connect(REQUEST);
    expect(server.requests[0]?.url).toBe("/calling/callConnections:connect?api-version=2026-03-12");
  });
});

describe("client.raw", () => {
  it("gets auth, generated repeatability and retries, with openapi-fetch's result shape", async () => {
    server = await startServer((_, res, index) => (index === 0 ? json(res, 503, {}) : json(res, 200, CONNECTED)), TEST_KEY);
    const client = createCallAutomationClient({ connectionString: connectionString(server), retry: FAST });
    const { data, error, response } = await client.raw.POST("/calling/callConnections:connect", {
      params: { query: { "api-version": "2025-05-15" } },
      body: REQUEST,
    });
    expect(error).toBeUndefined();
    expect(response.status).toBe(200);
    expect(data).toEqual(CONNECTED);
    const [a, b] = server.requests;
    expect(a?.headers["repeatability-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(b?.headers["repeatability-request-id"]).toBe(a?.headers["repeatability-request-id"]);
    expect(b?.headers["repeatability-first-sent"]).toBe(a?.headers["repeatability-first-sent"]);
    expect([a?.signatureProblem, b?.signatureProblem]).toEqual([undefined, undefined]);
  });

  it("applies middleware registered before and after openapi-fetch is loaded", async () => {
    server = await startServer((_, res) => json(res, 200, CONNECTED), TEST_KEY);
    const client = createCallAutomationClient({ connectionString: connectionString(server) });
    const seen: string[] = [];
    const early = { onRequest: ({ request }: { request: Request }) => void seen.push(`early ${request.method}`) };
    const late = { onResponse: ({ response }: { response: Response }) => void seen.push(`late ${response.status}`) };
    // Registered before the first request: openapi-fetch is not loaded yet.
    client.raw.use(early);
    const call = () =>
      client.raw.POST("/calling/callConnections:connect", { params: { query: { "api-version": "2025-05-15" } }, body: REQUEST });
    await call();
    client.raw.use(late);
    await call();
    client.raw.eject(early, late);
    await call();
    expect(seen).toEqual(["early POST", "early POST", "late 200"]);
    expect(server.requests).toHaveLength(3);
  });

  it("returns error responses as openapi-fetch does (no throw)", async () => {
    const body = { error: { code: "BadRequest", message: "The request is invalid." } };
    server = await startServer((_, res) => json(res, 400, body), TEST_KEY);
    const client = createCallAutomationClient({ connectionString: connectionString(server) });
    const { data, error, response } = await client.raw.POST("/calling/callConnections:connect", {
      params: { query: { "api-version": "2025-05-15" } },
      body: REQUEST,
    });
    expect(data).toBeUndefined();
    expect(error).toEqual(body);
    expect(response.status).toBe(400);
  });
});
