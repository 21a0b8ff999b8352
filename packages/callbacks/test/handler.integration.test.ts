/**
 * createCallbackHandler served by node:http on 127.0.0.1, verifying tokens from a local issuer
 * (OpenID configuration + JWKS on another loopback port, RS256 key made at start): a valid event
 * reaches its typed handler and `waitForEvent`; tampered, expired, wrong-audience and unknown-kid
 * tokens are refused with 401 in the API's error shape, and unknown key ids make the receiver
 * refetch the keys at most once per cooldown.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createCallbackHandler, toNodeListener, type CallbackEvent, type CallbackEventMap } from "@acs-connect/callbacks";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { callbackExamples } from "./helpers/examples.ts";
import { startIssuer, type TestIssuer } from "./helpers/issuer.ts";

const AUDIENCE = "00000000-0000-4000-8000-000000000001";
const examples = new Map(callbackExamples().map(({ name, events }) => [name, events]));
const connected = () => structuredClone(examples.get("CallConnected")!);

let issuer: TestIssuer;
let server: Server;
let url: string;
let connectedEvents: Array<CallbackEventMap["CallConnected"]>;
let allEvents: CallbackEvent[];
let handler: ReturnType<typeof createCallbackHandler>;

beforeAll(async () => {
  issuer = await startIssuer();
  handler = createCallbackHandler({
    audience: AUDIENCE,
    openIdConfigurationUrl: issuer.configurationUrl,
    // Long enough that no two refetches can happen within one test run.
    jwksCooldownMs: 10 * 60_000,
    handlers: { CallConnected: (event) => void connectedEvents.push(event) },
    onEvent: (event) => void allEvents.push(event),
  });
  server = createServer(toNodeListener(handler));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await issuer?.close();
});

beforeEach(() => {
  connectedEvents = [];
  allEvents = [];
});

const post = (token: string | undefined, body: unknown = connected()) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

async function expectRefused(response: Response, status: number, message: string, target: string) {
  expect(response.status).toBe(status);
  expect(await response.json()).toEqual({ error: { code: status === 401 ? "Unauthorized" : expect.any(String), message, target } });
  expect(connectedEvents).toEqual([]);
}

describe("a callback endpoint built with createCallbackHandler", () => {
  it("delivers a valid event to its typed handler and to onEvent, and answers 200", async () => {
    const response = await post(await issuer.sign({ audience: AUDIENCE }));
    expect(response.status).toBe(200);
    expect(connectedEvents).toEqual(connected());
    expect(connectedEvents[0]!.data.callConnectionId).toBe(connected()[0].data.callConnectionId);
    expect(allEvents).toEqual(connected());
  });

  it("waitForEvent resolves with an event that arrives later, and with one that arrived before", async () => {
    const later = structuredClone(examples.get("TranscriptionStarted")!);
    later[0].data.callConnectionId = "later-connection";
    const waiting = handler.waitForEvent("later-connection", "TranscriptionStarted", { timeoutMs: 20_000 });
    expect((await post(await issuer.sign({ audience: AUDIENCE }), later)).status).toBe(200);
    expect(await waiting).toEqual(later[0]);
    expect(await handler.waitForEvent("later-connection", "TranscriptionStarted", { timeoutMs: 1 })).toEqual(later[0]);
  });

  it("waitForEvent rejects on abort and on timeout", async () => {
    const controller = new AbortController();
    const aborted = handler.waitForEvent("nobody", "CallDisconnected", { signal: controller.signal, timeoutMs: 20_000 });
    controller.abort(new Error("stopped"));
    await expect(aborted).rejects.toThrow("stopped");
    await expect(handler.waitForEvent("nobody", "CallDisconnected", { timeoutMs: 10 })).rejects.toThrow("No CallDisconnected event for call connection nobody");
  });

  it("refuses a callback without a token", async () => {
    await expectRefused(await post(undefined), 401, "The callback has no Authorization header with a bearer JWT.", "Authorization");
  });

  it("refuses a tampered token (payload changed after signing)", async () => {
    const [head, payload, signature] = (await issuer.sign({ audience: AUDIENCE })).split(".");
    const claims = JSON.parse(Buffer.from(payload!, "base64url").toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: "someone-else" })).toString("base64url");
    await expectRefused(await post(`${head}.${forged}.${signature}`), 401, "The callback token's signature does not verify.", "Authorization");
  });

  it("refuses an expired token (beyond the clock tolerance)", async () => {
    await expectRefused(await post(await issuer.sign({ audience: AUDIENCE, expiresInSec: -600 })), 401, "The callback token has expired.", "Authorization");
  });

  it("refuses a token for another audience", async () => {
    await expectRefused(await post(await issuer.sign({ audience: "another-resource" })), 401, "The callback token is for another audience.", "Authorization");
  });

  it("refuses a token from another issuer", async () => {
    await expectRefused(await post(await issuer.sign({ audience: AUDIENCE, issuer: "https://elsewhere.example" })), 401, "The callback token is from another issuer.", "Authorization");
  });

  it("refuses tokens signed with an unknown key, refetching the keys at most once per cooldown", async () => {
    // The keys are already cached from the tests above (or are fetched now, once).
    expect((await post(await issuer.sign({ audience: AUDIENCE }))).status).toBe(200);
    connectedEvents = [];
    const before = issuer.jwksFetches();
    for (let i = 0; i < 5; i++) {
      await expectRefused(await post(await issuer.sign({ audience: AUDIENCE, key: "unpublished" })), 401, "The callback token is signed with a key the issuer does not publish.", "Authorization");
    }
    expect(issuer.jwksFetches() - before).toBeLessThanOrEqual(1);
    expect(issuer.jwksFetches()).toBeGreaterThanOrEqual(1);
  });

  it("refuses an invalid event with 400 naming the property, after the token checks out", async () => {
    const event = connected();
    event[0].data.resultInformation.subCode = "zero";
    const response = await post(await issuer.sign({ audience: AUDIENCE }), event);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: "InvalidType", target: "$[0].data.resultInformation.subCode" } });
    expect(connectedEvents).toEqual([]);
  });

  it("refuses a body larger than the limit with 413, and other methods with 405", async () => {
    const big = JSON.stringify([{ ...connected()[0], data: { ...connected()[0].data, operationContext: "x".repeat(2 * 1024 * 1024) } }]);
    expect((await post(await issuer.sign({ audience: AUDIENCE }), big)).status).toBe(413);
    expect((await fetch(url)).status).toBe(405);
  });
});
