/**
 * The mock's callbacks end to end: the CLI (`node bin/acs-connect-server.mjs`, the build) on a
 * free loopback port, a receiver built with createCallbackHandler + toNodeListener (@acs-connect/callbacks) on
 * another that verifies the mock's JWTs through the mock's own OpenID configuration, and our
 * client connecting. Every delivered event is checked against the generated event validators
 * and parsed by the official SDK's parseCallAutomationEvent. Also: the controls that fail and
 * end a call, retries, the loopback rule, a slow receiver, bad tokens, and shutdown.
 */
import type { ChildProcess } from "node:child_process";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import spec from "@acs-connect/spec";
import { createCallbackHandler, toNodeListener, type CallbackEvent } from "@acs-connect/callbacks";
import { CallAutomationError, createCallAutomationClient, type CallAutomationClient } from "@acs-connect/client";
import { callbackEventNames, type CallbackEventName, type ConnectRequest } from "@acs-connect/types";
import { parseCallAutomationEvent } from "@azure/communication-call-automation";
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { eventValidators } from "../../callbacks/src/generated/validators/validators.gen.js";
import { isLoopbackAddress, screenTarget } from "../src/mock-callbacks.ts";
import { CLI_BIN, outputMatch, spawnCollected, type Collected } from "./helpers.ts";

const AUDIENCE = "7d3c1f0e-0000-4000-8000-00000000e2e0";
const children: ChildProcess[] = [];

/** The spec's named example of the Connect request: it asks to start media streaming and transcription. */
const connectExample = (() => {
  const operation = (spec.paths as any)["/calling/callConnections:connect"].post;
  const examples = operation.requestBody.content["application/json"].examples as Record<string, { value: ConnectRequest }>;
  const withBoth = Object.values(examples).find((example) => example.value.mediaStreamingOptions?.startMediaStreaming && example.value.transcriptionOptions?.startTranscription);
  if (!withBoth) throw new Error("the spec has no Connect example that starts media streaming and transcription");
  return withBoth.value;
})();
const ROOM = { callLocator: connectExample.callLocator };

interface Mock extends Collected {
  pid: number;
  url: string;
  connectionString: string;
}

async function startMock(args: string[] = [], nodeArgs: string[] = []): Promise<Mock> {
  // node itself: one process, whose PID is the server's.
  const running = spawnCollected(process.execPath, [...nodeArgs, CLI_BIN, "--port", "0", "--resource-id", AUDIENCE, ...args], { cwd: import.meta.dirname }, children);
  const match = await outputMatch(running, /connection string: (endpoint=(http:\/\/127\.0\.0\.1:\d+)\/;accesskey=\S+)[\s\S]*pid: +(\d+)/, "the mock did not start");
  return { ...running, pid: Number(match[3]), url: match[2]!, connectionString: match[1]! };
}

async function stopMock(mock: Mock): Promise<number | null> {
  if (mock.child.exitCode === null && mock.child.signalCode === null) process.kill(mock.pid, "SIGTERM");
  return mock.exited;
}

afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, "SIGKILL");
});

async function until<T>(what: string, probe: () => T | undefined, context: () => string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${context()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface Seen {
  path: string;
  authorization: string | undefined;
  body: string;
}

/**
 * The application's side: createCallbackHandler verifying against the mock's OpenID
 * configuration, served by node:http. `/flaky` answers 503 to its first two requests; `/slow`
 * holds each request until `release()`.
 */
async function startReceiver(mock: Mock) {
  const events: CallbackEvent[] = [];
  const seen: Seen[] = [];
  const held: Array<() => void> = [];
  let flaky = 0;
  const handler = createCallbackHandler({
    audience: AUDIENCE,
    openIdConfigurationUrl: `${mock.url}/calling/.well-known/acsopenidconfiguration`,
    onEvent: (event) => void events.push(event),
  });
  // A copy of what arrived, for the token tests, taken from a clone so the handler reads the original.
  const listener = toNodeListener(async (request) => {
    seen.push({ path: new URL(request.url).pathname, authorization: request.headers.get("authorization") ?? undefined, body: await request.clone().text() });
    return handler(request);
  });
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    if (request.url?.startsWith("/flaky") && ++flaky <= 2) {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        seen.push({ path: "/flaky", authorization: request.headers.authorization, body: Buffer.concat(chunks).toString("utf8") });
        response.writeHead(503).end();
      });
      return;
    }
    if (request.url?.startsWith("/slow")) {
      held.push(() => listener(request, response));
      return;
    }
    listener(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    events,
    seen,
    handler,
    held: () => held.length,
    release: () => held.splice(0).forEach((go) => go()),
    of: (callConnectionId: string) => events.filter((event) => (event.data as { callConnectionId?: string }).callConnectionId === callConnectionId),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Our client, sending `prefer` as the Prefer header when given (Prefer is not part of the HMAC signature). */
function clientFor(mock: Mock, prefer?: string): CallAutomationClient {
  return createCallAutomationClient({
    connectionString: mock.connectionString,
    allowInsecureConnection: true,
    retry: { maxRetries: 0 },
    fetch: (input, init) => {
      const headers = new Headers(init.headers);
      if (prefer !== undefined) headers.set("prefer", prefer);
      return fetch(input, { ...init, headers });
    },
  });
}

const nameOf = (event: CallbackEvent) => callbackEventNames[event.type as keyof typeof callbackEventNames] as CallbackEventName | undefined;

/** The generated validator and the official SDK both accept the event; returns what the SDK made of it. */
function checkEvent(event: CallbackEvent): any {
  expect(eventValidators.CloudEvent(event), JSON.stringify(eventValidators.CloudEvent.errors)).toBe(true);
  const parsed: any = parseCallAutomationEvent(JSON.stringify(event));
  expect(parsed.kind).toBe(nameOf(event));
  return parsed;
}

describe("the mock's callbacks, verified by createCallbackHandler", () => {
  let mock: Mock;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    mock = await startMock(["--admin", "--no-auth"]);
    receiver = await startReceiver(mock);
  }, 60_000);
  afterAll(async () => {
    if (mock) expect(await stopMock(mock)).toBe(0);
    await receiver?.close();
  });

  it("serves its OpenID configuration and keys on its own origin", async () => {
    for (const where of ["/calling/.well-known/acsopenidconfiguration", "/.well-known/openid-configuration"]) {
      const configuration = await (await fetch(`${mock.url}${where}`)).json();
      expect(configuration).toMatchObject({ issuer: mock.url, jwks_uri: `${mock.url}/calling/keys` });
    }
    const jwks = (await (await fetch(`${mock.url}/calling/keys`)).json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys).toEqual([expect.objectContaining({ kty: "RSA", alg: "RS256", use: "sig", kid: expect.any(String) })]);
    expect(jwks.keys[0]).not.toHaveProperty("d");
  });

  it("delivers CallConnected, then MediaStreamingStarted and TranscriptionStarted when the request starts them", async () => {
    const request = { ...connectExample, callbackUri: `${receiver.url}/events?secret=NEVER-LOGGED`, operationContext: "e2e-started" };
    const connection = await clientFor(mock).connect(request);
    const id = connection.callConnectionId!;
    await receiver.handler.waitForEvent(id, "CallConnected", { timeoutMs: 20_000 });
    await receiver.handler.waitForEvent(id, "MediaStreamingStarted", { timeoutMs: 20_000 });
    await receiver.handler.waitForEvent(id, "TranscriptionStarted", { timeoutMs: 20_000 });
    const events = receiver.of(id);
    expect(events.map(nameOf)).toEqual(["CallConnected", "MediaStreamingStarted", "TranscriptionStarted"]);
    for (const event of events) {
      const parsed = checkEvent(event);
      expect(parsed).toMatchObject({ callConnectionId: id, serverCallId: connection.serverCallId, correlationId: connection.correlationId, operationContext: "e2e-started" });
      expect(event).toMatchObject({ specversion: "1.0", source: `calling/callConnections/${id}`, subject: `calling/callConnections/${id}` });
    }
    expect(new Set(events.map((event) => event.id)).size).toBe(3);

    // The tokens: RS256, a published key id, the mock as issuer, the resource id as audience, 5 minutes, one per event.
    const tokens = receiver.seen.filter((seen) => seen.body.includes(id)).map((seen) => seen.authorization!.replace(/^Bearer /, ""));
    expect(tokens).toHaveLength(3);
    expect(new Set(tokens).size).toBe(3);
    const { kid } = decodeProtectedHeader(tokens[0]!);
    const jwks = (await (await fetch(`${mock.url}/calling/keys`)).json()) as { keys: Array<{ kid: string }> };
    expect(decodeProtectedHeader(tokens[0]!).alg).toBe("RS256");
    expect(jwks.keys.map((key) => key.kid)).toContain(kid);
    const claims = decodeJwt(tokens[0]!);
    expect(claims).toMatchObject({ iss: mock.url, aud: AUDIENCE });
    expect(claims.exp! - claims.iat!).toBe(300);

    // One log line per delivery, with the origin only: no path, query, or token.
    await until("three delivery lines", () => (mock.output().match(new RegExp(`callback \\w+ ${id} ${receiver.url} 200 attempt 1/4 delivered`, "g"))?.length === 3 ? true : undefined), mock.output);
    expect(mock.output()).not.toContain("NEVER-LOGGED");
    for (const token of tokens) expect(mock.output()).not.toContain(token.split(".")[2]);
  });

  it("sends nothing started when the request does not start media streaming or transcription", async () => {
    const connection = await clientFor(mock).connect({ ...ROOM, callbackUri: `${receiver.url}/events`, operationContext: "plain" });
    const id = connection.callConnectionId!;
    await receiver.handler.waitForEvent(id, "CallConnected", { timeoutMs: 20_000 });
    // Ended through the admin path so that the call's queue is known to be empty afterwards.
    expect((await fetch(`${mock.url}/admin/connections/${id}:disconnect`, { method: "POST" })).status).toBe(202);
    await receiver.handler.waitForEvent(id, "CallDisconnected", { timeoutMs: 20_000 });
    expect(receiver.of(id).map(nameOf)).toEqual(["CallConnected", "CallDisconnected"]);
  });

  it("Prefer callback=ConnectFailed: Connect answers connecting, then ConnectFailed carries the chosen resultInformation", async () => {
    const prefer = 'callback=ConnectFailed; result-code=500; result-subcode=8565; result-message="Failed, as the test asked"';
    const connection = await clientFor(mock, prefer).connect({ ...ROOM, callbackUri: `${receiver.url}/events`, operationContext: "e2e-failed" });
    expect(connection.callConnectionState).toBe("connecting");
    const id = connection.callConnectionId!;
    const failed = await receiver.handler.waitForEvent(id, "ConnectFailed", { timeoutMs: 20_000 });
    expect(failed.data.resultInformation).toEqual({ code: 500, subCode: 8565, message: "Failed, as the test asked" });
    const parsed = checkEvent(failed);
    expect(parsed).toMatchObject({ callConnectionId: id, serverCallId: connection.serverCallId, correlationId: connection.correlationId, operationContext: "e2e-failed" });
    expect(parsed.resultInformation).toMatchObject({ code: 500, subCode: 8565, message: "Failed, as the test asked" });
    // A failed call has ended: it cannot be disconnected, and it never connected.
    const again = await fetch(`${mock.url}/admin/connections/${id}:disconnect`, { method: "POST" });
    expect(again.status).toBe(409);
    expect((await again.json()).error.target).toBe("callConnectionId");
    expect(receiver.of(id).map(nameOf)).toEqual(["ConnectFailed"]);
  });

  it("Prefer disconnect-after ends the call with CallDisconnected after CallConnected", async () => {
    const connection = await clientFor(mock, "disconnect-after=200ms; result-subcode=7001").connect({ ...ROOM, callbackUri: `${receiver.url}/events`, operationContext: "e2e-ends" });
    const id = connection.callConnectionId!;
    const ended = await receiver.handler.waitForEvent(id, "CallDisconnected", { timeoutMs: 20_000 });
    expect(receiver.of(id).map(nameOf)).toEqual(["CallConnected", "CallDisconnected"]);
    // result-subcode alone: the spec example's code and message stay.
    expect(ended.data.resultInformation).toMatchObject({ subCode: 7001, code: expect.any(Number), message: expect.any(String) });
    expect(checkEvent(ended)).toMatchObject({ callConnectionId: id, serverCallId: connection.serverCallId, correlationId: connection.correlationId, operationContext: "e2e-ends" });
  });

  it("POST /admin/connections/{id}:disconnect ends a call with the given resultInformation; 409 once ended, 404 for an unknown id", async () => {
    const connection = await clientFor(mock).connect({ ...ROOM, callbackUri: `${receiver.url}/events`, operationContext: "e2e-admin" });
    const id = connection.callConnectionId!;
    await receiver.handler.waitForEvent(id, "CallConnected", { timeoutMs: 20_000 });
    const resultInformation = { code: 200, subCode: 7002, message: "Ended by the test." };
    const answer = await fetch(`${mock.url}/admin/connections/${id}:disconnect`, { method: "POST", body: JSON.stringify({ resultInformation }) });
    expect(answer.status).toBe(202);
    expect(await answer.json()).toEqual({ callConnectionId: id, event: "CallDisconnected" });
    const ended = await receiver.handler.waitForEvent(id, "CallDisconnected", { timeoutMs: 20_000 });
    expect(ended.data.resultInformation).toEqual(resultInformation);
    expect(checkEvent(ended).resultInformation).toMatchObject(resultInformation);
    expect((await fetch(`${mock.url}/admin/connections/${id}:disconnect`, { method: "POST" })).status).toBe(409);
    const unknown = await fetch(`${mock.url}/admin/connections/no-such-call:disconnect`, { method: "POST" });
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.target).toBe("callConnectionId");
    const bad = await fetch(`${mock.url}/admin/connections/${id}:disconnect`, { method: "POST", body: JSON.stringify({ resultInformation: { code: "500" } }) });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.target).toBe("$.resultInformation.code");
    expect((await fetch(`${mock.url}/admin/connections/${id}:disconnect`)).status).toBe(405);
  });

  it("answers 422 naming the preference for a control it cannot apply", async () => {
    const cases: Array<[string, string]> = [
      ["callback=Nope", "Prefer callback"],
      ["callback=ConnectFailed; result-code=abc", "Prefer callback"],
      ["disconnect-after=forever", "Prefer disconnect-after"],
      ["disconnect-after=601s", "Prefer disconnect-after"],
      ["callback=ConnectFailed, disconnect-after=1s", "Prefer disconnect-after"],
    ];
    const created = async () => ((await (await fetch(`${mock.url}/admin/connections`)).json()) as { total: number }).total;
    const before = await created();
    for (const [prefer, target] of cases) {
      const error = await clientFor(mock, prefer)
        .connect({ ...ROOM, callbackUri: `${receiver.url}/events` })
        .then(() => undefined, (caught: unknown) => caught);
      expect(error, prefer).toBeInstanceOf(CallAutomationError);
      expect((error as CallAutomationError).status, prefer).toBe(422);
      expect((error as CallAutomationError).target, prefer).toBe(target);
    }
    // Refused before the handler ran: no connection was created.
    expect(await created()).toBe(before);
  });

  it("retries a 503 with back-off and delivers the event once, logging each attempt", async () => {
    const connection = await clientFor(mock).connect({ ...ROOM, callbackUri: `${receiver.url}/flaky`, operationContext: "e2e-retry" });
    const id = connection.callConnectionId!;
    await receiver.handler.waitForEvent(id, "CallConnected", { timeoutMs: 20_000 });
    const attempts = receiver.seen.filter((seen) => seen.path === "/flaky");
    expect(attempts).toHaveLength(3);
    // The same event each time (its id kept), each with a token of its own.
    expect(new Set(attempts.map((seen) => JSON.parse(seen.body)[0].id)).size).toBe(1);
    expect(new Set(attempts.map((seen) => seen.authorization)).size).toBe(3);
    expect(receiver.of(id).map(nameOf)).toEqual(["CallConnected"]);
    const lines = await until(
      "the delivery line",
      () => {
        const found = mock.output().split("\n").filter((line) => line.includes(`callback CallConnected ${id}`));
        return found.length === 3 ? found : undefined;
      },
      mock.output,
    );
    expect(lines[0]).toMatch(/ 503 attempt 1\/4 retrying in \d+ ms$/);
    expect(lines[1]).toMatch(/ 503 attempt 2\/4 retrying in \d+ ms$/);
    expect(lines[2]).toMatch(/ 200 attempt 3\/4 delivered$/);
  });

  it("does not hold the Connect response for a receiver that has not answered", async () => {
    const pending = clientFor(mock).connect({ ...ROOM, callbackUri: `${receiver.url}/slow`, operationContext: "e2e-slow" });
    // The receiver answers nothing until released: a Connect that waited for it would never resolve.
    const connection = await Promise.race([pending, new Promise<never>((_, reject) => setTimeout(() => reject(new Error("Connect waited for the callback receiver")), 15_000))]);
    const id = connection.callConnectionId!;
    expect(receiver.of(id)).toEqual([]);
    await until("the held callback", () => (receiver.held() > 0 ? true : undefined), mock.output);
    receiver.release();
    await receiver.handler.waitForEvent(id, "CallConnected", { timeoutMs: 20_000 });
  });

  it("refuses a callbackUri that is not a loopback address, logging it without the host", async () => {
    const connection = await clientFor(mock).connect({ ...ROOM, callbackUri: "http://192.0.2.1:9/hook?token=NEVER-LOGGED" });
    expect(connection.callConnectionState).toBe("connecting");
    const id = connection.callConnectionId!;
    const line = await until("the refusal", () => mock.output().split("\n").find((text) => text.includes(`callback CallConnected ${id}`)), mock.output);
    expect(line).toMatch(/ - refused - callbackUri is not a loopback address; allow its host with --allow-callback-host/);
    expect(line).not.toContain("192.0.2.1");
    // A URL too long to remember, even a loopback one: a flood of them must not fill the memory.
    const long = await clientFor(mock).connect({ ...ROOM, callbackUri: `${receiver.url}/${"x".repeat(9000)}` });
    const refused = await until("the refusal", () => mock.output().split("\n").find((text) => text.includes(`callback CallConnected ${long.callConnectionId}`)), mock.output);
    expect(refused).toMatch(/ - refused - callbackUri is longer than 8192 characters$/);
  });

  it("resolves a host name and delivers to its loopback address; refuses a name that does not resolve, without naming it", async () => {
    const byName = await clientFor(mock).connect({ ...ROOM, callbackUri: `${receiver.url.replace("127.0.0.1", "localhost")}/events` });
    await receiver.handler.waitForEvent(byName.callConnectionId!, "CallConnected", { timeoutMs: 20_000 });
    const unresolvable = await clientFor(mock).connect({ ...ROOM, callbackUri: "http://callback-host.invalid/hook" });
    const line = await until("the refusal", () => mock.output().split("\n").find((text) => text.includes(`callback CallConnected ${unresolvable.callConnectionId}`)), mock.output);
    expect(line).toMatch(/ - refused - callbackUri's host name does not resolve/);
    expect(line).not.toContain("callback-host.invalid");
  });

  describe("tokens", () => {
    /** A token and body the mock sent, posted again straight to the receiver. */
    const replay = (authorization: string, body: string, url = `${receiver.url}/events`) =>
      fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization }, body });
    const delivered = () => receiver.seen.find((seen) => seen.path === "/events" && seen.body.includes("CallConnected"))!;

    it("the mock's token verifies when sent again (the baseline of the refusals below)", async () => {
      const { authorization, body } = delivered();
      expect((await replay(authorization!, body)).status).toBe(200);
    });

    it("refuses a tampered token", async () => {
      const { authorization, body } = delivered();
      const [header, payload, signature] = authorization!.replace(/^Bearer /, "").split(".");
      const claims = JSON.parse(Buffer.from(payload!, "base64url").toString());
      const forged = Buffer.from(JSON.stringify({ ...claims, aud: "someone-else", exp: claims.exp + 3600 })).toString("base64url");
      const tampered = await replay(`Bearer ${header}.${forged}.${signature}`, body);
      expect(tampered.status).toBe(401);
      expect((await tampered.json()).error.message).toBe("The callback token's signature does not verify.");
      const flipped = signature!.slice(0, 10) + (signature![10] === "A" ? "B" : "A") + signature!.slice(11);
      expect((await replay(`Bearer ${header}.${payload}.${flipped}`, body)).status).toBe(401);
    });

    it("refuses a token for another audience", async () => {
      const other = createCallbackHandler({ audience: "another-resource", openIdConfigurationUrl: `${mock.url}/.well-known/openid-configuration` });
      const { authorization, body } = delivered();
      const refused = await other(new Request("http://127.0.0.1/events", { method: "POST", headers: { "content-type": "application/json", authorization: authorization! }, body }));
      expect(refused.status).toBe(401);
      expect((await refused.json()).error.message).toBe("The callback token is for another audience.");
    });

    it("refuses the mock's token once it has expired (5 minutes and the receiver's 60 s of skew)", async () => {
      const { authorization, body } = delivered();
      const { exp } = decodeJwt(authorization!.replace(/^Bearer /, ""));
      vi.useFakeTimers({ toFake: ["Date"] });
      try {
        vi.setSystemTime((exp! + 61) * 1000);
        const expired = await replay(authorization!, body);
        expect(expired.status).toBe(401);
        expect((await expired.json()).error.message).toBe("The callback token has expired.");
      } finally {
        vi.useRealTimers();
      }
    });

    it("refuses a token signed with a key the mock does not publish, under an unknown kid or the mock's own", async () => {
      const { body, authorization } = delivered();
      const { kid } = decodeProtectedHeader(authorization!.replace(/^Bearer /, ""));
      const { privateKey } = await generateKeyPair("RS256");
      const sign = (keyId: string) =>
        new SignJWT({}).setProtectedHeader({ alg: "RS256", kid: keyId, typ: "JWT" }).setIssuer(mock.url).setAudience(AUDIENCE).setIssuedAt().setExpirationTime("5m").sign(privateKey);
      const unknown = await replay(`Bearer ${await sign("not-a-published-key")}`, body);
      expect(unknown.status).toBe(401);
      expect((await unknown.json()).error.message).toBe("The callback token is signed with a key the issuer does not publish.");
      const impostor = await replay(`Bearer ${await sign(kid!)}`, body);
      expect(impostor.status).toBe(401);
      expect((await impostor.json()).error.message).toBe("The callback token's signature does not verify.");
    });
  });

  it("every event the receiver accepted is valid against the generated validators", () => {
    expect(receiver.events.length).toBeGreaterThan(0);
    for (const event of receiver.events) expect(eventValidators.CloudEvent(event), JSON.stringify(event)).toBe(true);
  });
});

describe("--log json, and shutdown", () => {
  it("logs each delivery as a JSON object; abandons a delivery still waiting for its receiver and exits", async () => {
    const mock = await startMock(["--no-auth", "--log", "json"]);
    const receiver = await startReceiver(mock);
    try {
      const connection = await clientFor(mock).connect({ ...ROOM, callbackUri: `${receiver.url}/events?key=NEVER-LOGGED` });
      await receiver.handler.waitForEvent(connection.callConnectionId!, "CallConnected", { timeoutMs: 20_000 });
      const line = await until(
        "the JSON delivery line",
        () => mock.output().split("\n").filter((text) => text.startsWith("{")).map((text) => JSON.parse(text) as Record<string, unknown>).find((entry) => entry.callback === "CallConnected"),
        mock.output,
      );
      expect(line).toMatchObject({ callConnectionId: connection.callConnectionId, to: receiver.url, status: 200, attempt: 1, attempts: 4, outcome: "delivered" });
      expect(mock.output()).not.toContain("NEVER-LOGGED");

      await clientFor(mock).connect({ ...ROOM, callbackUri: `${receiver.url}/slow` });
      await until("the held callback", () => (receiver.held() > 0 ? true : undefined), mock.output);
      process.kill(mock.pid, "SIGTERM");
      expect(await mock.exited).toBe(0);
      expect(mock.output()).toContain("abandoned 1 pending callback(s)");
    } finally {
      await receiver.close();
    }
  });
});

describe("with --handler", () => {
  it("sends no callbacks, and refuses the callback controls with 422", async () => {
    // A TypeScript handler, run as the README says: under tsx's loader.
    const mock = await startMock(["--no-auth", "--handler", path.join(import.meta.dirname, "fixtures/typescript-handler.ts")], ["--import", "tsx"]);
    const receiver = await startReceiver(mock);
    try {
      expect(mock.output()).not.toContain("callbacks:");
      const post = (prefer?: string) =>
        fetch(`${mock.url}/calling/callConnections:connect?api-version=2025-05-15`, {
          method: "POST",
          headers: { "content-type": "application/json", ...(prefer ? { prefer } : {}) },
          body: JSON.stringify({ ...ROOM, callbackUri: `${receiver.url}/events` }),
        });
      for (const [prefer, target] of [["callback=ConnectFailed", "Prefer callback"], ["disconnect-after=1s", "Prefer disconnect-after"]]) {
        const refused = await post(prefer);
        expect(refused.status).toBe(422);
        expect((await refused.json()).error.target).toBe(target);
      }
      expect((await post()).status).toBe(200);
    } finally {
      expect(await stopMock(mock)).toBe(0);
      await receiver.close();
    }
    // Stopped: anything the mock would have sent has had its chance.
    expect(receiver.seen).toEqual([]);
    expect(mock.output()).not.toMatch(/Z callback \w+ /);
  });
});

describe("the loopback rule", () => {
  it("knows loopback addresses, IPv4-mapped ones included", () => {
    for (const address of ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"]) expect(isLoopbackAddress(address), address).toBe(true);
    for (const address of ["10.0.0.1", "192.0.2.1", "0.0.0.0", "::", "::ffff:10.0.0.1", "fe80::1", "localhost"]) expect(isLoopbackAddress(address), address).toBe(false);
  });

  it("sends to loopback IPs and allowed hosts, looks names up, refuses other IPs", () => {
    const none = new Set<string>();
    expect(screenTarget(new URL("http://127.0.0.1:1/"), none, false)).toBe("send");
    expect(screenTarget(new URL("http://[::1]:1/"), none, false)).toBe("send");
    expect(screenTarget(new URL("http://localhost:1/"), none, false)).toBe("lookup");
    expect(screenTarget(new URL("https://app.example/cb"), none, false)).toBe("lookup");
    expect(screenTarget(new URL("http://192.0.2.1/"), none, false)).toBe("refuse");
    expect(screenTarget(new URL("http://[fe80::1]/"), none, false)).toBe("refuse");
    expect(screenTarget(new URL("https://App.Example/cb"), new Set(["app.example"]), false)).toBe("send");
    expect(screenTarget(new URL("http://192.0.2.1/"), new Set(["192.0.2.1"]), false)).toBe("send");
    expect(screenTarget(new URL("http://192.0.2.1/"), none, true)).toBe("send");
  });
});
