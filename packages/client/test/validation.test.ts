import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCallAutomationClient, type CallAutomationClientOptions, type ConnectOptions } from "@acs-connect/client";
import { CONNECTED, REQUEST, TEST_KEY, connectionString, json, startServer, type TestServer } from "./helpers/server.ts";

const SECRET_KEY = "c2VjcmV0LWtleS1ub3QtdmFsaWQ!"; // looks like a key, is not base64
const create = (options: unknown) => () => createCallAutomationClient(options as CallAutomationClientOptions);

describe("createCallAutomationClient options", () => {
  it.each<[string, unknown, RegExp]>([
    ["no options", undefined, /^Invalid options: expected \{ connectionString \}/],
    ["connectionString without endpoint", { connectionString: `accesskey=${TEST_KEY}` }, /^Invalid connectionString: missing endpoint/],
    ["connectionString without accesskey", { connectionString: "endpoint=https://x.communication.azure.com/" }, /^Invalid connectionString: missing accesskey/],
    ["a non-connection-string", { connectionString: "hello" }, /^Invalid connectionString: missing endpoint/],
    ["connectionString with a bad key", { connectionString: `endpoint=https://x.communication.azure.com/;accesskey=${SECRET_KEY}` }, /^Invalid connectionString accesskey: /],
    ["connectionString with a bad endpoint", { connectionString: `endpoint=not a url;accesskey=${TEST_KEY}` }, /^Invalid connectionString endpoint: /],
    ["connectionString and token", { connectionString: `endpoint=https://x/;accesskey=${TEST_KEY}`, token: "t" }, /^Invalid options: give connectionString alone/],
    ["endpoint alone", { endpoint: "https://x.communication.azure.com" }, /^Invalid options: give endpoint with exactly one of accessKey, token or credential/],
    ["endpoint with key and token", { endpoint: "https://x.communication.azure.com", accessKey: TEST_KEY, token: "t" }, /^Invalid options: give endpoint with exactly one/],
    ["a non-URL endpoint", { endpoint: "x.communication.azure.com", accessKey: TEST_KEY }, /^Invalid endpoint: expected an absolute http\(s\) URL/],
    ["an ftp endpoint", { endpoint: "ftp://x.communication.azure.com", accessKey: TEST_KEY }, /^Invalid endpoint: /],
    ["an endpoint with a query", { endpoint: "https://x.communication.azure.com/?a=1", accessKey: TEST_KEY }, /^Invalid endpoint: /],
    ["an endpoint with credentials", { endpoint: "https://u:p@x.communication.azure.com", accessKey: TEST_KEY }, /^Invalid endpoint: /],
    ["a non-base64 accessKey", { endpoint: "https://x.communication.azure.com", accessKey: SECRET_KEY }, /^Invalid accessKey: expected the base64 access key/],
    ["an empty accessKey", { endpoint: "https://x.communication.azure.com", accessKey: "" }, /^Invalid accessKey: /],
    ["an empty token", { endpoint: "https://x.communication.azure.com", token: "" }, /^Invalid token: /],
    ["a token with a line break", { endpoint: "https://x.communication.azure.com", token: "abc\r\nX-Evil: 1" }, /^Invalid token: /],
    ["an empty apiVersion", { connectionString: `endpoint=https://x/;accesskey=${TEST_KEY}`, apiVersion: "" }, /^Invalid apiVersion: /],
    ["a negative retry.maxRetries", { connectionString: `endpoint=https://x/;accesskey=${TEST_KEY}`, retry: { maxRetries: -1 } }, /^Invalid retry\.maxRetries: expected an integer/],
    ["a fractional retry.maxRetries", { connectionString: `endpoint=https://x/;accesskey=${TEST_KEY}`, retry: { maxRetries: 1.5 } }, /^Invalid retry\.maxRetries: /],
    ["a NaN retry.baseDelayMs", { connectionString: `endpoint=https://x/;accesskey=${TEST_KEY}`, retry: { baseDelayMs: Number.NaN } }, /^Invalid retry\.baseDelayMs: /],
    ["an infinite retry.maxDelayMs", { connectionString: `endpoint=https://x/;accesskey=${TEST_KEY}`, retry: { maxDelayMs: Infinity } }, /^Invalid retry\.maxDelayMs: /],
    ["a non-object retry", { connectionString: `endpoint=https://x/;accesskey=${TEST_KEY}`, retry: 3 }, /^Invalid retry: /],
    ["a zero timeoutMs", { connectionString: `endpoint=https://x/;accesskey=${TEST_KEY}`, timeoutMs: 0 }, /^Invalid timeoutMs: /],
    ["a non-function fetch", { connectionString: `endpoint=https://x/;accesskey=${TEST_KEY}`, fetch: "fetch" }, /^Invalid fetch: /],
    ["a zero maxResponseBytes", { connectionString: `endpoint=https://x/;accesskey=${TEST_KEY}`, maxResponseBytes: 0 }, /^Invalid maxResponseBytes: expected an integer/],
    ["a fractional maxResponseBytes", { connectionString: `endpoint=https://x/;accesskey=${TEST_KEY}`, maxResponseBytes: 1.5 }, /^Invalid maxResponseBytes: /],
    ["a string maxResponseBytes", { connectionString: `endpoint=https://x/;accesskey=${TEST_KEY}`, maxResponseBytes: "4MB" }, /^Invalid maxResponseBytes: /],
  ])("rejects %s with a TypeError naming the field", (_, options, message) => {
    expect(create(options)).toThrow(TypeError);
    expect(create(options)).toThrow(message);
  });

  it("never quotes a key, token or connection string in the message", () => {
    for (const options of [
      { connectionString: `endpoint=https://x/;accesskey=${SECRET_KEY}` },
      { connectionString: `endpoint=${SECRET_KEY};accesskey=${TEST_KEY}` },
      { connectionString: `accesskey=${SECRET_KEY}` },
      { endpoint: "https://x", accessKey: SECRET_KEY },
      { endpoint: `endpoint=https://x/;accesskey=${TEST_KEY}`, accessKey: TEST_KEY }, // connection string pasted as endpoint
      { endpoint: "https://x", token: `${SECRET_KEY} with spaces` },
    ]) {
      const message = (() => {
        try {
          create(options)();
          return "did not throw";
        } catch (error) {
          return String(error);
        }
      })();
      expect(message).toMatch(/^TypeError: Invalid /);
      expect(message).not.toContain(SECRET_KEY);
      expect(message).not.toContain(TEST_KEY);
    }
  });

  it("accepts the connection string keys in any case and order, with a trailing ;", () => {
    const client = createCallAutomationClient({ connectionString: `AccessKey=${TEST_KEY}; Endpoint=https://x.communication.azure.com/;` });
    expect(client.endpoint).toBe("https://x.communication.azure.com");
    expect(client.apiVersion).toBe("2025-05-15");
  });
});

describe("plain http", () => {
  it.each(["http://x.communication.azure.com", "http://10.0.0.5:8080", "http://127.example.com"])("refuses %s with an access key unless allowInsecureConnection", (endpoint) => {
    expect(create({ endpoint, accessKey: TEST_KEY })).toThrow(/^Refusing plain http to .+: use an https endpoint, or set allowInsecureConnection: true/);
    expect(create({ connectionString: `endpoint=${endpoint};accesskey=${TEST_KEY}` })).toThrow(/^Refusing plain http/);
    expect(create({ endpoint, accessKey: TEST_KEY, allowInsecureConnection: true })).not.toThrow();
  });

  it("never sends a bearer token over non-loopback http, even with allowInsecureConnection", () => {
    expect(create({ endpoint: "http://x.communication.azure.com", token: "t", allowInsecureConnection: true })).toThrow(
      "Refusing to send a bearer token over plain http to x.communication.azure.com: use an https endpoint",
    );
  });

  it.each(["http://localhost:1", "http://127.0.0.1:1", "http://127.3.2.1", "http://[::1]:1", "https://x.communication.azure.com"])("allows %s for tokens and keys", (endpoint) => {
    expect(create({ endpoint, token: () => "t" })).not.toThrow();
    expect(create({ endpoint, accessKey: TEST_KEY })).not.toThrow();
  });

  it("client.raw checks each request's own URL too", async () => {
    const sent: string[] = [];
    const fetch = async (url: string) => (sent.push(url), new Response("{}"));
    const client = createCallAutomationClient({ endpoint: "https://x.communication.azure.com", token: "t", fetch });
    const call = client.raw.POST("/calling/callConnections:connect", {
      baseUrl: "http://evil.example",
      params: { query: { "api-version": "2025-05-15" } },
      body: REQUEST,
    });
    await expect(call).rejects.toThrow("Refusing to send a bearer token over plain http to evil.example");
    expect(sent).toEqual([]);
  });

  it("with allowInsecureConnection, signs and sends over http (captured, not sent)", async () => {
    const sent: string[] = [];
    const fetch = async (url: string, init: RequestInit) => (sent.push(`${url} ${new Headers(init.headers).get("authorization")?.slice(0, 11)}`), Response.json(CONNECTED));
    const client = createCallAutomationClient({ endpoint: "http://acs.internal.example", accessKey: TEST_KEY, allowInsecureConnection: true, fetch });
    await client.connect(REQUEST);
    expect(sent).toEqual(["http://acs.internal.example/calling/callConnections:connect?api-version=2025-05-15 HMAC-SHA256"]);
  });
});

describe("connect input, checked before anything is sent", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer((_, res) => json(res, 200, CONNECTED), TEST_KEY);
  });
  afterAll(() => server.close());

  const ID = "5f4c1fd5-6f5e-4d5a-9b3a-6b8e2a7f6c10";
  const SENT = "Thu, 15 May 2025 08:49:37 GMT";

  it.each<[string, unknown, ConnectOptions | undefined, RegExp]>([
    ["no request", undefined, undefined, /^Invalid request: expected a ConnectRequest/],
    ["no callLocator", { callbackUri: "https://app.example/cb" }, undefined, /^Invalid request\.callLocator: required/],
    ["no callbackUri", { callLocator: REQUEST.callLocator }, undefined, /^Invalid request\.callbackUri: required/],
    ["a relative callbackUri", { ...REQUEST, callbackUri: "/callback" }, undefined, /^Invalid request\.callbackUri: /],
    ["a non-string operationContext", REQUEST, { operationContext: 5 as unknown as string }, /^Invalid operationContext: /],
    ["null options", REQUEST, null as unknown as ConnectOptions, /^Invalid connect options: /],
    ["a controller as signal", REQUEST, { signal: new AbortController() as unknown as AbortSignal }, /^Invalid signal: expected an AbortSignal/],
    ["a non-UUID repeatabilityRequestId", REQUEST, { repeatabilityRequestId: "abc", repeatabilityFirstSent: SENT }, /^Invalid repeatabilityRequestId: expected a UUID/],
    ["an ISO repeatabilityFirstSent", REQUEST, { repeatabilityRequestId: ID, repeatabilityFirstSent: "2025-05-15T08:49:37Z" }, /^Invalid repeatabilityFirstSent: expected an IMF-fixdate/],
    ["a wrong weekday", REQUEST, { repeatabilityRequestId: ID, repeatabilityFirstSent: "Fri, 15 May 2025 08:49:37 GMT" }, /^Invalid repeatabilityFirstSent: /],
    ["an invalid Date", REQUEST, { repeatabilityRequestId: ID, repeatabilityFirstSent: new Date(Number.NaN) }, /^Invalid repeatabilityFirstSent: /],
    ["an id without first-sent", REQUEST, { repeatabilityRequestId: ID }, /^Invalid repeatabilityFirstSent: repeatabilityRequestId and repeatabilityFirstSent must be given together/],
    ["first-sent without an id", REQUEST, { repeatabilityFirstSent: SENT }, /^Invalid repeatabilityRequestId: .* must be given together/],
  ])("rejects %s with a TypeError naming the field", async (_, request, options, message) => {
    const client = createCallAutomationClient({ connectionString: connectionString(server) });
    const error = await client.connect(request as typeof REQUEST, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(String((error as Error).message)).toMatch(message);
    expect(server.requests).toHaveLength(0);
  });

  it("client.raw refuses half a repeatability pair, naming the header", async () => {
    const client = createCallAutomationClient({ connectionString: connectionString(server) });
    const call = client.raw.POST("/calling/callConnections:connect", {
      params: { query: { "api-version": "2025-05-15" }, header: { "Repeatability-Request-ID": ID } },
      body: REQUEST,
    });
    await expect(call).rejects.toThrow(/^Invalid Repeatability-First-Sent header: /);
    expect(server.requests).toHaveLength(0);
  });
});
