/**
 * A real node:http server on 127.0.0.1 (free port) for behaviour tests: it records every request
 * and checks HMAC signatures with node:crypto, independently of the client's Web Crypto code.
 */
import { createHash, createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { CallConnectionProperties } from "@acs-connect/types";
import { afterEach } from "vitest";

/** The test key of the reference test vector: 32 bytes of 0x11. */
export const TEST_KEY = "ERERERERERERERERERERERERERERERERERERERERERE=";

/** A request as the server received it. */
export interface Received {
  method: string;
  /** Path and query exactly as they came on the wire. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Date.now() when the request had fully arrived. */
  at: number;
  /** Why the HMAC signature does not verify, or undefined when it does (access-key servers only). */
  signatureProblem?: string;
}

/** What a handler does with a request: answer it, or do something nasty to the socket. */
export type Handler = (request: Received, res: ServerResponse, index: number) => unknown;

/** A running test server. */
export interface TestServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  requests: Received[];
  close(): Promise<void>;
}

const header = (headers: IncomingHttpHeaders, name: string): string => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(",") : (value ?? "");
};

/** Verifies an ACS HMAC-SHA256 signature the way the service does; returns the problem or undefined. */
export function verifyHmac(request: Pick<Received, "method" | "url" | "headers" | "body">, accessKey: string): string | undefined {
  const { headers } = request;
  const hash = createHash("sha256").update(request.body).digest("base64");
  if (header(headers, "x-ms-content-sha256") !== hash) return "x-ms-content-sha256 does not match the body";
  const date = header(headers, "x-ms-date");
  if (Number.isNaN(Date.parse(date))) return "x-ms-date missing or invalid";
  const match = /^HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=(.+)$/.exec(header(headers, "authorization"));
  if (!match) return "authorization is not HMAC-SHA256";
  const toSign = `${request.method}\n${request.url}\n${date};${header(headers, "host")};${hash}`;
  const expected = createHmac("sha256", Buffer.from(accessKey, "base64")).update(toSign, "utf8").digest("base64");
  return match[1] === expected ? undefined : "signature does not match";
}

/** Starts a server; `accessKey` enables signature checking (recorded, not enforced, unless the handler does). */
export async function startServer(handler: Handler, accessKey?: string): Promise<TestServer> {
  const requests: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const received: Received = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks), at: Date.now() };
      if (accessKey) received.signatureProblem = verifyHmac(received, accessKey);
      const index = requests.push(received) - 1;
      Promise.resolve(handler(received, res, index)).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(String(error));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Sends a JSON answer. */
/**
 * For a test file: a `serve(handler)` that starts a server with {@link TEST_KEY}, and closes
 * every server it started after each test.
 */
export function serveEachTest(): (handler: Handler) => Promise<TestServer> {
  const servers: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });
  return async (handler) => {
    const server = await startServer(handler, TEST_KEY);
    servers.push(server);
    return server;
  };
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers }).end(text);
}

/** The official example response of Connect. */
export const CONNECTED: CallConnectionProperties = {
  callConnectionId: "18dea47f-b081-4107-9a5c-4300819d2c6c",
  serverCallId: "aHR0cHM6Ly9jb252ZXJzYXRpb251cmwvdGVzdA",
  targets: [],
  callConnectionState: "connecting",
  callbackUri: "https://contoso.communications.azure.com/callback",
  mediaStreamingSubscription: { id: "23dea47f-b081-4107-9a5c-4300819d2caa", state: "active", subscribedContentTypes: ["audio"] },
  transcriptionSubscription: { id: "45dea47f-b081-4107-9a5c-4300819d2caa", state: "active", subscribedResultTypes: ["final"] },
  answeredFor: { value: "+11234567890" },
};

/** A minimal valid Connect request (the test vector's body, in the same property order). */
export const REQUEST = {
  callLocator: { roomId: "99434917639286209", kind: "roomCallLocator" },
  callbackUri: "https://app.example/callback",
} as const;

/** A connection string for a test server. */
export const connectionString = (server: TestServer): string => `endpoint=${server.url}/;accesskey=${TEST_KEY}`;
