import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { CallAutomationError, createCallAutomationClient, type CallAutomationClientOptions } from "@acs-connect/client";
import { serverDelay } from "../src/failure.ts";
import { CONNECTED, REQUEST, TEST_KEY, connectionString, json, startServer, type Handler, type TestServer } from "./helpers/server.ts";

const FAST = { baseDelayMs: 1, maxDelayMs: 5 };
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Answers with the given statuses in turn, then 200; records when each answer left. */
function script(steps: Array<number | "destroy" | ((res: ServerResponse) => void)>) {
  const answeredAt: number[] = [];
  const handler: Handler = (_, res, index) => {
    const step = steps[index] ?? 200;
    answeredAt[index] = Date.now();
    if (step === "destroy") res.socket?.destroy();
    else if (typeof step === "function") step(res);
    else if (step === 200) json(res, 200, CONNECTED);
    else json(res, step, { error: { code: `Status${step}`, message: `status ${step}` } });
  };
  return { handler, answeredAt };
}

async function clientFor(steps: Parameters<typeof script>[0], options: Partial<CallAutomationClientOptions> = {}) {
  const { handler, answeredAt } = script(steps);
  server = await startServer(handler, TEST_KEY);
  const client = createCallAutomationClient({ connectionString: connectionString(server), retry: FAST, ...options } as CallAutomationClientOptions);
  return { client, answeredAt, server };
}

describe("which answers are retried", () => {
  it.each([408, 429, 500, 502, 503, 504])("retries %i, then resolves", async (status) => {
    const { client } = await clientFor([status]);
    await expect(client.connect(REQUEST)).resolves.toEqual(CONNECTED);
    expect(server?.requests).toHaveLength(2);
  });

  it.each([400, 401, 403, 404, 409, 412, 501, 505])("does not retry %i", async (status) => {
    const { client } = await clientFor([status]);
    const error = await client.connect(REQUEST).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CallAutomationError);
    expect((error as CallAutomationError).status).toBe(status);
    expect(server?.requests).toHaveLength(1);
  });

  it("retries a reset connection (network error), then resolves", async () => {
    const { client } = await clientFor(["destroy", "destroy"]);
    await expect(client.connect(REQUEST)).resolves.toEqual(CONNECTED);
    expect(server?.requests).toHaveLength(3);
  });

  it("retries a connection that drops in the middle of the response body", async () => {
    const { client } = await clientFor([
      (res) => {
        res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
        res.write('{"callConnectionId":"trunc', () => res.socket?.destroy());
      },
    ]);
    await expect(client.connect(REQUEST)).resolves.toEqual(CONNECTED);
    expect(server?.requests).toHaveLength(2);
  });

  it("makes 1 + maxRetries attempts, then rejects with the last answer", async () => {
    for (const [retry, attempts] of [[{ ...FAST }, 4], [{ ...FAST, maxRetries: 0 }, 1], [{ ...FAST, maxRetries: 5 }, 6]] as const) {
      const { client } = await clientFor(Array(10).fill(503), { retry });
      await expect(client.connect(REQUEST)).rejects.toMatchObject({ status: 503, code: "Status503" });
      expect(server?.requests).toHaveLength(attempts);
      await server?.close();
      server = undefined;
    }
  });

  it("after network errors on every attempt, rejects with a NetworkError CallAutomationError", async () => {
    const { client } = await clientFor(Array(10).fill("destroy"));
    const error = (await client.connect(REQUEST).catch((e: unknown) => e)) as CallAutomationError;
    expect(error).toBeInstanceOf(CallAutomationError);
    expect(error).toMatchObject({ status: 0, code: "NetworkError", attempts: 4 });
    expect(error.message).toMatch(/^Connect failed: network error on 4 attempts: /);
    expect(error.cause).toBeInstanceOf(Error);
    expect(error.repeatabilityRequestId).toBe(server?.requests[0]?.headers["repeatability-request-id"]);
    expect(server?.requests).toHaveLength(4);
  });

  it("caps the exponential back-off at maxDelayMs", { timeout: 10_000 }, async () => {
    // Uncapped, base 600 s would stall far beyond the test timeout.
    const { client } = await clientFor([503, 503], { retry: { baseDelayMs: 600_000, maxDelayMs: 20 } });
    await expect(client.connect(REQUEST)).resolves.toEqual(CONNECTED);
    expect(server?.requests).toHaveLength(3);
  });
});

describe("repeatability across retries", () => {
  it("sends one generated pair (v4 UUID, IMF-fixdate) and one client request id on every attempt, each attempt signed", async () => {
    const before = Date.now();
    const { client } = await clientFor([503, "destroy", 500]);
    await client.connect(REQUEST);
    const requests = server?.requests ?? [];
    expect(requests).toHaveLength(4);
    const first = requests[0]!.headers;
    expect(first["repeatability-request-id"]).toMatch(UUID_V4);
    const firstSent = String(first["repeatability-first-sent"]);
    expect(new Date(firstSent).toUTCString()).toBe(firstSent);
    expect(Date.parse(firstSent)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    for (const { headers, signatureProblem } of requests) {
      expect(signatureProblem).toBeUndefined();
      expect(headers["repeatability-request-id"]).toBe(first["repeatability-request-id"]);
      expect(headers["repeatability-first-sent"]).toBe(firstSent);
      expect(headers["x-ms-client-request-id"]).toBe(first["x-ms-client-request-id"]);
    }
  });

  it("generates a new pair for each logical call", async () => {
    const { client } = await clientFor([]);
    await client.connect(REQUEST);
    await client.connect(REQUEST);
    const [a, b] = server?.requests ?? [];
    expect(a?.headers["repeatability-request-id"]).not.toBe(b?.headers["repeatability-request-id"]);
  });

  it("uses the caller's pair on every attempt (a Date is sent as IMF-fixdate)", async () => {
    const { client } = await clientFor([503, 503]);
    const id = "5f4c1fd5-6f5e-4d5a-9b3a-6b8e2a7f6c10";
    const firstSent = new Date(Date.now() - 60_000);
    await client.connect(REQUEST, { repeatabilityRequestId: id, repeatabilityFirstSent: firstSent });
    expect(server?.requests).toHaveLength(3);
    for (const { headers } of server?.requests ?? []) {
      expect(headers["repeatability-request-id"]).toBe(id);
      expect(headers["repeatability-first-sent"]).toBe(firstSent.toUTCString());
    }
  });

  it("re-signs each retry with a fresh x-ms-date while the pair stays the same", async () => {
    const { client } = await clientFor([(res) => json(res, 503, {}, { "retry-after": "1" })], { retry: { ...FAST, maxDelayMs: 5000 } });
    await client.connect(REQUEST);
    const [a, b] = server?.requests ?? [];
    const dateA = Date.parse(String(a?.headers["x-ms-date"]));
    const dateB = Date.parse(String(b?.headers["x-ms-date"]));
    expect(dateB - dateA).toBeGreaterThanOrEqual(1000);
    expect(a?.headers.authorization).not.toBe(b?.headers.authorization);
    expect(b?.signatureProblem).toBeUndefined();
    expect(b?.headers["repeatability-first-sent"]).toBe(a?.headers["repeatability-first-sent"]);
  });
});

describe("server-requested delays", () => {
  const SLOW_OK = { ...FAST, maxDelayMs: 10_000 };

  it.each([
    ["Retry-After (seconds)", { "retry-after": "1" }, 1000],
    ["retry-after-ms", { "retry-after-ms": "300" }, 300],
    ["x-ms-retry-after-ms", { "x-ms-retry-after-ms": "300" }, 300],
  ])("honours %s", async (_, headers, wait) => {
    const { client, answeredAt } = await clientFor([(res) => json(res, 429, {}, headers)], { retry: SLOW_OK });
    await client.connect(REQUEST);
    expect(server?.requests).toHaveLength(2);
    expect(server!.requests[1]!.at - answeredAt[0]!).toBeGreaterThanOrEqual(wait);
  });

  it("honours Retry-After as an HTTP-date", async () => {
    let until = 0;
    const { client } = await clientFor(
      [
        (res) => {
          until = (Math.floor(Date.now() / 1000) + 2) * 1000; // at least 1 s away, on a whole second
          json(res, 503, {}, { "retry-after": new Date(until).toUTCString() });
        },
      ],
      { retry: SLOW_OK },
    );
    await client.connect(REQUEST);
    expect(server?.requests).toHaveLength(2);
    expect(server!.requests[1]!.at).toBeGreaterThanOrEqual(until);
  });

  it("does not retry when the server asks for more than maxDelayMs, and reports the delay", async () => {
    const { client } = await clientFor([(res) => json(res, 503, { error: { code: "ServiceUnavailable", message: "Busy." } }, { "retry-after": "120" })]);
    const error = (await client.connect(REQUEST).catch((e: unknown) => e)) as CallAutomationError;
    expect(error).toMatchObject({ status: 503, code: "ServiceUnavailable", retryAfterMs: 120_000 });
    expect(error.message).toBe("Connect failed: 503 ServiceUnavailable: Busy. (the service asks to retry after 120 s)");
    expect(server?.requests).toHaveLength(1);
  });

  it("returns the answer at once when the wait would outlast timeoutMs", async () => {
    const { client } = await clientFor([(res) => json(res, 503, {}, { "retry-after": "20" })], { retry: { maxDelayMs: 60_000 }, timeoutMs: 5000 });
    await expect(client.connect(REQUEST)).rejects.toMatchObject({ name: "CallAutomationError", status: 503, retryAfterMs: 20_000 });
    expect(server?.requests).toHaveLength(1);
  });

  it.each([
    ["IMF-fixdate", "Sun, 06 Nov 2094 08:49:37 GMT"],
    ["RFC 850", "Saturday, 06-Nov-94 08:49:37 GMT"],
    ["asctime (GMT, not local time)", "Sat Nov  6 08:49:37 2094"],
  ])("reads every HTTP-date form RFC 9110 requires: %s", (_, value) => {
    const asIso = value.startsWith("Saturday") ? Date.UTC(1994, 10, 6, 8, 49, 37) : Date.UTC(2094, 10, 6, 8, 49, 37);
    const delay = serverDelay(new Headers({ "retry-after": value }))!;
    // A date in the past means "now"; a future one is the distance to it (within the test's own run time).
    if (asIso < Date.now()) expect(delay).toBe(0);
    else expect(Math.abs(Date.now() + delay - asIso)).toBeLessThan(60_000);
  });
});
