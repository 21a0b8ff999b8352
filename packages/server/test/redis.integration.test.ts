/**
 * Scale-out over a real Redis: three acs-connect-server processes (`--redis`) share one
 * `redis-server` that this file starts on a free loopback port with a temporary directory and
 * stops by PID. Executions are counted by a handler module that appends to a file outside the
 * server processes, so that a killed instance's executions count as well.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { createCallAutomationClient } from "@acs-connect/client";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisRepeatabilityStore } from "@acs-connect/server/redis";
import { BODY, CLI_BIN, TARGET, send, signedHeaders } from "./helpers.ts";

const here = import.meta.dirname;
const HANDLER = path.join(here, "fixtures/recording-handler.mjs");
const REDIS_SERVER = process.env.REDIS_SERVER_PATH ?? "/usr/bin/redis-server";
const LEASE_MS = 1500;
const KEY = randomBytes(32).toString("base64");

const tmp = mkdtempSync(path.join(os.tmpdir(), "acs-redis-"));
const RECORD = path.join(tmp, "executions.log");
let redisPort = 0;
let redis: ChildProcess | undefined;
const instances: Instance[] = [];

interface Instance {
  child: ChildProcess;
  port: number;
  output: () => string;
}

interface Execution {
  event: "start" | "done" | "killed";
  context: string;
  callConnectionId: string;
  pid: number;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const port = (probe.address() as AddressInfo).port;
      probe.close(() => resolve(port));
    });
  });
}

async function until(what: string, condition: () => boolean | Promise<boolean>, limitMs = 15_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const exited = (child: ChildProcess) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("exit", () => resolve())));

/** Starts redis-server on `redisPort` in the temporary directory (loading its dump.rdb, if any). */
async function startRedis(): Promise<void> {
  const child = spawn(REDIS_SERVER, ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", tmp], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  redis = child;
  await until(`redis-server to accept connections:\n${output}`, () => /Ready to accept connections/.test(output) || child.exitCode !== null);
  if (child.exitCode !== null) throw new Error(`redis-server exited: ${output}`);
}

/** Stops Redis the way a planned restart does: SHUTDOWN SAVE writes its data to the temporary directory. */
async function stopRedis(): Promise<void> {
  const child = redis!;
  const admin = new Redis({ port: redisPort, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  await admin.connect();
  await admin.call("SHUTDOWN", "SAVE").catch(() => undefined);
  admin.disconnect();
  await exited(child);
}

async function startInstance(): Promise<Instance> {
  const child = spawn(process.execPath, [CLI_BIN, "--port", "0", "--quiet", "--handler", HANDLER, "--redis", `redis://127.0.0.1:${redisPort}`, "--redis-lease-ms", String(LEASE_MS)], {
    cwd: here,
    env: { ...process.env, ACS_CONNECT_ACCESS_KEY: KEY, ACS_RECORD_FILE: RECORD },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  let port = 0;
  await until(`an instance to start`, () => {
    const match = /url: +http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
    if (match) port = Number(match[1]);
    if (child.exitCode !== null) throw new Error(`instance exited:\n${output}`);
    return port !== 0;
  }, 30_000);
  return { child, port, output: () => output };
}

function executions(): Execution[] {
  let text = "";
  try {
    text = readFileSync(RECORD, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Execution);
}

const startsOf = (context: string) => executions().filter((e) => e.event === "start" && e.context === context);

/** A signed raw request with the given repeatability pair, to one instance. */
function post(instance: Instance, body: object, pair: Record<string, string>) {
  const text = JSON.stringify(body);
  const host = `127.0.0.1:${instance.port}`;
  return send(instance.port, { target: TARGET, body: text, headers: { "content-type": "application/json", ...signedHeaders({ host, body: text, key: KEY }), ...pair } });
}

interface Faults {
  /** Probability of a reset before the request reaches an instance. */
  resetBefore: number;
  /** Probability that the instance's answer is lost (the request did execute). */
  resetAfter: number;
  /** Probability of a 503 without forwarding. */
  unavailable: number;
}

/**
 * A fetch for our client that plays a load balancer: each attempt goes to a random live
 * instance, keeping the Host the client signed (as a proxy does), with injected faults.
 */
function balancingFetch(live: () => Instance[], faults: Faults) {
  return async (input: string, init: RequestInit): Promise<Response> => {
    const url = new URL(input);
    const roll = Math.random();
    if (roll < faults.resetBefore) throw new TypeError("fetch failed", { cause: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }) });
    if (roll < faults.resetBefore + faults.unavailable) {
      return new Response(JSON.stringify({ error: { code: "ServiceUnavailable", message: "injected" } }), { status: 503, headers: { "content-type": "application/json" } });
    }
    const targets = live();
    const target = targets[Math.floor(Math.random() * targets.length)]!;
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => (headers[name] = value));
    headers.host = url.host;
    const body = init.body === undefined || init.body === null ? undefined : typeof init.body === "string" ? init.body : Buffer.from(init.body as Uint8Array);
    const answer = await new Promise<{ status: number; headers: Record<string, string>; body: Buffer }>((resolve, reject) => {
      const req = httpRequest({ host: "127.0.0.1", port: target.port, method: init.method ?? "GET", path: `${url.pathname}${url.search}`, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const out: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers)) if (typeof value === "string") out[name] = value;
          resolve({ status: res.statusCode ?? 0, headers: out, body: Buffer.concat(chunks) });
        });
        res.on("error", reject);
      });
      req.on("error", (error) => reject(new TypeError("fetch failed", { cause: error })));
      if (body !== undefined) req.write(body);
      req.end();
    });
    if (Math.random() < faults.resetAfter) throw new TypeError("fetch failed", { cause: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }) });
    return new Response(answer.body.length > 0 ? new Uint8Array(answer.body) : null, { status: answer.status, headers: answer.headers });
  };
}

function clientFor(live: () => Instance[], faults: Faults) {
  // The endpoint's host is what the client signs; the balancing fetch sends it on unchanged.
  return createCallAutomationClient({
    endpoint: `http://127.0.0.1:${instances[0]!.port}`,
    accessKey: KEY,
    fetch: balancingFetch(live, faults),
    retry: { maxRetries: 12, baseDelayMs: 20, maxDelayMs: 2000 },
  });
}

beforeAll(async () => {
  writeFileSync(RECORD, "");
  redisPort = await freePort();
  await startRedis();
  instances.push(...(await Promise.all([startInstance(), startInstance(), startInstance()])));
});

afterAll(async () => {
  for (const instance of instances) if (instance.child.exitCode === null && instance.child.signalCode === null) instance.child.kill("SIGKILL");
  if (redis && redis.exitCode === null && redis.signalCode === null) {
    redis.kill("SIGKILL");
    await exited(redis);
  }
  await Promise.all(instances.map((instance) => exited(instance.child)));
  rmSync(tmp, { recursive: true, force: true });
});

const alive = () => instances.filter((instance) => instance.child.exitCode === null && instance.child.signalCode === null);

describe("RedisRepeatabilityStore across three instances", () => {
  it("executes 200 concurrent copies of one request once, and answers every copy the same", async () => {
    const context = `burst-${randomUUID()}`;
    const pair = { "repeatability-request-id": randomUUID(), "repeatability-first-sent": new Date().toUTCString() };
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => post(instances[i % 3]!, { ...BODY, operationContext: context }, pair)));
    expect(startsOf(context)).toHaveLength(1);
    const first = answers[0]!;
    expect(first.status, first.text).toBe(200);
    for (const answer of answers) {
      expect(answer.status, answer.text).toBe(first.status);
      expect(answer.text).toBe(first.text);
      expect(answer.headers["repeatability-result"]).toBe("accepted");
    }
    // Every instance answered some of them: the record really is shared.
    expect(first.json.callConnectionId).toBe(startsOf(context)[0]!.callConnectionId);
  });

  it("executes each of 200 logical client calls exactly once through resets and 503s", async () => {
    const client = clientFor(alive, { resetBefore: 0.1, resetAfter: 0.15, unavailable: 0.1 });
    const run = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => client.connect({ ...BODY, operationContext: `faults-${run}-${i}` }).then((r) => r.callConnectionId)),
    );
    const starts = executions().filter((e) => e.event === "start" && e.context.startsWith(`faults-${run}-`));
    const perCall = new Map<string, Execution[]>();
    for (const start of starts) perCall.set(start.context, [...(perCall.get(start.context) ?? []), start]);
    expect(perCall.size).toBe(200);
    for (const [context, list] of perCall) expect(list, context).toHaveLength(1);
    // And each caller got the result of that one execution, replayed or not.
    results.forEach((id, i) => expect(id).toBe(perCall.get(`faults-${run}-${i}`)![0]!.callConnectionId));
    // Resets after execution really sent retries to other instances: more than one pid executed.
    expect(new Set(starts.map((s) => s.pid)).size).toBe(3);
  });

  it("re-executes a request once on another instance after the executing one is killed, when its lease expires", async () => {
    const context = `slow:2500:kill-${randomUUID()}`;
    let victim: Instance | undefined;
    // The first attempt goes to the victim; every later one to the survivors.
    const client = clientFor(() => (victim === undefined ? [instances[0]!] : alive()), { resetBefore: 0, resetAfter: 0, unavailable: 0 });
    const call = client.connect({ ...BODY, operationContext: context });
    await until("the slow request to start", () => startsOf(context).length === 1);
    victim = instances[0]!;
    expect(startsOf(context)[0]!.pid).toBe(victim.child.pid);
    victim.child.kill("SIGKILL");
    await exited(victim.child);
    // What the dead instance left: one claim that is a lease (an owner, and a TTL of at most
    // leaseMs), not a record for the whole window; its expiry is what lets a retry execute.
    const admin = new Redis({ port: redisPort, host: "127.0.0.1", maxRetriesPerRequest: 0 });
    const held: number[] = [];
    for (const key of await admin.keys("acs-connect:repeatability:*")) {
      if ((await admin.hget(key, "o")) !== null) held.push(await admin.pttl(key));
    }
    admin.disconnect();
    expect(held).toHaveLength(1);
    expect(held[0]).toBeGreaterThan(0);
    expect(held[0]).toBeLessThanOrEqual(LEASE_MS);
    appendFileSync(RECORD, `${JSON.stringify({ event: "killed", context, callConnectionId: "", pid: victim.child.pid })}\n`);
    const result = await call;
    const events = executions().filter((e) => e.context === context);
    // The victim started and died; one survivor executed it once, after the kill, and finished.
    expect(events.map((e) => e.event)).toEqual(["start", "killed", "start", "done"]);
    expect(events[2]!.pid).not.toBe(victim.child.pid);
    expect(result.callConnectionId).toBe(events[2]!.callConnectionId);
    instances[0] = await startInstance();
  });

  it("answers 503 with Retry-After while Redis is down, executes nothing twice, and resumes when it is back", async () => {
    const client = clientFor(alive, { resetBefore: 0, resetAfter: 0.1, unavailable: 0 });
    const run = randomUUID();
    let next = 0;
    const results = new Map<number, string>();
    // Eight workers issue 80 logical calls (each 50 ms in the handler) while Redis goes away and comes back.
    const workers = Array.from({ length: 8 }, async () => {
      while (next < 80) {
        const i = next++;
        const result = await client.connect({ ...BODY, operationContext: `slow:50:down-${run}-${i}` });
        results.set(i, result.callConnectionId ?? "");
      }
    });
    await until("some calls to finish before Redis stops", () => results.size >= 10);
    await stopRedis();
    for (const instance of alive()) {
      const answer = await post(instance, { ...BODY, operationContext: `refused-${run}` }, { "repeatability-request-id": randomUUID(), "repeatability-first-sent": new Date().toUTCString() });
      expect(answer.status, answer.text).toBe(503);
      expect(answer.json.error.code).toBe("StoreUnavailable");
      expect(answer.headers["retry-after"]).toMatch(/^\d+$/);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    await startRedis();
    await Promise.all(workers);
    expect(startsOf(`refused-${run}`)).toHaveLength(0);
    for (let i = 0; i < 80; i++) {
      const starts = startsOf(`slow:50:down-${run}-${i}`);
      expect(starts, `call ${i}`).toHaveLength(1);
      expect(results.get(i)).toBe(starts[0]!.callConnectionId);
    }
    // No instance crashed.
    expect(alive()).toHaveLength(3);
  });
});

describe("RedisRepeatabilityStore itself", () => {
  it("namespaces records by caller and keeps a completion until the window's end", async () => {
    const store = new RedisRepeatabilityStore({ url: `redis://127.0.0.1:${redisPort}` });
    const admin = new Redis({ port: redisPort, host: "127.0.0.1", maxRetriesPerRequest: 0 });
    await store.ready();
    try {
      const id = randomUUID();
      const expiresAt = Date.now() + 60_000;
      expect(await store.claim(`hmac:alice ${id}`, "print", expiresAt, "hmac:alice")).toEqual({ state: "claimed" });
      // Another caller with the same id is another record.
      expect(await store.claim(`hmac:bob ${id}`, "print", expiresAt, "hmac:bob")).toEqual({ state: "claimed" });
      await store.complete(`hmac:alice ${id}`, { status: 200, body: "{}", contentType: "application/json" });
      await store.release(`hmac:bob ${id}`);
      expect(await admin.exists(`acs-connect:repeatability:hmac:bob:${id}`)).toBe(0);
      const ttl = await admin.pttl(`acs-connect:repeatability:hmac:alice:${id}`);
      expect(ttl).toBeGreaterThan(5000);
      expect(ttl).toBeLessThanOrEqual(60_000);
      expect(await store.claim(`hmac:alice ${id}`, "print", expiresAt, "hmac:alice")).toEqual({
        state: "completed",
        fingerprint: "print",
        response: { status: 200, body: "{}", contentType: "application/json" },
      });
    } finally {
      admin.disconnect();
      await store.close();
    }
  });

  it("does not keep a record larger than maxRecordBytes: its repeat executes again", async () => {
    const store = new RedisRepeatabilityStore({ url: `redis://127.0.0.1:${redisPort}`, maxRecordBytes: 1000 });
    await store.ready();
    try {
      const key = `hmac:alice ${randomUUID()}`;
      const expiresAt = Date.now() + 60_000;
      expect(await store.claim(key, "print", expiresAt, "hmac:alice")).toEqual({ state: "claimed" });
      await store.complete(key, { status: 200, body: "x".repeat(1000), contentType: "application/json" });
      expect(await store.claim(key, "print", expiresAt, "hmac:alice")).toEqual({ state: "claimed" });
      await store.complete(key, { status: 200, body: "x".repeat(10), contentType: "application/json" });
      expect((await store.claim(key, "print", expiresAt, "hmac:alice")).state).toBe("completed");
    } finally {
      await store.close();
    }
  });

  it("rejects claims at once while Redis cannot be reached, and closes all the same", async () => {
    const store = new RedisRepeatabilityStore({ url: `redis://127.0.0.1:${await freePort()}` });
    try {
      await expect(store.claim(`hmac:alice ${randomUUID()}`, "print", Date.now() + 60_000, "hmac:alice")).rejects.toThrow();
    } finally {
      await store.close();
    }
  });
});
