/**
 * 200 logical connects against a server that resets connections before and after executing and
 * answers 503 bursts, but implements repeatability as the service does (the stored response is
 * replayed for a repeated Repeatability-Request-ID): each call must execute exactly once and
 * resolve with its own response.
 */
import { createHash } from "node:crypto";
import { afterAll, expect, it } from "vitest";
import { createCallAutomationClient, type CallConnectionProperties } from "@acs-connect/client";
import { CONNECTED, TEST_KEY, connectionString, json, startServer, type TestServer } from "./helpers/server.ts";

const CALLS = 200;
const CONCURRENCY = 20;
/** Faults the server injects per repeatability id at most; the client may retry 5 times, so every call can finish. */
const MAX_FAULTS_PER_ID = 3;

/** Small seeded PRNG (mulberry32), so a failing run can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let server: TestServer | undefined;
afterAll(() => server?.close());

it(`${CALLS} logical calls through resets and 503 bursts each execute exactly once`, async () => {
  const seed = 20250515;
  const roll = random(seed);
  const executions = new Map<string, number>();
  const stored = new Map<string, { bodyHash: string; response: CallConnectionProperties }>();
  const faults = new Map<string, number>();
  const stats = { resetBefore: 0, resetAfter: 0, status503: 0, replayed: 0, badSignature: 0 };
  let burst = 0;
  let executed = 0;

  server = await startServer((request, res) => {
    if (request.signatureProblem) {
      stats.badSignature++;
      return json(res, 401, { error: { code: "Unauthorized", message: request.signatureProblem } });
    }
    const id = String(request.headers["repeatability-request-id"] ?? "");
    if (!id || !request.headers["repeatability-first-sent"]) return json(res, 400, { error: { code: "BadRequest", message: "repeatability headers missing" } });
    const bodyHash = createHash("sha256").update(request.body).digest("hex");
    const faulted = faults.get(id) ?? 0;
    const mayFault = faulted < MAX_FAULTS_PER_ID;
    const fault = () => faults.set(id, faulted + 1);
    const dice = roll();

    if (mayFault && (burst > 0 || dice < 0.04)) {
      // A burst: this and the next few requests, whoever sends them, get 503.
      burst = burst > 0 ? burst - 1 : 4 + Math.floor(roll() * 6);
      fault();
      stats.status503++;
      return json(res, 503, { error: { code: "ServiceUnavailable", message: "Try again." } });
    }
    if (mayFault && dice < 0.2) {
      fault();
      stats.resetBefore++;
      return void res.socket?.destroy();
    }

    const previous = stored.get(id);
    if (previous && previous.bodyHash !== bodyHash) {
      return json(res, 400, { error: { code: "BadRequest", message: "repeated id with a different request" } }, { "repeatability-result": "rejected" });
    }
    if (previous) stats.replayed++;
    else {
      executions.set(id, (executions.get(id) ?? 0) + 1);
      const body = JSON.parse(request.body.toString()) as { callbackUri: string };
      stored.set(id, { bodyHash, response: { ...CONNECTED, callConnectionId: `conn-${++executed}`, callbackUri: body.callbackUri } });
    }
    if (mayFault && dice < 0.35) {
      // Executed, but the answer is lost: only repeatability keeps the retry from connecting twice.
      fault();
      stats.resetAfter++;
      return void res.socket?.destroy();
    }
    json(res, 200, stored.get(id)!.response, { "repeatability-result": "accepted" });
  }, TEST_KEY);

  const client = createCallAutomationClient({ connectionString: connectionString(server), retry: { maxRetries: 5, baseDelayMs: 1, maxDelayMs: 5 } });
  const results: Array<CallConnectionProperties | undefined> = Array(CALLS);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < CALLS; i = next++) {
      results[i] = await client.connect({ callLocator: { kind: "roomCallLocator", roomId: `room-${i}` }, callbackUri: `https://app.example/cb/${i}` });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));

  // Every call resolved with its own response...
  results.forEach((result, i) => expect(result?.callbackUri, `call ${i}`).toBe(`https://app.example/cb/${i}`));
  expect(new Set(results.map((r) => r?.callConnectionId)).size).toBe(CALLS);
  // ...each of the 200 ids was executed exactly once...
  expect(executions.size).toBe(CALLS);
  expect([...executions.values()].every((n) => n === 1)).toBe(true);
  // ...and the faults really happened (seed ${seed}), so the above means something.
  expect(stats.badSignature).toBe(0);
  expect(stats.resetBefore).toBeGreaterThan(10);
  expect(stats.resetAfter).toBeGreaterThan(10);
  expect(stats.replayed).toBeGreaterThanOrEqual(stats.resetAfter);
  expect(stats.status503).toBeGreaterThan(10);
  expect(server.requests.length).toBeGreaterThan(CALLS + 50);
});
