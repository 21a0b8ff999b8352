/**
 * The mock's controls through the installed CLI, as a user runs it: the package's bin
 * (`bin/acs-connect-server.mjs`, which runs `dist/cli.mjs`) and the examples' `npx
 * acs-connect-server`. Plain fetch without credentials under --no-auth, each Prefer form, faults with our client, the request log, the admin listing,
 * and process hygiene (a wrapper killed by PID leaves no child running).
 */
import { execFileSync, type ChildProcess } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import spec from "@acs-connect/spec";
import { createCallAutomationClient } from "@acs-connect/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox } from "../../../tools/sandbox.ts";
import { responseValidators } from "../src/generated/validators/validators.gen.js";
import { BODY, CLI_BIN, TARGET, spawnCollected, type Collected } from "./helpers.ts";

const here = import.meta.dirname;
const ROOT = path.resolve(here, "../../..");
const PACKAGE = path.resolve(here, "..");
const EXAMPLES = path.join(ROOT, "examples");
const started: ChildProcess[] = [];


afterAll(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

type Running = Collected;

function spawnTracked(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Running {
  return spawnCollected(command, args, { cwd, env: { ...process.env, NODE_ENV: "development", ...env } }, started);
}

async function waitFor<T>(what: string, probe: () => T | undefined, running: Running, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${running.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

interface Server extends Running {
  url: string;
  pid: number;
}

async function serve(args: string[], via: "bin" | "npx" = "bin", env: Record<string, string> = {}): Promise<Server> {
  const running =
    via === "bin"
      ? spawnTracked(process.execPath, [CLI_BIN, "--port", "0", ...args], PACKAGE, env)
      : spawnTracked("npx", ["--no-install", "acs-connect-server", "--port", "0", ...args], EXAMPLES, env);
  try {
    const [url, pid] = await waitFor(
      "the server to start",
      () => {
        const match = /url: +(http:\/\/127\.0\.0\.1:\d+)[\s\S]*pid: +(\d+)/.exec(running.output());
        return match ? ([match[1]!, Number(match[2])] as const) : undefined;
      },
      running,
    );
    return { ...running, url, pid };
  } catch (error) {
    // A start-up that timed out may still have a server running under npx: stop the whole tree by PID.
    await killTree(running);
    throw error;
  }
}

/** Stops a process and everything it started, by PID (afterAll's SIGKILL reaches only the wrapper). */
async function killTree(running: Running): Promise<void> {
  const pids = [running.child.pid!, ...descendants(running.child.pid!)];
  for (const pid of pids) if (alive(pid)) process.kill(pid, "SIGKILL");
  await running.exited;
}

async function stop(server: Running): Promise<void> {
  if (server.child.exitCode === null) server.child.kill("SIGTERM");
  await server.exited;
}

/** A plain request, as curl sends it: no credentials. */
function post(server: Server, headers: Record<string, string> = {}, body: unknown = BODY): Promise<Response> {
  return fetch(`${server.url}${TARGET}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
}

/** Whether a process is still running (a zombie has exited; only its entry is left). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** Every descendant of a process, from /proc. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // Exited while listing.
    }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

async function gone(pids: number[], running: Running): Promise<void> {
  try {
    await waitFor("every child to exit", () => (pids.every((pid) => !alive(pid)) ? true : undefined), running, 20_000);
  } finally {
    // A failed check must not leave the orphans it found running.
    for (const pid of pids) if (alive(pid)) process.kill(pid, "SIGKILL");
  }
}

const connectOperation = (spec.paths as Record<string, Record<string, { responses: Record<string, { content?: Record<string, { examples?: Record<string, { value: unknown }> }> }> }>>)[
  "/calling/callConnections:connect"
]!.post!;
const examplesOf = (key: string) => connectOperation.responses[key]?.content?.["application/json"]?.examples ?? {};

describe("acs-connect-server --no-auth and --token", () => {
  let open: Server;
  beforeAll(async () => {
    open = await serve(["--no-auth", "--admin", "--seed", "7"]);
  });
  afterAll(() => stop(open));

  it("answers a request without credentials and warns at start", async () => {
    expect(open.output()).toContain("warning: --no-auth: requests without credentials are accepted (from this machine only).");
    const answer = await post(open);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ callbackUri: BODY.callbackUri, callConnectionState: "connecting" });
  });

  it("refuses --no-auth on a non-loopback host without --allow-remote-no-auth, in one line", async () => {
    const refused = spawnTracked(process.execPath, [CLI_BIN, "--no-auth", "--host", "0.0.0.0", "--port", "0"], PACKAGE);
    expect(await refused.exited).toBe(2);
    expect(refused.output()).toContain("--no-auth on the non-loopback address 0.0.0.0");
    expect(refused.output().trim().split("\n")).toHaveLength(2);
  });

  it("accepts the one --token and refuses others without the credential in the log", async () => {
    const server = await serve(["--token", "s3cret-token-value"]);
    try {
      expect((await post(server)).status).toBe(401);
      expect((await post(server, { authorization: "Bearer wrong-token-value" })).status).toBe(401);
      const answer = await post(server, { authorization: "Bearer s3cret-token-value" });
      expect(answer.status).toBe(200);
      await waitFor("three log lines", () => (server.output().match(/POST \/calling/g)?.length === 3 ? true : undefined), server);
      expect(server.output()).not.toContain("s3cret-token-value");
      expect(server.output()).not.toContain("wrong-token-value");
      expect(server.output()).toMatch(/POST \/calling\/callConnections:connect 401 [\d.]+ ms [0-9a-f-]{36} - Authorization: /);
    } finally {
      await stop(server);
    }
  });

  describe("Prefer", () => {
    it("code=<status> answers each named example of the default response with its status", async () => {
      const names = Object.keys(examplesOf("default"));
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) {
        const status = Number(Object.entries((await import("node:http")).STATUS_CODES).find(([, reason]) => reason?.replace(/[^A-Za-z]/g, "") === name)?.[0]);
        if (!status) continue;
        const answer = await post(open, { prefer: `code=${status}` });
        expect(answer.status).toBe(status);
        expect(answer.headers.get("preference-applied")).toBe(`code=${status}`);
        expect(await answer.json()).toEqual(examplesOf("default")[name]!.value);
      }
    });

    it("code=<status> without an example generates a CommunicationErrorResponse", async () => {
      const answer = await post(open, { prefer: "code=409" });
      expect(answer.status).toBe(409);
      const body = await answer.json();
      expect(responseValidators.CommunicationErrorResponse(body)).toBe(true);
      expect(body.error.code).toBe("Conflict");
    });

    it("example=<name> answers that example, success or error", async () => {
      for (const [key, examples] of Object.entries(connectOperation.responses).map(([key]) => [key, examplesOf(key)] as const)) {
        for (const [name, example] of Object.entries(examples)) {
          const answer = await post(open, { prefer: `example=${name}` });
          if (key === "200") expect(answer.status).toBe(200);
          else expect(answer.status).toBeGreaterThanOrEqual(400);
          expect(answer.headers.get("preference-applied")).toBe(`example=${name}`);
          expect(await answer.json()).toEqual(example.value);
        }
      }
    });

    it("dynamic=true generates a valid CallConnectionProperties, the same sequence for the same --seed", async () => {
      const again = await serve(["--no-auth", "--seed", "7"]);
      try {
        const first: unknown[] = [];
        const second: unknown[] = [];
        for (let i = 0; i < 5; i++) {
          const a = await post(open, { prefer: "dynamic=true" });
          expect(a.headers.get("preference-applied")).toBe("dynamic=true");
          first.push(await a.json());
          second.push(await (await post(again, { prefer: "dynamic=true" })).json());
        }
        for (const value of first) expect(responseValidators.CallConnectionProperties(value), JSON.stringify(responseValidators.CallConnectionProperties.errors)).toBe(true);
        expect(second).toEqual(first);
        expect(new Set(first.map((value) => JSON.stringify(value))).size).toBeGreaterThan(1);
      } finally {
        await stop(again);
      }
    });

    it("answers 422 naming the allowed values when the spec cannot satisfy the preference", async () => {
      const code = await post(open, { prefer: "code=302" });
      expect(code.status).toBe(422);
      const codeBody = await code.json();
      expect(responseValidators.CommunicationErrorResponse(codeBody)).toBe(true);
      expect(codeBody.error.target).toBe("Prefer code");
      expect(codeBody.error.message).toContain("400-599 (default)");
      const example = await post(open, { prefer: "example=NoSuchExample" });
      expect(example.status).toBe(422);
      const exampleBody = await example.json();
      for (const name of Object.keys({ ...examplesOf("200"), ...examplesOf("default") })) expect(exampleBody.error.message).toContain(name);
      const dynamic = await post(open, { prefer: "dynamic=maybe" });
      expect(dynamic.status).toBe(422);
      expect((await dynamic.json()).error.message).toContain("true or false");
    });

    it("still validates the request first: a Prefer does not cover a bad body", async () => {
      const answer = await post(open, { prefer: "code=200" }, { callLocator: BODY.callLocator });
      expect(answer.status).toBe(400);
      expect((await answer.json()).error.target).toBe("$.callbackUri");
    });
  });

  it("lists the connections the mock created on GET /admin/connections", async () => {
    const before = (await (await fetch(`${open.url}/admin/connections`)).json()) as { total: number };
    const created = await (await post(open, {}, { ...BODY, callbackUri: "https://app.example/admin-listing" })).json();
    const listing = (await (await fetch(`${open.url}/admin/connections`)).json()) as { total: number; value: { connection: { callConnectionId: string } }[] };
    expect(listing.total).toBe(before.total + 1);
    expect(listing.value.at(-1)!.connection).toEqual(created);
  });

  it("has no admin path without --admin", async () => {
    const server = await serve(["--no-auth"]);
    try {
      expect((await fetch(`${server.url}/admin/connections`)).status).toBe(404);
    } finally {
      await stop(server);
    }
  });
});

describe("faults", () => {
  it("a client connects exactly once through a 30% fail and drop rate", async () => {
    const server = await serve(["--no-auth", "--admin", "--fail-rate", "0.3", "--drop-rate", "0.3", "--retry-after-ms", "10", "--latency", "0..5"]);
    try {
      const connectionString = /connection string: (\S+)/.exec(server.output())![1]!;
      const client = createCallAutomationClient({
        connectionString,
        allowInsecureConnection: true,
        retry: { maxRetries: 30, baseDelayMs: 5, maxDelayMs: 50 },
      });
      const connections: string[] = [];
      const sawBoth = () => / 503 [\d.]+ ms [0-9a-f-]{36} fault=fail/.test(server.output()) && / dropped [\d.]+ ms fault=drop/.test(server.output());
      // At least 8 connects, and on until both faults have happened (bounded: 60 connects).
      for (let i = 0; i < 60 && (i < 8 || !sawBoth()); i++) {
        const connection = await client.connect({ ...BODY, callbackUri: `https://app.example/faults/${i}` });
        connections.push(connection.callConnectionId!);
      }
      const listing = (await (await fetch(`${server.url}/admin/connections`)).json()) as { value: { connection: { callConnectionId: string; callbackUri: string } }[] };
      // Each connect executed once: a dropped answer was replayed from the repeatability store, not run again.
      expect(listing.value.map((entry) => entry.connection.callbackUri)).toEqual(connections.map((_, i) => `https://app.example/faults/${i}`));
      expect(listing.value.map((entry) => entry.connection.callConnectionId)).toEqual(connections);
      // The faults did happen.
      expect(sawBoth()).toBe(true);
    } finally {
      await stop(server);
    }
  });

  it("Prefer fail=1 answers 503 with Retry-After, drop=1 destroys the connection, latency delays", async () => {
    const server = await serve(["--no-auth", "--retry-after-ms", "2000"]);
    try {
      const failed = await post(server, { prefer: "fail=1" });
      expect(failed.status).toBe(503);
      expect(failed.headers.get("retry-after")).toBe("2");
      expect(failed.headers.get("retry-after-ms")).toBe("2000");
      expect(responseValidators.CommunicationErrorResponse(await failed.json())).toBe(true);
      await expect(post(server, { prefer: "drop=1" })).rejects.toThrow();
      const delayed = await post(server, { prefer: "latency=1..3" });
      expect(delayed.status).toBe(200);
      expect(delayed.headers.get("preference-applied")).toBe("latency=1..3");
      const bad = await post(server, { prefer: "fail=2" });
      expect(bad.status).toBe(422);
      expect((await bad.json()).error.target).toBe("Prefer fail");
    } finally {
      await stop(server);
    }
  });
});

describe("request log", () => {
  it("--log json: one object per request with status, time and the first problem, never a credential or body", async () => {
    const server = await serve(["--log", "json", "--token", "tok-NEVER-LOGGED"]);
    try {
      const marker = "https://body-NEVER-LOGGED.example/cb";
      await post(server, { authorization: "Bearer tok-NEVER-LOGGED" }, { callLocator: BODY.callLocator, callbackUri: marker, operationContext: 5 });
      await post(server, { authorization: "Bearer tok-NEVER-LOGGED" }, { ...BODY, callbackUri: marker });
      const lines = await waitFor(
        "two JSON lines",
        () => {
          // The request lines: the mock's callback delivery lines are JSON objects too (with `callback`, not `method`).
          const found = server
            .output()
            .split("\n")
            .filter((line) => line.startsWith("{"))
            .map((line) => JSON.parse(line) as Record<string, unknown>)
            .filter((line) => "method" in line);
          return found.length === 2 ? found : undefined;
        },
        server,
      );
      expect(lines[0]).toMatchObject({ method: "POST", path: "/calling/callConnections:connect", status: 400, target: "$.operationContext" });
      expect(typeof lines[0]!.problem).toBe("string");
      expect(typeof lines[0]!.durationMs).toBe("number");
      expect(lines[1]).toMatchObject({ status: 200 });
      expect(server.output()).not.toContain("NEVER-LOGGED");
    } finally {
      await stop(server);
    }
  });
});

describe("validation proxy", () => {
  /** A deliberately wrong implementation: a success with a number for an id, and an untyped error. */
  async function wrongUpstream(): Promise<{ url: string; close: () => Promise<void>; hits: () => number }> {
    let hits = 0;
    const server = createServer((request, response) => {
      hits++;
      request.resume();
      request.on("end", () => {
        if (request.headers["x-wrong"] === "text") {
          response.writeHead(500, { "content-type": "text/plain" });
          response.end("oops");
        } else {
          response.writeHead(200, { "content-type": "application/json" });
          response.end(JSON.stringify({ callConnectionId: 5, callConnectionState: "connecting" }));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, hits: () => hits, close: () => new Promise((resolve) => server.close(() => resolve())) };
  }

  it("in front of our server: our client connects through it with HMAC, and a bad request is reported and forwarded", async () => {
    const upstream = await serve([]);
    const proxy = await serve(["proxy", upstream.url]);
    try {
      const key = /accesskey=(\S+)/.exec(upstream.output())![1]!;
      const client = createCallAutomationClient({ connectionString: `endpoint=${proxy.url}/;accesskey=${key}`, allowInsecureConnection: true });
      const connection = await client.connect(BODY);
      expect(connection.callbackUri).toBe(BODY.callbackUri);
      const bad = await post(proxy, {}, { callLocator: BODY.callLocator, callbackUri: 5 });
      // Forwarded: the upstream refused it (no credentials), the proxy reported the body.
      expect(bad.status).toBe(401);
      expect(bad.headers.get("x-acs-connect-violations")).toContain("request $.callbackUri");
      await waitFor("the violation in the log", () => (proxy.output().includes("violation (request) $.callbackUri") ? true : undefined), proxy);
      expect(proxy.output()).toMatch(/POST \/calling\/callConnections:connect 200 [\d.]+ ms 0 violations/);
    } finally {
      await stop(proxy);
      await stop(upstream);
    }
  });

  it("with --errors a request violation is answered 400 and not forwarded", async () => {
    const upstream = await wrongUpstream();
    const proxy = await serve(["proxy", upstream.url, "--errors"]);
    try {
      const bad = await post(proxy, {}, { callLocator: BODY.callLocator });
      expect(bad.status).toBe(400);
      const body = await bad.json();
      expect(responseValidators.CommunicationErrorResponse(body)).toBe(true);
      expect(body.error.target).toBe("$.callbackUri");
      expect(upstream.hits()).toBe(0);
    } finally {
      await stop(proxy);
      await upstream.close();
    }
  });

  it("in front of a wrong implementation: reports its response violations, and with --errors answers 502", async () => {
    const upstream = await wrongUpstream();
    const report = await serve(["proxy", upstream.url, "--log", "json"]);
    const strict = await serve(["proxy", upstream.url, "--errors"]);
    try {
      const passed = await post(report);
      expect(passed.status).toBe(200);
      expect(await passed.json()).toEqual({ callConnectionId: 5, callConnectionState: "connecting" });
      expect(passed.headers.get("x-acs-connect-violations")).toContain("response $.callConnectionId");
      const untyped = await post(report, { "x-wrong": "text" });
      expect(untyped.status).toBe(500);
      expect(untyped.headers.get("x-acs-connect-violations")).toContain("response Content-Type");
      const logged = await waitFor(
        "two JSON log lines",
        () => {
          const lines = report.output().split("\n").filter((line) => line.startsWith("{"));
          return lines.length === 2 ? lines.map((line) => JSON.parse(line) as { violations: { side: string; target: string }[] }) : undefined;
        },
        report,
      );
      expect(logged[0]!.violations).toContainEqual(expect.objectContaining({ side: "response", target: "$.callConnectionId" }));

      const refused = await post(strict);
      expect(refused.status).toBe(502);
      const body = await refused.json();
      expect(responseValidators.CommunicationErrorResponse(body)).toBe(true);
      expect(body.error).toMatchObject({ code: "UpstreamViolation", target: "$.callConnectionId" });
    } finally {
      await stop(report);
      await stop(strict);
      await upstream.close();
    }
  });
});

describe("CLI hygiene", () => {
  it("--version prints the package version", () => {
    const version = execFileSync(process.execPath, [CLI_BIN, "--version"], { encoding: "utf8" }).trim();
    expect(version).toBe((JSON.parse(readFileSync(path.join(PACKAGE, "package.json"), "utf8")) as { version: string }).version);
  });

  it("an argument error is one line and a pointer to --help", async () => {
    for (const args of [["--colour"], ["--fail-rate", "2"], ["--latency", "9..1"], ["--log", "xml"]]) {
      const run = spawnTracked(process.execPath, [CLI_BIN, ...args], PACKAGE);
      expect(await run.exited).toBe(2);
      expect(run.output().trim().split("\n")).toEqual([expect.stringMatching(/^acs-connect-server: /), "Run acs-connect-server --help for the options."]);
    }
  });

  it("--handler x.ts explains how to run TypeScript, and the way it names works", async () => {
    const run = spawnTracked(process.execPath, [CLI_BIN, "--handler", "test/fixtures/typescript-handler.ts"], PACKAGE);
    expect(await run.exited).toBe(2);
    expect(run.output()).toContain("NODE_OPTIONS=--import=tsx npx acs-connect-server --handler test/fixtures/typescript-handler.ts");
    expect(run.output()).not.toContain("Unknown file extension");
    // What the message says to do, in the examples package as a consumer would.
    const server = await serve(["--no-auth", "--handler", path.join(PACKAGE, "test/fixtures/typescript-handler.ts")], "npx", { NODE_OPTIONS: "--import=tsx" });
    try {
      expect(await (await post(server)).json()).toEqual({ callConnectionId: "ts", callbackUri: BODY.callbackUri });
    } finally {
      await stop(server);
    }
  });

  it("the bin exists before the build, so installing examples/ links it without a warning", () => {
    const manifest = JSON.parse(readFileSync(path.join(PACKAGE, "package.json"), "utf8")) as { bin: Record<string, string> };
    for (const target of Object.values(manifest.bin)) {
      expect(path.normalize(target).startsWith("dist")).toBe(false);
      // Tracked by git: present in a fresh checkout, before anything is built.
      expect(execFileSync("git", ["ls-files", "--error-unmatch", target], { cwd: PACKAGE, encoding: "utf8" }).trim()).toBe(path.normalize(target));
    }
  });

  it("killing npx acs-connect-server by PID leaves no child running", async () => {
    const server = await serve(["--no-auth"], "npx");
    const children = descendants(server.child.pid!);
    expect(children).toContain(server.pid);
    process.kill(server.child.pid!, "SIGTERM");
    await gone([server.child.pid!, ...children], server);
  });

  it("killing pnpm dev by PID leaves no child running", async () => {
    // In a sandbox copy and without the build: the watch's first run regenerates and would
    // otherwise rewrite the checkout's generated files and dist/ while other tests read them.
    const sandbox = await createSandbox();
    try {
      const dev = spawnTracked("pnpm", ["dev", "--no-build"], sandbox.root);
      try {
        await waitFor("the watch to start", () => (dev.output().includes("watch: watching") ? true : undefined), dev, 180_000);
        const children = descendants(dev.child.pid!);
        expect(children.length).toBeGreaterThan(0);
        process.kill(dev.child.pid!, "SIGTERM");
        await gone([dev.child.pid!, ...children], dev);
      } finally {
        if (alive(dev.child.pid!)) await killTree(dev);
      }
    } finally {
      await sandbox.remove();
    }
  }, 240_000);
});
