import { afterEach, describe, expect, it } from "vitest";
import { createCallAutomationClient } from "@acs-connect/client";
import { CONNECTED, REQUEST, TEST_KEY, connectionString, json, startServer, type TestServer } from "./helpers/server.ts";

// A call that ignores its signal hangs until vitest's timeout: these fail fast instead.
const FAIL_FAST = { timeout: 5000 };
const FAST = { baseDelayMs: 1, maxDelayMs: 5 };

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A server that never answers; `arrived` resolves when the n-th request is in. */
async function silentServer(answerFirst?: (res: import("node:http").ServerResponse) => void) {
  let arrived!: () => void;
  const gotRequest = new Promise<void>((resolve) => (arrived = resolve));
  server = await startServer((_, res, index) => {
    if (index === 0 && answerFirst) return answerFirst(res);
    arrived();
  }, TEST_KEY);
  // Wrapped: an async function returning the bare promise would wait for it.
  return { arrived: gotRequest };
}

describe("caller's AbortSignal", () => {
  it("aborts an attempt in flight and rejects with the signal's reason", FAIL_FAST, async () => {
    const { arrived } = await silentServer();
    const client = createCallAutomationClient({ connectionString: connectionString(server!) });
    const controller = new AbortController();
    const call = client.connect(REQUEST, { signal: controller.signal });
    await arrived;
    const reason = new Error("user hung up");
    controller.abort(reason);
    await expect(call).rejects.toBe(reason);
    expect(server?.requests).toHaveLength(1);
  });

  it("rejects with an AbortError DOMException for a plain abort()", FAIL_FAST, async () => {
    const { arrived } = await silentServer();
    const client = createCallAutomationClient({ connectionString: connectionString(server!) });
    const controller = new AbortController();
    const call = client.connect(REQUEST, { signal: controller.signal });
    await arrived;
    controller.abort();
    await expect(call).rejects.toMatchObject({ name: "AbortError" });
  });

  it("aborts the wait between attempts", FAIL_FAST, async () => {
    server = await startServer((_, res) => json(res, 503, {}, { "retry-after": "3600" }), TEST_KEY);
    let answered!: () => void;
    const gotAnswer = new Promise<void>((resolve) => (answered = resolve));
    const client = createCallAutomationClient({
      connectionString: connectionString(server),
      retry: { maxDelayMs: 4_000_000 },
      // The real fetch, observed: tells the test when the 503 is back, so the client is waiting an hour.
      fetch: async (url, init) => {
        const response = await fetch(url, init);
        answered();
        return response;
      },
    });
    const controller = new AbortController();
    const call = client.connect(REQUEST, { signal: controller.signal });
    await gotAnswer;
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();
    await expect(call).rejects.toMatchObject({ name: "AbortError" });
    expect(server.requests).toHaveLength(1);
  });

  it("sends nothing when the signal is already aborted", async () => {
    server = await startServer((_, res) => json(res, 200, CONNECTED), TEST_KEY);
    const client = createCallAutomationClient({ connectionString: connectionString(server) });
    await expect(client.connect(REQUEST, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: "AbortError" });
    expect(server.requests).toHaveLength(0);
  });

  it("aborts while waiting for the token function", FAIL_FAST, async () => {
    server = await startServer((_, res) => json(res, 200, CONNECTED));
    const controller = new AbortController();
    const client = createCallAutomationClient({
      endpoint: server.url,
      token: () => {
        queueMicrotask(() => controller.abort());
        return new Promise<string>(() => {});
      },
    });
    await expect(client.connect(REQUEST, { signal: controller.signal })).rejects.toMatchObject({ name: "AbortError" });
    expect(server.requests).toHaveLength(0);
  });
});

describe("timeoutMs", () => {
  it("stops an attempt in flight with a TimeoutError naming timeoutMs and the attempt", FAIL_FAST, async () => {
    await silentServer();
    const client = createCallAutomationClient({ connectionString: connectionString(server!), timeoutMs: 200 });
    const error = await client.connect(REQUEST).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DOMException);
    expect(error).toMatchObject({ name: "TimeoutError", message: "Connect timed out: timeoutMs (200 ms) elapsed during attempt 1" });
    expect(server?.requests).toHaveLength(1);
  });

  // Waits out its timeoutMs (1.5 s), so 10 s to fail on a hang. The budget must outlast the first
  // attempt's round trip to this process's own server, which a loaded machine can slow by
  // hundreds of milliseconds (300 ms once failed "during attempt 1" at load 15).
  it("covers all attempts together, not each one", { timeout: 10_000 }, async () => {
    await silentServer((res) => json(res, 503, {}));
    const client = createCallAutomationClient({ connectionString: connectionString(server!), timeoutMs: 1_500, retry: FAST });
    await expect(client.connect(REQUEST)).rejects.toMatchObject({ name: "TimeoutError", message: expect.stringContaining("during attempt 2") });
    expect(server?.requests).toHaveLength(2);
  });

  it("stops a token function that never returns", FAIL_FAST, async () => {
    server = await startServer((_, res) => json(res, 200, CONNECTED));
    const client = createCallAutomationClient({ endpoint: server.url, token: () => new Promise<string>(() => {}), timeoutMs: 100 });
    await expect(client.connect(REQUEST)).rejects.toMatchObject({ name: "TimeoutError" });
    expect(server.requests).toHaveLength(0);
  });

  it("applies to client.raw too", FAIL_FAST, async () => {
    await silentServer();
    const client = createCallAutomationClient({ connectionString: connectionString(server!), timeoutMs: 100 });
    const call = client.raw.POST("/calling/callConnections:connect", { params: { query: { "api-version": "2025-05-15" } }, body: REQUEST });
    await expect(call).rejects.toMatchObject({ name: "TimeoutError" });
  });
});
