/**
 * The attacks of issue 11 (server side), each against a real node:http server or the CLI on a
 * free loopback port, each with bounded loops. Every test here failed on the server before the
 * hardening it checks; a change that reopens a hole fails the suite.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { connect as tcpConnect, type Socket } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createConnectHandler, MemoryRepeatabilityStore, type LogEntry } from "@acs-connect/server";
import { BODY, CLI_BIN, KEY, TARGET, outputMatch, repeatability, send, signedHeaders, spawnCollected, startServer, wellFormedCredentialLines, type TestServer } from "./helpers.ts";

const here = import.meta.dirname;

const servers: TestServer[] = [];
const children: ChildProcess[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(...args: Parameters<typeof startServer>): Promise<TestServer> {
  const server = await startServer(...args);
  servers.push(server);
  return server;
}

/** Writes `request` on a new TCP connection and collects everything answered until the server closes it. */
function raw(port: number, request: string, deadlineMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, "127.0.0.1");
    sockets.push(socket);
    let answer = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server did not close the connection within ${deadlineMs} ms; got: ${answer}`));
    }, deadlineMs);
    socket.on("data", (data) => (answer += data.toString("utf8")));
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(answer);
    });
    socket.on("error", () => {});
    socket.on("connect", () => socket.write(request));
  });
}

/** The status and JSON body of the first response in a raw answer. */
function firstResponse(answer: string): { status: number; head: string; json: any } {
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(answer)?.[1] ?? 0);
  const split = answer.indexOf("\r\n\r\n");
  const head = answer.slice(0, split).toLowerCase();
  let text = answer.slice(split + 4);
  if (head.includes("transfer-encoding: chunked")) {
    let body = "";
    for (;;) {
      const lineEnd = text.indexOf("\r\n");
      const size = parseInt(text.slice(0, lineEnd), 16);
      if (!size) break;
      body += text.slice(lineEnd + 2, lineEnd + 2 + size);
      text = text.slice(lineEnd + 2 + size + 2);
    }
    text = body;
  } else {
    const length = Number(/content-length: (\d+)/.exec(head)?.[1] ?? text.length);
    text = text.slice(0, length);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status, head, json };
}

const responsesIn = (answer: string) => answer.match(/(?:^|\r\n)HTTP\/1\.1 \d{3} /g)?.length ?? 0;

/** A signed Connect request with a new repeatability pair and a `callbackUri` of about `size` bytes. */
function bigSignedRequest(host: string, size: number, key = KEY) {
  const body = JSON.stringify({ ...BODY, callbackUri: `https://app.example/${"x".repeat(size)}` });
  return { body, headers: { "content-type": "application/json", ...repeatability(), ...signedHeaders({ host, body, key }) } };
}

/**
 * Sends a request and reads its answer without keeping it (the flood's answers are 1 MB each):
 * the status and the first bytes, for a failure's message.
 */
function sendDiscarding(port: number, body: Buffer, headers: Record<string, string>): Promise<{ status: number; start: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, method: "POST", path: TARGET, headers, agent: false }, (res) => {
      let start = "";
      res.on("data", (chunk: Buffer) => {
        if (start.length < 300) start += chunk.subarray(0, 300).toString("utf8");
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, start }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

/** Starts the CLI under node with `nodeArgs`; resolves once it prints its connection string. */
async function startCli(args: string[], env: Record<string, string | undefined> = {}, nodeArgs: string[] = []) {
  const running = spawnCollected(process.execPath, [...nodeArgs, CLI_BIN, "--port", "0", ...args], { cwd: here, env: { ...process.env, ACS_CONNECT_ACCESS_KEY: undefined, ...env } }, children);
  const match = await outputMatch(running, /connection string: endpoint=http:\/\/127\.0\.0\.1:(\d+)\/;accesskey=(\S+)/, "acs-connect-server did not start", 20_000);
  const port = Number(match[1]);
  return { child: running.child, port, host: `127.0.0.1:${port}`, printedKey: match[2]!, output: running.output };
}

describe("1. memory is bounded by bytes", () => {
  it("the CLI under a 128 MB heap keeps answering a flood of new ids with 1 MB bodies", async () => {
    // --admin: the connections listing keeps what the mock created, and must stay bounded too.
    const cli = await startCli(["--quiet", "--admin"], {}, ["--max-old-space-size=128"]);
    const rssBefore = rssOf(cli.child.pid!);
    let answered = 0;
    let peak = rssBefore;
    // 192 MB through a 128 MB heap, 1.5 times what it holds: before the byte budget the CLI died
    // once it had kept about a heap's worth of answers (about 195 under 192 MB), and it still dies
    // here when the store's or the listing's byte bound is lifted.
    // One body for every request (each still gets a new repeatability id, so the server keeps a
    // record per request), encoded once: the server's work is what is under test.
    const body = Buffer.from(JSON.stringify({ ...BODY, callbackUri: `https://app.example/${"x".repeat(1_000_000)}` }));
    const stream = async () => {
      for (let i = 0; i < 64; i++) {
        const answer = await sendDiscarding(cli.port, body, { "content-type": "application/json", ...repeatability(), ...signedHeaders({ host: cli.host, body, key: cli.printedKey }) });
        expect(answer.status, answer.start).toBe(200);
        answered++;
        if (answered % 16 === 0) peak = Math.max(peak, rssOf(cli.child.pid!));
      }
    };
    await Promise.all([stream(), stream(), stream()]);
    expect(answered).toBe(192);
    expect(cli.child.exitCode).toBeNull();
    // A figure for the report, not an assertion: RSS depends on the machine and the collector.
    console.info(`CLI flood: ${answered} answers; RSS ${(rssBefore / 2 ** 20).toFixed(0)} MB before, peak ${(peak / 2 ** 20).toFixed(0)} MB`);
    // 3x the 51 s that the 300-request version of this test once took on a loaded machine.
  }, 180_000);

  it("the store's bytes stay within maxBytes while the server keeps answering", async () => {
    const store = new MemoryRepeatabilityStore({ maxBytes: 4 * 1024 * 1024 });
    const server = await serve({ repeatabilityStore: store });
    for (let i = 0; i < 24; i++) {
      const request = bigSignedRequest(server.host, 500_000);
      expect((await send(server.port, { body: request.body, headers: request.headers })).status).toBe(200);
      expect(store.bytes).toBeGreaterThan(0);
      expect(store.bytes).toBeLessThanOrEqual(4 * 1024 * 1024);
    }
  });
});

describe("2. nothing is buffered for a caller who cannot authenticate", () => {
  // Headers announcing 1 MB, and no body: only an answer given before reading the body arrives
  // (otherwise the request times out with 408).
  const headersOnly = (host: string, lines: string) =>
    `POST ${TARGET} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n${lines}\r\n`;

  it("refuses a missing, malformed or unknown credential, a bad or skewed date and a missing content hash before the body", async () => {
    const server = await serve({}, { requestTimeoutMs: 2_000, headersTimeoutMs: 1_000 });
    const date = new Date().toUTCString();
    const hash = Buffer.alloc(32, 1).toString("base64");
    const signature = `Authorization: HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${hash}\r\n`;
    const cases: Array<[string, string]> = [
      ["", "The Authorization header is missing."],
      ["Authorization: x\r\n", "The Authorization header must use HMAC-SHA256 (access key)."],
      ["Authorization: Basic dXNlcjpwYXNz\r\n", "The Authorization header must use HMAC-SHA256 (access key)."],
      [`x-ms-date: yesterday\r\nx-ms-content-sha256: ${hash}\r\n${signature}`, "The x-ms-date header is not an RFC 1123 date, e.g. Sun, 06 Nov 1994 08:49:37 GMT."],
      [
        `x-ms-date: ${new Date(Date.now() - 3_600_000).toUTCString()}\r\nx-ms-content-sha256: ${hash}\r\n${signature}`,
        "The x-ms-date header is more than 300 s away from the server's clock.",
      ],
      [`x-ms-date: ${date}\r\n${signature}`, "The x-ms-content-sha256 header is missing; it is required with HMAC-SHA256."],
    ];
    for (const [lines, message] of cases) {
      const answer = await raw(server.port, headersOnly(server.host, lines));
      const response = firstResponse(answer);
      expect(response.status, answer.slice(0, 200)).toBe(401);
      expect(response.json).toEqual({ error: { code: "Unauthorized", message, target: "Authorization" } });
      expect(responsesIn(answer)).toBe(1);
    }
  });

  it("verifies a bearer token before the body", async () => {
    const seen: string[] = [];
    const server = await serve({ auth: { verifyToken: (token) => (seen.push(token), false) } }, { requestTimeoutMs: 2_000, headersTimeoutMs: 1_000 });
    const answer = await raw(server.port, headersOnly(server.host, "Authorization: Bearer stolen\r\n"));
    expect(firstResponse(answer).status).toBe(401);
    expect(firstResponse(answer).json.error.message).toBe("The bearer token was not accepted.");
    expect(seen).toEqual(["stolen"]);
  });

  it("asks for the body with 100 Continue only once the credential passed", async () => {
    const server = await serve({}, { requestTimeoutMs: 2_000, headersTimeoutMs: 1_000 });
    const refused = await raw(server.port, headersOnly(server.host, "Expect: 100-continue\r\nAuthorization: x\r\n"));
    expect(refused).toMatch(/^HTTP\/1\.1 401 /);
    expect(responsesIn(refused)).toBe(1);
    // A client that waits for 100 Continue, and sends its body only then.
    const body = JSON.stringify(BODY);
    const headers = signedHeaders({ host: server.host, body });
    const accepted = await new Promise<string>((resolve, reject) => {
      const socket = tcpConnect(server.port, "127.0.0.1");
      sockets.push(socket);
      let answer = "";
      socket.on("error", reject);
      socket.on("data", (data) => {
        answer += data.toString("utf8");
        if (answer === "HTTP/1.1 100 Continue\r\n\r\n") socket.write(body);
      });
      socket.on("close", () => resolve(answer));
      socket.write(
        `POST ${TARGET} HTTP/1.1\r\nHost: ${server.host}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\nConnection: close\r\n` +
          `x-ms-date: ${headers["x-ms-date"]}\r\nx-ms-content-sha256: ${headers["x-ms-content-sha256"]}\r\nAuthorization: ${headers.authorization}\r\n\r\n`,
      );
    });
    expect(accepted).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
  });

  it("answers 503 with Retry-After past the bytes of bodies in flight", async () => {
    // A chunked body counts as maxBodyBytes (its size is unknown until it ends), as send() makes them.
    const server = await serve({ maxBodyBytes: 2_000, maxBodyBytesInFlight: 3_000 });
    // One upload holds 2,000 of the 3,000 bytes while it trickles.
    const holder = tcpConnect(server.port, "127.0.0.1");
    sockets.push(holder);
    holder.on("error", () => {});
    holder.write(`POST ${TARGET} HTTP/1.1\r\nHost: ${server.host}\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n${wellFormedCredentialLines()}\r\n{`);
    const body = "x".repeat(1_500);
    let busy: Awaited<ReturnType<typeof send>> | undefined;
    for (let attempt = 0; attempt < 50 && !busy; attempt++) {
      const answer = await send(server.port, { body, headers: { "content-type": "application/json", ...signedHeaders({ host: server.host, body }) } });
      if (answer.status === 503) busy = answer;
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(busy?.headers["retry-after"]).toBe("1");
    expect(busy?.json).toMatchObject({ error: { code: "ServerBusy" } });
    holder.destroy();
    // Once the holder is gone, the budget is free again.
    for (let attempt = 0; attempt < 50; attempt++) {
      const answer = await server.connect();
      if (answer.status !== 503) {
        expect(answer.status).toBe(200);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`the bytes in flight were never released: ${(await server.connect()).text}`);
  });

  it("answers 503 with Retry-After past maxConnections", async () => {
    const server = await serve({}, { maxConnections: 2 });
    for (let i = 0; i < 2; i++) {
      const idle = tcpConnect(server.port, "127.0.0.1");
      sockets.push(idle);
      idle.on("error", () => {});
      await new Promise((resolve) => idle.once("connect", resolve));
    }
    const answer = await server.connect();
    expect(answer.status).toBe(503);
    expect(answer.headers["retry-after"]).toBe("1");
    expect(answer.json).toMatchObject({ error: { code: "ServerBusy" } });
  });
});

describe("3. repeatability is scoped to the caller", () => {
  it("user B replaying user A's id and body executes anew, and A's retry with a new token still replays", async () => {
    let executions = 0;
    const server = await serve({
      auth: { verifyToken: (token) => ({ principal: token.split("-")[0]! }) },
      connect: () => ({ callConnectionId: `call-${++executions}` }),
    });
    const body = JSON.stringify(BODY);
    const pair = repeatability();
    const as = (token: string) => send(server.port, { body, headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...pair } });
    expect((await as("alice-1")).json).toEqual({ callConnectionId: "call-1" });
    expect((await as("bob-1")).json).toEqual({ callConnectionId: "call-2" });
    expect((await as("alice-2")).json).toEqual({ callConnectionId: "call-1" });
    expect(executions).toBe(2);
  });

  it("a verifier that answers true scopes records to the token", async () => {
    let executions = 0;
    const server = await serve({ auth: { verifyToken: () => true }, connect: () => ({ callConnectionId: `call-${++executions}` }) });
    const body = JSON.stringify(BODY);
    const pair = repeatability();
    const as = (token: string) => send(server.port, { body, headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...pair } });
    expect((await as("t1")).json).toEqual({ callConnectionId: "call-1" });
    expect((await as("t2")).json).toEqual({ callConnectionId: "call-2" });
    expect((await as("t1")).json).toEqual({ callConnectionId: "call-1" });
  });

  it("one principal's flood does not evict another's records", () => {
    const store = new MemoryRepeatabilityStore({ maxEntries: 100, maxBytes: 100_000 });
    const response = (size: number) => ({ status: 200, body: "x".repeat(size), contentType: "application/json" });
    const later = Date.now() + 60_000;
    for (let i = 0; i < 5; i++) {
      store.claim(`alice ${i}`, "f", later, "alice");
      store.complete(`alice ${i}`, response(100));
    }
    for (let i = 0; i < 10_000; i++) {
      store.claim(`mallory ${i}`, "f", later, "mallory");
      store.complete(`mallory ${i}`, response(i % 2 === 0 ? 10 : 5_000));
    }
    for (let i = 0; i < 5; i++) expect(store.claim(`alice ${i}`, "f", later, "alice")).toMatchObject({ state: "completed" });
    expect(store.bytes).toBeLessThanOrEqual(100_000);
  });
});

describe("4. strict credentials", () => {
  it("refuses a signature with anything beyond the base64 of 32 bytes", async () => {
    const server = await serve();
    const body = JSON.stringify(BODY);
    for (const spoil of [(s: string) => `${s}AAAA`, (s: string) => `${s}!!`, (s: string) => `${s.slice(0, 10)}.${s.slice(10)}`]) {
      const headers = signedHeaders({ host: server.host, body });
      const signature = headers.authorization!.split("Signature=")[1]!;
      headers.authorization = headers.authorization!.replace(signature, spoil(signature));
      const answer = await send(server.port, { body, headers: { "content-type": "application/json", ...headers } });
      expect(answer.status, answer.text).toBe(401);
    }
  });

  it("accepts only an IMF-fixdate x-ms-date, even when it is signed", async () => {
    const server = await serve();
    const body = JSON.stringify(BODY);
    const now = new Date();
    for (const date of [now.toISOString(), now.toUTCString().replace(" GMT", ""), now.toUTCString().replace("GMT", "+0000")]) {
      const answer = await send(server.port, { body, headers: { "content-type": "application/json", ...signedHeaders({ host: server.host, body, date }) } });
      expect(answer.status, date).toBe(401);
      expect(answer.json.error.message).toBe("The x-ms-date header is not an RFC 1123 date, e.g. Sun, 06 Nov 1994 08:49:37 GMT.");
    }
  });

  it("answers 400 to two Authorization lines or two Host lines", async () => {
    const server = await serve();
    const body = JSON.stringify(BODY);
    const headers = signedHeaders({ host: server.host, body });
    const lines = `x-ms-date: ${headers["x-ms-date"]}\r\nx-ms-content-sha256: ${headers["x-ms-content-sha256"]}\r\nAuthorization: ${headers.authorization}\r\n`;
    const twoCredentials = await raw(
      server.port,
      `POST ${TARGET} HTTP/1.1\r\nHost: ${server.host}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n${lines}Authorization: Bearer other\r\n\r\n${body}`,
    );
    expect(firstResponse(twoCredentials)).toMatchObject({ status: 400, json: { error: { code: "DuplicateHeader", target: "Authorization" } } });
    const twoHosts = await raw(
      server.port,
      `POST ${TARGET} HTTP/1.1\r\nHost: ${server.host}\r\nHost: other.example\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n${lines}\r\n${body}`,
    );
    expect(firstResponse(twoHosts)).toMatchObject({ status: 400, json: { error: { code: "DuplicateHeader", target: "Host" } } });
  });
});

describe("4. strict credentials through the Fetch handler", () => {
  it("answers 400 to two credentials that Headers joined into one value", async () => {
    const handle = createConnectHandler({ connect: () => ({ callConnectionId: "x" }), auth: { accessKey: KEY, verifyToken: () => true } });
    const body = JSON.stringify(BODY);
    const headers = new Headers([
      ["content-type", "application/json"],
      ["authorization", "Bearer first"],
      ["authorization", "Bearer second"],
    ]);
    const response = await handle(new Request(`http://127.0.0.1${TARGET}`, { method: "POST", body, headers }));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: "DuplicateHeader", target: "Authorization" } });
  });
});

describe("5. HTTP edges answer in the API's error shape", () => {
  it("an early 413 from Content-Length closes the connection, with no second response", async () => {
    const server = await serve({ maxBodyBytes: 1_024 }, { requestTimeoutMs: 1_000, headersTimeoutMs: 500 });
    const answer = await raw(
      server.port,
      `POST ${TARGET} HTTP/1.1\r\nHost: ${server.host}\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n${wellFormedCredentialLines()}\r\n`,
    );
    expect(firstResponse(answer).status).toBe(413);
    expect(firstResponse(answer).json).toMatchObject({ error: { code: "PayloadTooLarge" } });
    expect(responsesIn(answer)).toBe(1);
  });

  it("Expect: foo gets a JSON 417, a request without Host a JSON 400", async () => {
    const server = await serve();
    const expectation = firstResponse(await raw(server.port, `POST ${TARGET} HTTP/1.1\r\nHost: ${server.host}\r\nExpect: foo\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`));
    expect(expectation).toMatchObject({ status: 417, json: { error: { code: "ExpectationFailed", target: "Expect" } } });
    const noHost = firstResponse(await raw(server.port, `POST ${TARGET} HTTP/1.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`));
    expect(noHost).toMatchObject({ status: 400, json: { error: { code: "MissingHeader", target: "Host" } } });
  });

  it("accepts an absolute-form target, signed over its path and query and its authority", async () => {
    const server = await serve();
    const body = JSON.stringify(BODY);
    const headers = signedHeaders({ host: server.host, body, target: TARGET });
    const answer = await raw(
      server.port,
      `POST http://${server.host}${TARGET} HTTP/1.1\r\nHost: ${server.host}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n` +
        `x-ms-date: ${headers["x-ms-date"]}\r\nx-ms-content-sha256: ${headers["x-ms-content-sha256"]}\r\nAuthorization: ${headers.authorization}\r\n\r\n${body}`,
    );
    expect(firstResponse(answer).status, answer).toBe(200);
    expect(firstResponse(answer).json).toMatchObject({ callbackUri: BODY.callbackUri });
  });

  it("a content coding or a charset other than UTF-8 gets 415 naming the header", async () => {
    const server = await serve();
    const body = JSON.stringify(BODY);
    const gzip = await server.connect(body, { headers: { "content-encoding": "gzip" } });
    expect(gzip.status).toBe(415);
    expect(gzip.json.error).toMatchObject({ code: "UnsupportedMediaType", target: "Content-Encoding" });
    const latin1 = await server.connect(body, { headers: { "content-type": "application/json; charset=iso-8859-1" } });
    expect(latin1.status).toBe(415);
    expect(latin1.json.error).toMatchObject({ code: "UnsupportedMediaType", target: "Content-Type" });
    expect((await server.connect(body, { headers: { "content-type": "application/json; charset=UTF-8" } })).status).toBe(200);
  });
});

describe("6. logs stay useful under attack", () => {
  it("an aborted upload is not logged as an unexpected failure", async () => {
    const entries: Array<[string, LogEntry]> = [];
    const logger = {
      debug: (entry: LogEntry) => entries.push(["debug", entry]),
      info: (entry: LogEntry) => entries.push(["info", entry]),
      error: (entry: LogEntry) => entries.push(["error", entry]),
    };
    const server = await serve({ logger });
    for (let i = 0; i < 5; i++) {
      const socket = tcpConnect(server.port, "127.0.0.1");
      socket.on("error", () => {});
      await new Promise((resolve) => socket.once("connect", resolve));
      socket.write(`POST ${TARGET} HTTP/1.1\r\nHost: ${server.host}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n${wellFormedCredentialLines()}\r\n{"call`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      socket.destroy();
    }
    for (let wait = 0; wait < 100 && entries.filter(([level]) => level === "info").length < 5; wait++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(entries.filter(([level]) => level === "info")).toHaveLength(5);
    expect(entries.filter(([level]) => level === "error")).toEqual([]);
    expect(entries.filter(([level]) => level === "debug")).toHaveLength(5);
  });

  it("the CLI never prints a key it was given, reads one from a file, and warns about --access-key", async () => {
    const key = Buffer.alloc(32, 0x5a).toString("base64");
    const fromEnv = await startCli([], { ACS_CONNECT_ACCESS_KEY: key });
    expect(fromEnv.output()).not.toContain(key);
    const folder = await mkdtemp(path.join(os.tmpdir(), "acs-connect-key-"));
    try {
      const file = path.join(folder, "key");
      await writeFile(file, `${key}\n`, { mode: 0o600 });
      const fromFile = await startCli(["--access-key-file", file]);
      expect(fromFile.output()).not.toContain(key);
      const body = JSON.stringify(BODY);
      const answer = await send(fromFile.port, { body, headers: { "content-type": "application/json", ...signedHeaders({ host: fromFile.host, body, key }) } });
      expect(answer.status, answer.text).toBe(200);
      const fromFlag = await startCli(["--access-key", key]);
      expect(fromFlag.output()).not.toContain(key);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
    const help = spawnCollected(process.execPath, [CLI_BIN, "--help"], { cwd: here }, children);
    await help.exited;
    const usage = help.output();
    expect(usage).toContain("--access-key-file <path>");
    expect(usage.replace(/\s+/g, " ")).toContain("can read it in the process list");
  });
});
