/**
 * Test helpers: an HMAC signer written independently of the server (from the reference's
 * description of the scheme), servers on free loopback ports, raw HTTP requests with full
 * control over the target, headers and body bytes, and the CLI as a process.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, createHmac, randomUUID } from "node:crypto";
import { request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { createConnectHandler, createNodeServer, closeGracefully, type ConnectHandlerOptions, type NodeServerOptions } from "@acs-connect/server";

export const KEY = Buffer.alloc(32, 0x11).toString("base64");
export const PATH = "/calling/callConnections:connect";
export const TARGET = `${PATH}?api-version=2025-05-15`;
export const BODY = { callLocator: { roomId: "99434917639286209", kind: "roomCallLocator" }, callbackUri: "https://app.example/callback" };

export interface SignOptions {
  method?: string;
  target?: string;
  host: string;
  body?: string | Buffer;
  key?: string;
  date?: string;
}

/** The headers an access-key client sends, computed with node:crypto. */
export function signedHeaders(options: SignOptions): Record<string, string> {
  const body = options.body ?? "";
  const date = options.date ?? new Date().toUTCString();
  const hash = createHash("sha256").update(body).digest("base64");
  const stringToSign = `${options.method ?? "POST"}\n${options.target ?? TARGET}\n${date};${options.host};${hash}`;
  const signature = createHmac("sha256", Buffer.from(options.key ?? KEY, "base64")).update(stringToSign).digest("base64");
  return {
    "x-ms-date": date,
    "x-ms-content-sha256": hash,
    authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${signature}`,
  };
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: any;
}

/** Sends one raw HTTP/1.1 request; `headers` replace the defaults of the same name. */
export function send(
  port: number,
  options: { method?: string; target?: string; headers?: Record<string, string | undefined>; body?: string | Buffer },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(options.headers ?? {})) if (value !== undefined) headers[name] = value;
    const req = httpRequest(
      { host: "127.0.0.1", port, method: options.method ?? "POST", path: options.target ?? TARGET, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

export interface TestServer {
  port: number;
  host: string;
  server: Server;
  /** A correctly signed Connect request with `body` (an object is serialized). */
  connect(body?: unknown, options?: { headers?: Record<string, string | undefined>; target?: string; date?: string }): Promise<Answer>;
  close(): Promise<void>;
}

/** Starts createNodeServer(createConnectHandler(options)) on a free loopback port. */
export async function startServer(
  options: Partial<ConnectHandlerOptions> = {},
  nodeOptions: NodeServerOptions = {},
): Promise<TestServer> {
  const handle = createConnectHandler({
    connect: options.connect ?? ((request) => ({ callConnectionId: randomUUID(), callConnectionState: "connecting", callbackUri: request.callbackUri })),
    auth: options.auth ?? { accessKey: KEY },
    ...options,
  });
  const server = createNodeServer(handle, nodeOptions);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const host = `127.0.0.1:${port}`;
  return {
    port,
    host,
    server,
    connect(body = BODY, extra = {}) {
      const text = typeof body === "string" ? body : JSON.stringify(body);
      const target = extra.target ?? TARGET;
      return send(port, {
        target,
        body: text,
        headers: {
          "content-type": "application/json",
          ...signedHeaders({ host, target, body: text, ...(extra.date ? { date: extra.date } : {}) }),
          ...extra.headers,
        },
      });
    },
    close: () => closeGracefully(server, 1_000),
  };
}

/** Repeatability headers for a new logical request. */
export function repeatability(firstSent = new Date()): Record<string, string> {
  return { "repeatability-request-id": randomUUID(), "repeatability-first-sent": firstSent.toUTCString() };
}

/**
 * Raw header lines of an HMAC credential that passes every check made before the body (scheme,
 * signature form, a current x-ms-date, a content hash) but signs nothing: the server reads the
 * body before it can refuse it.
 */
export function wellFormedCredentialLines(): string {
  const filler = Buffer.alloc(32, 0x2a).toString("base64");
  return (
    `x-ms-date: ${new Date().toUTCString()}\r\nx-ms-content-sha256: ${filler}\r\n` +
    `Authorization: HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${filler}\r\n`
  );
}

/** The package's bin, as npm links it; it runs the build (brought up to date by the integration setup, scripts/test/setup.ts). */
export const CLI_BIN = path.join(import.meta.dirname, "../bin/acs-connect-server.mjs");

export interface Collected {
  child: ChildProcess;
  /** Everything it printed so far, stdout and stderr interleaved. */
  output(): string;
  exited: Promise<number | null>;
}

/** Starts a process with its output collected, and adds it to `started` (which the test file stops in its afterAll). */
export function spawnCollected(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }, started: ChildProcess[]): Collected {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
  started.push(child);
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Waits until the process's output matches; fails with the output when it exits first or `ms` pass. */
export async function outputMatch(running: Collected, pattern: RegExp, what: string, ms = 30_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + ms;
  for (;;) {
    const match = pattern.exec(running.output());
    if (match) return match;
    if (Date.now() > deadline || running.child.exitCode !== null) throw new Error(`${what}:\n${running.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
