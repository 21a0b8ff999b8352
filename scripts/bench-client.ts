/**
 * `pnpm bench:client [--calls N]`: what @acs-connect/client costs, per call and in bytes.
 *
 * - Per call: median time of one `connect` against one local node:http server on 127.0.0.1, for
 *   this client, for plain `fetch` sending the same signed request by hand (node:crypto HMAC,
 *   the cheapest way in Node), and for the official `@azure/communication-call-automation`
 *   `connectCall` (apiVersion 2025-05-15, allowInsecureConnection). Each contender is warmed
 *   up, then measured in interleaved rounds (rotating the order) so drift hits all alike.
 * - Bundle size: esbuild (bundle, minify, ESM, every dependency included) of a tiny entry per
 *   client that creates a client and calls Connect once, gzip -9 (node:zlib). Platform node for
 *   both, Node built-ins excluded: the official SDK does not build for the browser (it imports
 *   node:fs). Ours bundles the published build (packages/client/dist, rebuilt first with
 *   tsdown); entries go to esbuild on stdin, so nothing is written outside dist.
 *
 * Goals (issue 15), all from this one run: `connect` at most 1.05x hand-written fetch per call
 * and faster than the official SDK; at most 4.3 kB min+gzip loaded for `connect` (middleware
 * support included: the entry registers one), at least 10x smaller than the official SDK.
 * Timing lives here only; no test asserts speed.
 *
 * Where the time of one local `connect` goes (node --cpu-prof over 6000 calls, issue 15): about
 * 90% is Node's fetch (undici) and the server, the same for all three contenders: the Request
 * clone fetch makes for any redirect mode but "error" tees the body stream, the body is written
 * as an async iterable, and garbage collection is ~150 µs a call. The official SDK sends with
 * node:http, not fetch, which is why it keeps up with hand-written fetch despite its pipeline.
 * The client's own JavaScript is ~45 µs a call against ~19 µs for the hand-written code.
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createHash, createHmac, randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { CallAutomationClient } from "@azure/communication-call-automation";
import { build } from "esbuild";
import { createCallAutomationClient } from "../packages/client/src/index.ts";
import { ROOT } from "../tools/paths.ts";

const callsFlag = process.argv.indexOf("--calls");
const CALLS = callsFlag > 0 ? Number(process.argv[callsFlag + 1]) : 2000;
if (!Number.isInteger(CALLS) || CALLS < 100 || CALLS > 20_000) {
  console.error("bench:client: --calls takes a whole number from 100 to 20000");
  process.exit(2);
}
const ROUNDS = 20;
const WARMUP = 300;
const API_VERSION = "2025-05-15";
const KEY = Buffer.alloc(32, 0x11).toString("base64");
const ROOM_ID = "99434917639286209";
const CALLBACK = "https://app.example/callback";

const RESPONSE = JSON.stringify({
  callConnectionId: "18dea47f-b081-4107-9a5c-4300819d2c6c",
  serverCallId: "aHR0cHM6Ly9jb252ZXJzYXRpb251cmwvdGVzdA",
  targets: [],
  callConnectionState: "connecting",
  callbackUri: CALLBACK,
  mediaStreamingSubscription: { id: "23dea47f-b081-4107-9a5c-4300819d2caa", state: "active", subscribedContentTypes: ["audio"] },
  transcriptionSubscription: { id: "45dea47f-b081-4107-9a5c-4300819d2caa", state: "active", subscribedResultTypes: ["final"] },
  answeredFor: { value: "+11234567890" },
});

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const verdict = (met: boolean): string => (met ? "met" : "MISSED");

// One server for every contender; it reads the whole body and answers the same JSON, checking
// only what all three must send (a signed, repeatable POST), so nobody gets a cheaper path.
let unexpected = 0;
const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    const ok =
      req.method === "POST" &&
      req.url === `/calling/callConnections:connect?api-version=${API_VERSION}` &&
      req.headers.authorization?.startsWith("HMAC-SHA256 ") &&
      req.headers["repeatability-request-id"];
    if (!ok) unexpected++;
    res.writeHead(ok ? 200 : 400, { "content-type": "application/json", "content-length": Buffer.byteLength(RESPONSE) }).end(ok ? RESPONSE : "{}");
  });
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const connectionString = `endpoint=${endpoint}/;accesskey=${KEY}`;

// --- the contenders -------------------------------------------------------------------------

const ours = createCallAutomationClient({ connectionString });
// apiVersion is missing from the SDK's public options type, but the constructor hands it to the
// generated client (whose default is 2026-03-12); the server below checks that it arrived.
const officialOptions = { apiVersion: API_VERSION, allowInsecureConnection: true };
const official = new CallAutomationClient(connectionString, officialOptions);
const key = Buffer.from(KEY, "base64");
const url = new URL(`${endpoint}/calling/callConnections:connect?api-version=${API_VERSION}`);

/** What a developer would write by hand: sign with node:crypto, one fetch, parse the JSON. */
async function handWritten(): Promise<unknown> {
  const body = JSON.stringify({ callLocator: { kind: "roomCallLocator", roomId: ROOM_ID }, callbackUri: CALLBACK });
  const date = new Date().toUTCString();
  const hash = createHash("sha256").update(body).digest("base64");
  const signature = createHmac("sha256", key).update(`POST\n${url.pathname}${url.search}\n${date};${url.host};${hash}`).digest("base64");
  const response = await fetch(url, {
    method: "POST",
    body,
    headers: {
      "content-type": "application/json",
      "x-ms-date": date,
      "x-ms-content-sha256": hash,
      authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${signature}`,
      "repeatability-request-id": randomUUID(),
      "repeatability-first-sent": date,
    },
  });
  if (!response.ok) throw new Error(`hand-written: ${response.status}`);
  return response.json();
}

const contenders: Array<{ name: string; call: () => Promise<unknown>; times: number[] }> = [
  { name: "hand-written fetch", call: handWritten, times: [] },
  { name: "@acs-connect/client", call: () => ours.connect({ callLocator: { kind: "roomCallLocator", roomId: ROOM_ID }, callbackUri: CALLBACK }), times: [] },
  { name: "official SDK connectCall", call: () => official.connectCall({ kind: "roomCallLocator", id: ROOM_ID }, CALLBACK), times: [] },
];

try {
  for (const contender of contenders) for (let i = 0; i < WARMUP; i++) await contender.call();
  const perRound = Math.ceil(CALLS / ROUNDS);
  for (let round = 0; round < ROUNDS; round++) {
    for (let c = 0; c < contenders.length; c++) {
      const contender = contenders[(round + c) % contenders.length]!;
      for (let i = 0; i < perRound; i++) {
        const started = performance.now();
        await contender.call();
        contender.times.push(performance.now() - started);
      }
    }
  }
} finally {
  server.closeAllConnections();
  server.close();
}
if (unexpected) throw new Error(`bench:client: the server got ${unexpected} request(s) that were not signed, repeatable Connect POSTs`);

const baseline = median(contenders[0]!.times);
const officialMedian = median(contenders[2]!.times);
console.log(`bench:client  Node ${process.version}, ${contenders[0]!.times.length} sequential calls per contender after ${WARMUP} warm-up calls, ${ROUNDS} interleaved rounds`);
console.log("\nper connect call (median)");
for (const { name, times } of contenders) {
  const ratio = median(times) / baseline;
  const goal =
    name === "@acs-connect/client"
      ? `   goal <= 1.05x: ${verdict(ratio <= 1.05)}; faster than the official SDK: ${verdict(median(times) < officialMedian)}`
      : "";
  console.log(`  ${name.padEnd(26)} ${(median(times) * 1000).toFixed(0).padStart(6)} µs   ${ratio.toFixed(2)}x${goal}`);
}

// --- bundle sizes ---------------------------------------------------------------------------

try {
  // Quietly: tsdown warns about Node 20 on every run; its output matters only when it fails.
  execFileSync("pnpm", ["exec", "tsdown"], { cwd: path.join(ROOT, "packages/client"), stdio: "pipe" });
} catch (error) {
  console.error(`bench:client: building packages/client failed\n${String((error as { stderr?: unknown }).stderr ?? error)}`);
  process.exit(1);
}

interface BundleSize {
  min: number;
  gzip: number;
}

/**
 * Bundles an entry with code splitting, as an application's bundler would, and sizes what the
 * entry loads up front (its chunk and every chunk it imports statically) apart from what it only
 * loads on demand (dynamic import(), e.g. openapi-fetch behind client.raw).
 */
async function bundle(contents: string, resolveDir = ROOT): Promise<{ upFront: BundleSize; onDemand: BundleSize }> {
  // Inside the repository, so that the entry resolves packages from its node_modules.
  await mkdir(path.join(ROOT, ".tmp"), { recursive: true });
  const folder = await mkdtemp(path.join(ROOT, ".tmp", "bench-client-"));
  try {
    const entry = path.join(folder, "entry.mjs");
    await writeFile(entry, contents);
    const result = await build({
      entryPoints: [entry],
      absWorkingDir: resolveDir,
      bundle: true,
      splitting: true,
      minify: true,
      format: "esm",
      platform: "node",
      outdir: path.join(folder, "out"),
      write: false,
      metafile: true,
      logLevel: "error",
    });
    const files = new Map(result.outputFiles.map((file) => [path.relative(resolveDir, file.path), file.contents]));
    const outputs = result.metafile.outputs;
    const entryOutput = Object.keys(outputs).find((output) => outputs[output]!.entryPoint !== undefined)!;
    const upFront = new Set<string>();
    const visit = (output: string) => {
      if (upFront.has(output)) return;
      upFront.add(output);
      for (const imported of outputs[output]!.imports) if (imported.kind === "import-statement" && !imported.external) visit(imported.path);
    };
    visit(entryOutput);
    const size = (names: string[]): BundleSize => {
      const code = Buffer.concat(names.map((name) => Buffer.from(files.get(name)!)));
      return { min: code.length, gzip: names.reduce((sum, name) => sum + gzipSync(files.get(name)!, { level: 9 }).length, 0) };
    };
    const all = Object.keys(outputs).filter((output) => output.endsWith(".js"));
    return { upFront: size([...upFront]), onDemand: size(all.filter((output) => !upFront.has(output))) };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

const cs = "endpoint=https://x.communication.azure.com/;accesskey=" + KEY;
const oursSize = await bundle(`
import { createCallAutomationClient } from ${JSON.stringify(path.join(ROOT, "packages/client/dist/index.mjs"))};
const client = createCallAutomationClient({ connectionString: ${JSON.stringify(cs)} });
client.use({ onRequest: ({ request }) => void request.headers.set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01") });
export const run = () => client.connect({ callLocator: { kind: "roomCallLocator", roomId: "1" }, callbackUri: "https://app.example/cb" });
`);
const officialSize = await bundle(`
import { CallAutomationClient } from "@azure/communication-call-automation";
const client = new CallAutomationClient(${JSON.stringify(cs)}, { apiVersion: "2025-05-15", allowInsecureConnection: true });
export const run = () => client.connectCall({ kind: "roomCallLocator", id: "1" }, "https://app.example/cb");
`);
const kB = (bytes: number) => `${(bytes / 1000).toFixed(2)} kB`;
const officialGzip = officialSize.upFront.gzip + officialSize.onDemand.gzip;
const times = officialGzip / oursSize.upFront.gzip;
const line = (name: string, size: BundleSize, note = "") => `  ${name.padEnd(40)} ${kB(size.min).padStart(10)} min ${kB(size.gzip).padStart(9)} gzip${note}`;
console.log("\nbundle for one connect (esbuild --bundle --splitting --minify, ESM, platform node; gzip -9 per chunk)");
console.log(line("@acs-connect/client, loaded for connect", oursSize.upFront, `   goal <= 4.3 kB: ${verdict(oursSize.upFront.gzip <= 4300)}`));
console.log(line("  + client.raw (openapi-fetch), on first use", oursSize.onDemand));
console.log(line("official SDK", { min: officialSize.upFront.min + officialSize.onDemand.min, gzip: officialGzip }));
console.log(`  official / ours (for connect)            ${times.toFixed(1)}x smaller   goal >= 10x: ${verdict(times >= 10)}`);
console.log(`  official / ours (with client.raw loaded) ${(officialGzip / (oursSize.upFront.gzip + oursSize.onDemand.gzip)).toFixed(1)}x smaller`);
