/**
 * Property-based fuzzing (fast-check) of bodies, headers, query strings and paths: whatever a
 * caller sends, the server answers without crashing, never with a 5xx, and every error is a
 * well-formed CommunicationErrorResponse. Bounded in runs and in time; a failure prints the
 * seed and the shrunk input to replay it.
 */
import { createHash, createHmac } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { audioFormatValues } from "@acs-connect/types";
import { createConnectHandler, mockConnect } from "@acs-connect/server";
// The compiled validators are internal to the package; tests reach them through the source.
import { responseValidators } from "../src/generated/validators/validators.gen.js";
import { BODY, KEY, PATH, TARGET, send, signedHeaders, startServer, type TestServer } from "./helpers.ts";

const ORIGIN = "http://127.0.0.1:8443";
const HOST = "127.0.0.1:8443";
const RUNS = { numRuns: 400, interruptAfterTimeLimit: 8_000 };

const handle = createConnectHandler({ connect: mockConnect, auth: { accessKey: KEY }, validateResponses: true });

function sign(target: string, body: Uint8Array | string): Record<string, string> {
  const date = new Date().toUTCString();
  const hash = createHash("sha256").update(body).digest("base64");
  const signature = createHmac("sha256", Buffer.from(KEY, "base64")).update(`POST\n${target}\n${date};${HOST};${hash}`).digest("base64");
  return {
    "x-ms-date": date,
    "x-ms-content-sha256": hash,
    authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${signature}`,
  };
}

/** Sends through the Fetch handler and checks the invariants every answer must keep. */
async function exchange(target: string, body: Uint8Array | string, headers: Record<string, string>, method = "POST") {
  const payload = body as Uint8Array<ArrayBuffer> | string;
  const response = await handle(new Request(`${ORIGIN}${target}`, { method, body: method === "GET" ? null : payload, headers }));
  const text = await response.text();
  expect(response.status, text).toBeLessThan(500);
  expect(response.headers.get("x-ms-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  const json = JSON.parse(text);
  if (response.status >= 400) {
    expect(responseValidators.CommunicationErrorResponse(json), text).toBe(true);
    expect(json.error.code).toMatch(/^[A-Z][A-Za-z]+$/);
    expect(json.error.message.length).toBeGreaterThan(0);
    for (const detail of json.error.details ?? []) expect(detail.target).toMatch(/^\$/);
  } else {
    expect(responseValidators.CallConnectionProperties(json), text).toBe(true);
  }
  return { status: response.status, json };
}

/** Valid ConnectRequests: every field from the values the spec allows. */
const validConnect = fc.record(
  {
    callLocator: fc.oneof(
      fc.record({ kind: fc.constant("roomCallLocator"), roomId: fc.string() }),
      fc.record({ kind: fc.constant("groupCallLocator"), groupCallId: fc.string() }),
      fc.record({ kind: fc.constant("serverCallLocator"), serverCallId: fc.string() }),
    ),
    callbackUri: fc.webUrl(),
    operationContext: fc.string(),
    mediaStreamingOptions: fc.record(
      {
        transportType: fc.constant("websocket"),
        audioChannelType: fc.constantFrom("mixed", "unmixed"),
        transportUrl: fc.webUrl(),
        audioFormat: fc.constantFrom(...audioFormatValues),
        startMediaStreaming: fc.boolean(),
        contentType: fc.constant("audio"),
      },
      { requiredKeys: ["transportType", "audioChannelType"] },
    ),
    transcriptionOptions: fc.record(
      { transportType: fc.constant("websocket"), locale: fc.constantFrom("en-US", "de-DE"), startTranscription: fc.boolean() },
      { requiredKeys: ["transportType", "locale"] },
    ),
  },
  { requiredKeys: ["callLocator", "callbackUri"] },
);

/** JSON shaped like a ConnectRequest, with every field sometimes wrong. */
const anyConnectLike = fc.record(
  {
    callLocator: fc.oneof(
      fc.record(
        {
          kind: fc.oneof(fc.constantFrom("groupCallLocator", "serverCallLocator", "roomCallLocator"), fc.string(), fc.integer()),
          roomId: fc.oneof(fc.string(), fc.integer()),
          groupCallId: fc.string(),
          serverCallId: fc.oneof(fc.string(), fc.constant(null)),
        },
        { requiredKeys: [] },
      ),
      fc.jsonValue(),
    ),
    callbackUri: fc.oneof(fc.webUrl(), fc.string(), fc.integer(), fc.constant(null)),
    operationContext: fc.oneof(fc.string(), fc.jsonValue()),
    mediaStreamingOptions: fc.record(
      {
        transportType: fc.oneof(fc.constant("websocket"), fc.string()),
        audioChannelType: fc.oneof(fc.constantFrom("mixed", "unmixed"), fc.string()),
        transportUrl: fc.oneof(fc.webUrl(), fc.integer()),
        audioFormat: fc.oneof(fc.constantFrom(...audioFormatValues), fc.string()),
        startMediaStreaming: fc.oneof(fc.boolean(), fc.string()),
        contentType: fc.oneof(fc.constant("audio"), fc.string()),
      },
      { requiredKeys: [] },
    ),
    transcriptionOptions: fc.record(
      {
        transportType: fc.oneof(fc.constant("websocket"), fc.string()),
        locale: fc.oneof(fc.constantFrom("en-US", "de-DE"), fc.integer()),
        startTranscription: fc.oneof(fc.boolean(), fc.constant(1)),
        enableIntermediateResults: fc.boolean(),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: [] },
);

/** Half valid requests, half anything shaped like one: both outcomes are exercised every run. */
const connectLike = fc.oneof(validConnect, anyConnectLike);

/** Header values a client could put on the wire (visible ASCII and spaces). */
const headerValue = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 80 });

describe("fuzzing bodies", () => {
  it("ConnectRequest-shaped JSON: 200 when valid, otherwise 400 naming the paths", async () => {
    let valid = 0;
    await fc.assert(
      fc.asyncProperty(connectLike, async (value) => {
        const body = JSON.stringify(value);
        const { status } = await exchange(TARGET, body, { "content-type": "application/json", ...sign(TARGET, body) });
        expect([200, 400]).toContain(status);
        if (status === 200) valid++;
      }),
      RUNS,
    );
    // The generator reaches both outcomes, so both paths were exercised.
    expect(valid).toBeGreaterThan(0);
  });

  it("any JSON value", async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 6 }), async (value) => {
        const body = JSON.stringify(value) ?? "null";
        const { status } = await exchange(TARGET, body, { "content-type": "application/json", ...sign(TARGET, body) });
        expect(status).toBe(400);
      }),
      RUNS,
    );
  });

  it("any bytes, valid UTF-8 or not", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (bytes) => {
        const { status, json } = await exchange(TARGET, bytes, { "content-type": "application/json", ...sign(TARGET, bytes) });
        expect(status).toBe(400);
        expect(["MissingBody", "InvalidJson", "InvalidRequestBody"]).toContain(json.error.code);
      }),
      RUNS,
    );
  });
});

describe("fuzzing headers", () => {
  it("repeatability, content type, date and authorization values", async () => {
    const body = JSON.stringify(BODY);
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            "repeatability-request-id": fc.oneof(fc.uuid(), headerValue),
            "repeatability-first-sent": fc.oneof(fc.date({ noInvalidDate: true }).map((date) => date.toUTCString()), headerValue),
            "content-type": fc.oneof(fc.constant("application/json"), headerValue),
            "x-ms-date": headerValue,
            authorization: headerValue,
            "x-ms-content-sha256": headerValue,
          },
          { requiredKeys: [] },
        ),
        async (overrides) => {
          const headers: Record<string, string> = { "content-type": "application/json", ...sign(TARGET, body), ...overrides };
          await exchange(TARGET, body, headers);
        },
      ),
      RUNS,
    );
  });
});

describe("fuzzing query strings and paths", () => {
  it("query strings, signed as sent", async () => {
    const body = JSON.stringify(BODY);
    await fc.assert(
      fc.asyncProperty(fc.webQueryParameters(), fc.option(fc.constantFrom("2025-05-15", "2026-03-12", "", "2025-05-15&api-version=x")), async (query, version) => {
        const target = `${PATH}?${version === null ? "" : `api-version=${version}&`}${query}`;
        const url = new URL(`${ORIGIN}${target}`);
        const sent = `${url.pathname}${url.search}`;
        await exchange(sent, body, { "content-type": "application/json", ...sign(sent, body) });
      }),
      RUNS,
    );
  });

  it("paths and methods", async () => {
    await fc.assert(
      fc.asyncProperty(fc.webPath(), fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH"), async (path, method) => {
        const url = new URL(`${ORIGIN}${path || "/"}`);
        const sent = `${url.pathname}${url.search}`;
        const body = "{}";
        const { status } = await exchange(sent, body, { "content-type": "application/json", ...sign(sent, body) }, method === "GET" ? "GET" : method);
        expect(status).toBeGreaterThanOrEqual(400);
      }),
      RUNS,
    );
  });
});

describe("fuzzing over real HTTP", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ connect: mockConnect });
  });
  afterAll(async () => {
    await server.close();
  });

  it("bodies and headers through node:http", async () => {
    await fc.assert(
      fc.asyncProperty(connectLike, fc.option(fc.oneof(fc.uuid(), headerValue)), async (value, requestId) => {
        const body = JSON.stringify(value);
        const answer = await send(server.port, {
          body,
          headers: {
            "content-type": "application/json",
            ...signedHeaders({ host: server.host, body }),
            ...(requestId === null ? {} : { "repeatability-request-id": requestId, "repeatability-first-sent": new Date().toUTCString() }),
          },
        });
        expect(answer.status, answer.text).toBeLessThan(500);
        if (answer.status >= 400) expect(responseValidators.CommunicationErrorResponse(answer.json), answer.text).toBe(true);
      }),
      { numRuns: 150, interruptAfterTimeLimit: 8_000 },
    );
  });
});
