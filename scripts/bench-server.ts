/**
 * `pnpm bench:server [--seconds N]`: autocannon on loopback, in one run, against
 *   1. a bare node:http server answering fixed JSON (the baseline),
 *   2. acs-connect-server (built CLI, built-in mock, NODE_ENV=production), and
 *   3. Prism's mock of spec/openapi.yaml, and
 *   4. acs-connect-server with `--redis` (RedisRepeatabilityStore over a redis-server this script
 *      starts on a free loopback port with a temporary directory): one instance, then three
 *      instances sharing it with the same 16 connections spread over them,
 * each sent the same signed Connect requests with a distinct Repeatability-Request-ID per
 * request. Prints requests/s, p99 latency and the ratios, then sends 200,000 distinct ids to
 * acs-connect-server and prints its resident memory.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, createHmac, randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import autocannon from "autocannon";
import { buildPackages, buildablePackages } from "../generators/pipeline/build.ts";
import { ROOT, SPEC_FILE } from "../tools/paths.ts";

const secondsFlag = process.argv.indexOf("--seconds");
const SECONDS = secondsFlag > 0 ? Number(process.argv[secondsFlag + 1]) : 8;
if (!Number.isInteger(SECONDS) || SECONDS < 1 || SECONDS > 120) {
  console.error("bench:server: --seconds takes a whole number from 1 to 120");
  process.exit(2);
}
const CONNECTIONS = 16;
const DISTINCT_IDS = 200_000;
const KEY = randomBytes(32).toString("base64");
const TARGET = "/calling/callConnections:connect?api-version=2025-05-15";
const BODY = JSON.stringify({
  callLocator: { kind: "roomCallLocator", roomId: "99434917639286209" },
  callbackUri: "https://app.example/callback",
  mediaStreamingOptions: { transportType: "websocket", audioChannelType: "mixed", transportUrl: "wss://app.example/media", startMediaStreaming: true },
});
const BODY_HASH = createHash("sha256").update(BODY).digest("base64");
const KEY_BYTES = Buffer.from(KEY, "base64");

const children: ChildProcess[] = [];
process.on("exit", () => children.forEach((child) => child.kill("SIGKILL")));

/** Starts a process and resolves with the port it reports on stdout. */
function startProcess(command: string, args: string[], portPattern: RegExp, env: Record<string, string> = {}): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let output = "";
    const timer = setTimeout(() => reject(new Error(`${command} did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = portPattern.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off("data", onData);
        child.stdout!.resume();
        child.stderr!.resume();
        resolve({ child, port: Number(match[1]) });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk) => (output += chunk));
    child.once("exit", (code) => reject(new Error(`${command} exited with ${code}:\n${output}`)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createNetServer();
    probe.listen(0, "127.0.0.1", () => {
      const port = (probe.address() as AddressInfo).port;
      probe.close(() => resolve(port));
    });
  });
}

/** One autocannon run; every request is signed and carries a new repeatability pair. */
async function load(port: number, options: { duration?: number; amount?: number; connections?: number }) {
  const host = `127.0.0.1:${port}`;
  const result = await autocannon({
    url: `http://${host}`,
    connections: options.connections ?? CONNECTIONS,
    ...(options.amount ? { amount: options.amount } : { duration: options.duration ?? SECONDS }),
    requests: [
      {
        method: "POST",
        path: TARGET,
        setupRequest: (request) => {
          const date = new Date().toUTCString();
          const signature = createHmac("sha256", KEY_BYTES).update(`POST\n${TARGET}\n${date};${host};${BODY_HASH}`).digest("base64");
          request.headers = {
            "content-type": "application/json",
            "x-ms-date": date,
            "x-ms-content-sha256": BODY_HASH,
            authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${signature}`,
            "repeatability-request-id": randomUUID(),
            "repeatability-first-sent": date,
          };
          request.body = BODY;
          return request;
        },
      },
    ],
  });
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    ok: result["2xx"],
    failed: result.non2xx + result.errors + result.timeouts,
  };
}

function rssMb(child: ChildProcess): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
  const read = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024;
  return { rss: read("VmRSS"), peak: read("VmHWM") };
}

const cli = path.join(ROOT, "packages/server/dist/cli.mjs");
if (!existsSync(cli)) {
  console.log("bench:server: building the packages first");
  await buildPackages(await buildablePackages());
}

// 1. The baseline: node:http answering fixed JSON (it reads the body, like any real server).
const bareSource = `
const http = require("node:http");
const answer = JSON.stringify({ callConnectionId: "18dea47f-b081-4107-9a5c-4300819d2c6c", serverCallId: "aHR0cHM6Ly9jb252ZXJzYXRpb251cmwvdGVzdA", targets: [], callConnectionState: "connecting", callbackUri: "https://app.example/callback" });
const server = http.createServer((req, res) => { req.resume(); req.on("end", () => { res.writeHead(200, { "content-type": "application/json" }); res.end(answer); }); });
server.listen(0, "127.0.0.1", () => console.log("port " + server.address().port));`;
const bare = await startProcess(process.execPath, ["-e", bareSource], /port (\d+)/);
await load(bare.port, { duration: 2 });
const bareResult = await load(bare.port, {});
bare.child.kill();

// 2. acs-connect-server: HMAC verification, validation, repeatability tracking, the mock.
const ours = await startProcess(process.execPath, [cli, "--port", "0", "--quiet", "--access-key", KEY], /127\.0\.0\.1:(\d+)/, { NODE_ENV: "production" });
await load(ours.port, { duration: 2 });
const oursResult = await load(ours.port, {});

// 3. Prism's mock of the same spec.
const prismPort = await freePort();
const prism = await startProcess(
  path.join(ROOT, "node_modules/.bin/prism"),
  ["mock", SPEC_FILE, "-h", "127.0.0.1", "-p", String(prismPort)],
  /Prism is listening on http:\/\/127\.0\.0\.1:(\d+)/,
);
await load(prism.port, { duration: 2 });
const prismResult = await load(prism.port, {});
prism.child.kill();

// Memory: 200,000 more distinct repeatability ids, in two halves; a plateau shows the bound.
const before = rssMb(ours.child);
const firstHalf = await load(ours.port, { amount: DISTINCT_IDS / 2 });
const middle = rssMb(ours.child);
const secondHalf = await load(ours.port, { amount: DISTINCT_IDS / 2 });
const after = rssMb(ours.child);
const memory = { ok: firstHalf.ok + secondHalf.ok, failed: firstHalf.failed + secondHalf.failed };
ours.child.kill();

// 4. acs-connect-server over Redis: one instance, then three sharing one redis-server.
const redisServer = process.env.REDIS_SERVER_PATH ?? "/usr/bin/redis-server";
let redisRows: { one: Awaited<ReturnType<typeof load>>; three: Awaited<ReturnType<typeof load>> } | undefined;
if (existsSync(redisServer)) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "bench-redis-"));
  const redisPort = await freePort();
  const redis = await startProcess(
    redisServer,
    ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
    new RegExp(`(${redisPort})[\\s\\S]*Ready to accept connections`),
  );
  const redisArgs = [cli, "--port", "0", "--quiet", "--access-key", KEY, "--redis", `redis://127.0.0.1:${redisPort}`];
  const startRedisInstance = () => startProcess(process.execPath, redisArgs, /127\.0\.0\.1:(\d+)/, { NODE_ENV: "production" });
  const single = await startRedisInstance();
  await load(single.port, { duration: 2 });
  const one = await load(single.port, {});
  const trio = [single, await startRedisInstance(), await startRedisInstance()];
  // The same 16 connections, spread over the three instances (6 + 5 + 5).
  const split = trio.map((_, i) => Math.floor(CONNECTIONS / 3) + (i < CONNECTIONS % 3 ? 1 : 0));
  await Promise.all(trio.map((instance, i) => load(instance.port, { duration: 2, connections: split[i] })));
  const parts = await Promise.all(trio.map((instance, i) => load(instance.port, { connections: split[i] })));
  const three = {
    rps: parts.reduce((sum, part) => sum + part.rps, 0),
    p99: Math.max(...parts.map((part) => part.p99)),
    ok: parts.reduce((sum, part) => sum + part.ok, 0),
    failed: parts.reduce((sum, part) => sum + part.failed, 0),
  };
  for (const instance of trio) instance.child.kill();
  redis.child.kill();
  await new Promise((resolve) => redis.child.once("exit", resolve));
  rmSync(dir, { recursive: true, force: true });
  redisRows = { one, three };
}

const row = (name: string, result: Awaited<ReturnType<typeof load>>, note = "") =>
  `${name.padEnd(34)} ${result.rps.toFixed(0).padStart(8)} req/s   p99 ${String(result.p99).padStart(4)} ms   ${String(result.failed).padStart(5)} failed  ${note}`;
const vsBare = oursResult.rps / bareResult.rps;
const vsPrism = oursResult.rps / prismResult.rps;
console.log(`bench:server: ${SECONDS} s per target, ${CONNECTIONS} connections, ${os.cpus().length} cores, Node ${process.versions.node}\n`);
console.log(row("bare node:http, fixed JSON", bareResult, "(baseline)"));
console.log(row("acs-connect-server (mock)", oursResult, `${vsBare.toFixed(2)}x bare (goal >= 0.6: ${vsBare >= 0.6 ? "met" : "MISSED"})`));
console.log(row("Prism mock of the spec", prismResult, `acs-connect-server is ${vsPrism.toFixed(1)}x Prism (goal >= 5: ${vsPrism >= 5 ? "met" : "MISSED"})`));
if (redisRows) {
  const one = redisRows.one.rps / oursResult.rps;
  const three = redisRows.three.rps / oursResult.rps;
  console.log(row("acs-connect-server --redis, 1 inst.", redisRows.one, `${one.toFixed(2)}x memory store (goal >= 0.5: ${one >= 0.5 ? "met" : "MISSED"})`));
  console.log(row("acs-connect-server --redis, 3 inst.", redisRows.three, `${three.toFixed(2)}x memory store (1 instance); p99 is the worst of the three`));
} else {
  console.log(`(no Redis rows: ${redisServer} is missing; \`npm run setup\` installs it)`);
}
console.log(
  `\nmemory: ${DISTINCT_IDS.toLocaleString("en")} more distinct ids (${memory.ok} ok, ${memory.failed} failed): ` +
    `RSS ${before.rss.toFixed(0)} MB before, ${middle.rss.toFixed(0)} MB after 100,000, ${after.rss.toFixed(0)} MB after 200,000; peak ${after.peak.toFixed(0)} MB ` +
    `(the store keeps at most 50,000 records, a quarter of them for any one caller: here one access key)`,
);
if (oursResult.failed > 0 || bareResult.failed > 0 || (redisRows && redisRows.one.failed + redisRows.three.failed > 0)) console.log("warning: some requests failed; the figures above are not comparable");
process.exit(0);
