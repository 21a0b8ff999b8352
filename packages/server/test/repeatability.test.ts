/**
 * Repeatable requests as the reference describes them (OASIS Repeatable Requests 1.0 applied
 * by ACS): malformed pairs, the window, replay without a second execution, mismatches, requests
 * in flight, and a bounded store.
 */
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { MemoryRepeatabilityStore, type RepeatabilityStore } from "@acs-connect/server";
import { BODY, repeatability, startServer, type TestServer } from "./helpers.ts";

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** A server whose handler counts executions and can be held open. */
async function counting(options: Parameters<typeof startServer>[0] = {}) {
  const calls: string[] = [];
  let gate: Promise<void> = Promise.resolve();
  const server = await startServer({
    connect: async (request, context) => {
      calls.push(context.parameters.repeatabilityRequestID ?? "-");
      await gate;
      return { callConnectionId: randomUUID(), callbackUri: request.callbackUri, callConnectionState: "connecting" };
    },
    ...options,
  });
  servers.push(server);
  return {
    server,
    calls,
    hold() {
      let release!: () => void;
      gate = new Promise((resolve) => (release = resolve));
      return release;
    },
  };
}

describe("malformed repeatability headers", () => {
  it("answers 400 naming the header, and says rejected", async () => {
    const { server, calls } = await counting();
    const bad = [
      [{ "repeatability-request-id": "not-a-uuid", "repeatability-first-sent": new Date().toUTCString() }, "Repeatability-Request-ID"],
      [{ "repeatability-request-id": randomUUID(), "repeatability-first-sent": "2025-05-15T08:49:37Z" }, "Repeatability-First-Sent"],
      [{ "repeatability-request-id": randomUUID(), "repeatability-first-sent": "Mon, 06 Nov 1994 08:49:37 GMT" }, "Repeatability-First-Sent"],
      [{ "repeatability-request-id": randomUUID() }, "Repeatability-First-Sent"],
      [{ "repeatability-first-sent": new Date().toUTCString() }, "Repeatability-Request-ID"],
    ] as const;
    for (const [headers, target] of bad) {
      const answer = await server.connect(BODY, { headers });
      expect(answer.status, answer.text).toBe(400);
      expect(answer.json.error.target).toBe(target);
      expect(answer.headers["repeatability-result"]).toBe("rejected");
    }
    expect(calls).toEqual([]);
  });

  it("names the expected formats", async () => {
    const { server } = await counting();
    const answer = await server.connect(BODY, { headers: { "repeatability-request-id": "x", "repeatability-first-sent": new Date().toUTCString() } });
    expect(answer.json.error.message).toBe("The header Repeatability-Request-ID must be a UUID, e.g. 5f4c1fd5-6f5e-4d5a-9b3a-6b8e2a7f6c10.");
  });
});

describe("the window", () => {
  it("answers 412 when First-Sent is older than the window", async () => {
    const { server, calls } = await counting({ repeatabilityWindowMs: 60_000 });
    const answer = await server.connect(BODY, { headers: repeatability(new Date(Date.now() - 61_000)) });
    expect(answer.status, answer.text).toBe(412);
    expect(answer.json.error).toMatchObject({ code: "PreconditionFailed", target: "Repeatability-First-Sent" });
    expect(answer.headers["repeatability-result"]).toBe("rejected");
    expect(calls).toEqual([]);
  });

  it("accepts First-Sent inside the window", async () => {
    const { server } = await counting({ repeatabilityWindowMs: 60_000 });
    const answer = await server.connect(BODY, { headers: repeatability(new Date(Date.now() - 50_000)) });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.headers["repeatability-result"]).toBe("accepted");
  });
});

describe("repeats", () => {
  it("replay the stored response without executing again", async () => {
    const { server, calls } = await counting();
    const headers = repeatability();
    const first = await server.connect(BODY, { headers });
    const again = await server.connect(BODY, { headers });
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.json).toEqual(first.json);
    expect(again.headers["repeatability-result"]).toBe("accepted");
    expect(again.headers["x-ms-request-id"]).not.toBe(first.headers["x-ms-request-id"]);
    expect(calls).toHaveLength(1);
  });

  it("are recognised whatever the case of the id", async () => {
    const { server, calls } = await counting();
    const headers = repeatability();
    await server.connect(BODY, { headers });
    await server.connect(BODY, { headers: { ...headers, "repeatability-request-id": headers["repeatability-request-id"]!.toUpperCase() } });
    expect(calls).toHaveLength(1);
  });

  it("with a different request answer 400 and execute nothing", async () => {
    const { server, calls } = await counting();
    const headers = repeatability();
    await server.connect(BODY, { headers });
    const other = await server.connect({ ...BODY, callbackUri: "https://app.example/other" }, { headers });
    expect(other.status).toBe(400);
    expect(other.json.error).toMatchObject({ code: "RepeatabilityMismatch", target: "Repeatability-Request-ID" });
    expect(other.headers["repeatability-result"]).toBe("rejected");
    expect(calls).toHaveLength(1);
  });

  it("while the first is in flight wait for it and get its response", async () => {
    const { server, calls, hold } = await counting();
    const release = hold();
    const headers = repeatability();
    const first = server.connect(BODY, { headers });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = server.connect(BODY, { headers });
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    const [a, b] = await Promise.all([first, second]);
    expect(a.json).toEqual(b.json);
    expect(calls).toHaveLength(1);
  });

  it("get 409 when the first takes longer than inFlightWaitMs", async () => {
    const { server, hold } = await counting({ inFlightWaitMs: 100 });
    const release = hold();
    const headers = repeatability();
    const first = server.connect(BODY, { headers });
    await new Promise((resolve) => setTimeout(resolve, 30));
    const second = await server.connect(BODY, { headers });
    expect(second.status).toBe(409);
    expect(second.json.error).toMatchObject({ code: "Conflict", target: "Repeatability-Request-ID" });
    release();
    expect((await first).status).toBe(200);
  });

  it("get 409 at once from a store that cannot notify", async () => {
    const memory = new MemoryRepeatabilityStore();
    const store: RepeatabilityStore = {
      claim: (id, fingerprint, expiresAt) => {
        const claim = memory.claim(id, fingerprint, expiresAt);
        return claim.state === "in-progress" ? { state: "in-progress", fingerprint: claim.fingerprint } : claim;
      },
      complete: (id, response) => memory.complete(id, response),
      release: (id) => memory.release(id),
    };
    const { server, hold } = await counting({ repeatabilityStore: store });
    const release = hold();
    const headers = repeatability();
    const first = server.connect(BODY, { headers });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect((await server.connect(BODY, { headers })).status).toBe(409);
    release();
    await first;
  });

  it("of a request that failed with 5xx execute again", async () => {
    let attempts = 0;
    const server = await startServer({
      connect: () => {
        attempts++;
        if (attempts === 1) throw new Error("transient");
        return { callConnectionId: "second" };
      },
    });
    servers.push(server);
    const headers = repeatability();
    expect((await server.connect(BODY, { headers })).status).toBe(500);
    const retry = await server.connect(BODY, { headers });
    expect(retry.status).toBe(200);
    expect(retry.json).toEqual({ callConnectionId: "second" });
    expect(attempts).toBe(2);
  });

  it("of a request the handler refused with 4xx get the same refusal", async () => {
    const { ServiceError } = await import("@acs-connect/server");
    let attempts = 0;
    const server = await startServer({
      connect: () => {
        attempts++;
        throw new ServiceError(404, "CallNotFound", "No such call.");
      },
    });
    servers.push(server);
    const headers = repeatability();
    const first = await server.connect(BODY, { headers });
    const again = await server.connect(BODY, { headers });
    expect([first.status, again.status]).toEqual([404, 404]);
    expect(again.json).toEqual(first.json);
    expect(again.headers["repeatability-result"]).toBe("accepted");
    expect(attempts).toBe(1);
  });

  it("100 simultaneous duplicates run the handler once", async () => {
    const { server, calls, hold } = await counting();
    const release = hold();
    const headers = repeatability();
    const all = Array.from({ length: 100 }, () => server.connect(BODY, { headers }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    release();
    const answers = await Promise.all(all);
    expect(new Set(answers.map((answer) => answer.status))).toEqual(new Set([200]));
    expect(new Set(answers.map((answer) => answer.text)).size).toBe(1);
    expect(calls).toHaveLength(1);
  });
});

describe("a store that fails", () => {
  it("answers 503 StoreUnavailable with Retry-After when the claim fails, and executes nothing", async () => {
    const errors: string[] = [];
    const store: RepeatabilityStore = {
      claim: () => Promise.reject(new Error("connection refused")),
      complete: () => undefined,
      release: () => undefined,
    };
    const { server, calls } = await counting({ repeatabilityStore: store, logger: { error: (entry) => errors.push(entry.message) } });
    const answer = await server.connect(BODY, { headers: repeatability() });
    expect(answer.status, answer.text).toBe(503);
    expect(answer.json.error).toMatchObject({ code: "StoreUnavailable", target: "Repeatability-Request-ID" });
    expect(answer.headers["retry-after"]).toBe("1");
    expect(answer.headers["repeatability-result"]).toBe("rejected");
    expect(calls).toEqual([]);
    expect(errors).toEqual(["repeatability store unavailable"]);
  });

  it("answers 503 when waiting for the first request fails", async () => {
    const store: RepeatabilityStore = {
      // In progress elsewhere with the same request (fingerprint), and the wait for it breaks.
      claim: (_id, fingerprint) => ({ state: "in-progress", fingerprint, completion: Promise.reject(new Error("connection reset")) }),
      complete: () => undefined,
      release: () => undefined,
    };
    const { server, calls } = await counting({ repeatabilityStore: store });
    const answer = await server.connect(BODY, { headers: repeatability() });
    expect(answer.status, answer.text).toBe(503);
    expect(answer.json.error.code).toBe("StoreUnavailable");
    expect(calls).toEqual([]);
  });

  it("still answers an executed request when storing its response fails, and logs it", async () => {
    const errors: string[] = [];
    const store: RepeatabilityStore = {
      claim: () => ({ state: "claimed" }),
      complete: () => Promise.reject(new Error("connection reset")),
      release: () => undefined,
    };
    const { server, calls } = await counting({ repeatabilityStore: store, logger: { error: (entry) => errors.push(entry.message) } });
    const answer = await server.connect(BODY, { headers: repeatability() });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.headers["repeatability-result"]).toBe("accepted");
    expect(calls).toHaveLength(1);
    expect(errors).toEqual(["repeatability store failed to record an executed request"]);
  });
});

describe("MemoryRepeatabilityStore", () => {
  const response = { status: 200, body: "{}", contentType: "application/json" };

  it("forgets records after they expire", () => {
    let now = 1_000;
    const store = new MemoryRepeatabilityStore({ now: () => now });
    expect(store.claim("a", "f", 2_000)).toEqual({ state: "claimed" });
    store.complete("a", response);
    expect(store.claim("a", "f", 2_000)).toMatchObject({ state: "completed", response });
    now = 2_001;
    expect(store.claim("a", "f", 3_000)).toEqual({ state: "claimed" });
  });

  it("sweeps expired records as new ones arrive", () => {
    let now = 0;
    const store = new MemoryRepeatabilityStore({ now: () => now });
    for (let i = 0; i < 10; i++) store.claim(`old-${i}`, "f", 100);
    now = 200;
    store.claim("new", "f", 1_000);
    expect(store.size).toBe(1);
  });

  it("keeps at most maxEntries, evicting the oldest", () => {
    const store = new MemoryRepeatabilityStore({ maxEntries: 1_000 });
    for (let i = 0; i < 200_000; i++) {
      store.claim(`id-${i}`, "f", Date.now() + 60_000);
      store.complete(`id-${i}`, response);
    }
    expect(store.size).toBe(1_000);
    expect(store.claim("id-0", "f", Date.now() + 60_000)).toEqual({ state: "claimed" });
    expect(store.claim("id-199999", "f", Date.now() + 60_000)).toMatchObject({ state: "completed" });
  });

  it("settles waiters when a claim is released", async () => {
    const store = new MemoryRepeatabilityStore();
    store.claim("a", "f", Date.now() + 60_000);
    const waiting = store.claim("a", "f", Date.now() + 60_000);
    expect(waiting.state).toBe("in-progress");
    store.release("a");
    await expect((waiting as { completion: Promise<unknown> }).completion).resolves.toBeUndefined();
    expect(store.claim("a", "f", Date.now() + 60_000)).toEqual({ state: "claimed" });
  });

  it("refuses a non-positive cap", () => {
    expect(() => new MemoryRepeatabilityStore({ maxEntries: 0 })).toThrow("MemoryRepeatabilityStore maxEntries must be a positive integer.");
  });
});
