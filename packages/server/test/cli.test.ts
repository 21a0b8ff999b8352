/**
 * The acs-connect-server CLI as a process: it prints its URL and a connection string that
 * clients (our signer and the official Azure SDK) can use, loads handler modules, refuses bad
 * arguments, and shuts down on SIGTERM after finishing requests in flight.
 */
import type { ChildProcess } from "node:child_process";
import path from "node:path";
import { CallAutomationClient, type CallAutomationClientOptions } from "@azure/communication-call-automation";
import { CallAutomationError, createCallAutomationClient } from "@acs-connect/client";
import { audioFormatValues } from "@acs-connect/types";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BODY, CLI_BIN, TARGET, outputMatch, send, signedHeaders, spawnCollected, type Collected } from "./helpers.ts";

const here = import.meta.dirname;
const ROOT = path.resolve(here, "../../..");
const children: ChildProcess[] = [];
/** Servers shared by the tests of the file (each start costs a Node start). */
const shared: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});
afterAll(() => {
  for (const child of shared.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

/** Starts a server for the whole file, stopped after all its tests. */
async function startShared(args: string[] = []): Promise<Started> {
  const server = await start(args);
  children.splice(children.indexOf(server.child), 1);
  shared.push(server.child);
  return server;
}

// The built-in mock, and the echo handler: tests that only send requests share them.
let mock: Started;
let echo: Started;
beforeAll(async () => {
  [mock, echo] = await Promise.all([startShared(), startShared(["--handler", "fixtures/echo-handler.mjs"])]);
}, 60_000);

interface Started extends Collected {
  url: string;
  port: number;
  host: string;
  accessKey: string;
}

function run(args: string[], env: Record<string, string> = {}): Collected {
  // node itself running the bin: one process, so killing it cannot orphan the server.
  return spawnCollected(process.execPath, [CLI_BIN, ...args], { cwd: here, env: { ...process.env, ...env } }, children);
}

/** Starts the CLI; `key` is the access key it was given (and does not print), if any. */
async function start(args: string[] = [], env: Record<string, string> = {}, key?: string): Promise<Started> {
  const running = run(["--port", "0", ...args], env);
  const match = await outputMatch(running, /connection string: endpoint=(http:\/\/127\.0\.0\.1:(\d+))\/;accesskey=(\S+)/, "server did not start", 20_000);
  const port = Number(match[2]);
  return { ...running, url: match[1]!, port, host: `127.0.0.1:${port}`, accessKey: key ?? match[3]! };
}

function post(server: Started, body: unknown) {
  const text = JSON.stringify(body);
  return send(server.port, {
    target: TARGET,
    body: text,
    headers: { "content-type": "application/json", ...signedHeaders({ host: server.host, body: text, key: server.accessKey }) },
  });
}

describe("acs-connect-server", () => {
  it("prints its URL and a working connection string, and serves the mock", async () => {
    const server = mock;
    expect(server.output()).toContain("acs-connect-server: serving Connect (api-version 2025-05-15) with the built-in mock");
    expect(server.output()).toContain(`  url:               ${server.url}`);
    expect(Buffer.from(server.accessKey, "base64")).toHaveLength(32);
    const answer = await post(server, BODY);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json).toMatchObject({ callConnectionState: "connecting", callbackUri: BODY.callbackUri });
    // The request log line names the request, never its credentials.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.output()).toMatch(/POST \/calling\/callConnections:connect 200 [\d.]+ ms [0-9a-f-]{36}/);
    expect(server.output().split(server.accessKey)).toHaveLength(2);
  });

  it("takes the key from --access-key or ACS_CONNECT_ACCESS_KEY", async () => {
    const key = Buffer.alloc(32, 7).toString("base64");
    const fromEnv = await start([], { ACS_CONNECT_ACCESS_KEY: key }, key);
    expect((await post(fromEnv, BODY)).status).toBe(200);
    const flagKey = Buffer.alloc(32, 8).toString("base64");
    const fromFlag = await start(["--access-key", flagKey], { ACS_CONNECT_ACCESS_KEY: key }, flagKey);
    expect((await post(fromFlag, BODY)).status).toBe(200);
    // The environment's key lost to the flag's: requests signed with it are refused.
    expect((await post({ ...fromFlag, accessKey: key }, BODY)).status).toBe(401);
  });

  describe("with a --handler module", () => {
    // One server: the SIGTERM test, last, stops it.
    let slow: Started;
    beforeAll(async () => {
      slow = await startShared(["--handler", "fixtures/slow-handler.mjs"]);
    }, 60_000);

    it("serves a --handler module", async () => {
      const server = slow;
      expect(server.output()).toContain("with fixtures/slow-handler.mjs");
      const answer = await post(server, { ...BODY, operationContext: "0" });
      expect(answer.json).toEqual({ callConnectionId: "slow-0", callConnectionState: "connected", callbackUri: BODY.callbackUri });
    });

    it("finishes requests in flight on SIGTERM, then exits 0", async () => {
      const server = slow;
      const inFlight = post(server, { ...BODY, operationContext: "700" });
      await new Promise((resolve) => setTimeout(resolve, 200));
      server.child.kill("SIGTERM");
      const answer = await inFlight;
      expect(answer.status).toBe(200);
      expect(answer.json.callConnectionId).toBe("slow-700");
      expect(await server.exited).toBe(0);
      expect(server.output()).toContain("acs-connect-server: SIGTERM received, finishing 1 request(s) in flight");
      expect(server.output()).toContain("acs-connect-server: stopped");
    });
  });

  it("refuses bad arguments with exit code 2, naming them", async () => {
    const cases: Array<[string[], string]> = [
      [["--port", "70000"], '--port must be a whole number from 0 to 65535, got "70000"'],
      [["--access-key", "not base64!"], "--access-key must be a non-empty base64 string"],
      [["--handler", "fixtures/no-handler.mjs"], "--handler fixtures/no-handler.mjs exports no connect handler"],
      [["--handler", "fixtures/missing.mjs"], "--handler fixtures/missing.mjs could not be loaded"],
      [["--colour"], "Unknown option '--colour'"],
      [["--redis", "http://127.0.0.1:6379"], "--redis must be a redis:// or rediss:// URL, got http:"],
      [["--redis", "not a url"], '--redis must be a URL such as redis://127.0.0.1:6379, got "not a url"'],
      [["--redis-lease-ms", "2000"], "--redis-lease-ms needs --redis"],
      [["--redis", "redis://127.0.0.1:1", "--redis-lease-ms", "soon"], '--redis-lease-ms must be a whole number of at least 100, got "soon"'],
    ];
    for (const [args, message] of cases) {
      const process = run(args);
      expect(await process.exited, process.output()).toBe(2);
      expect(process.output()).toContain(message);
      expect(process.output()).toContain("Run acs-connect-server --help for the options.");
      expect(process.output()).not.toContain("Usage: acs-connect-server [options]");
    }
  });

  it("exits 1 with a clear message when the port is taken", async () => {
    const first = mock;
    const second = run(["--port", String(first.port)]);
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(`acs-connect-server: port ${first.port} on 127.0.0.1 is in use; choose another with --port`);
  });
});

// The SDK reads apiVersion from its options although its typings do not list it.
type SdkOptions = CallAutomationClientOptions & { apiVersion: string };

describe("the official Azure SDK", () => {
  it("connects through acs-connect-server with its own signing and repeatability", async () => {
    const server = echo;
    const client = new CallAutomationClient(`endpoint=${server.url}/;accesskey=${server.accessKey}`, {
      apiVersion: "2025-05-15",
      allowInsecureConnection: true,
    } as SdkOptions);
    const result = await client.connectCall({ kind: "roomCallLocator", id: "99434917639286209" }, "https://app.example/callback", {
      operationContext: "sdk",
      mediaStreamingOptions: {
        transportType: "websocket",
        transportUrl: "wss://app.example/media",
        contentType: "audio",
        audioChannelType: "unmixed",
        startMediaStreaming: true,
        audioFormat: "pcm24KMono",
      },
    });
    const properties = result.callConnectionProperties as unknown as Record<string, string>;
    expect(properties).toMatchObject({ callConnectionId: "echo", callConnectionState: "connecting", callbackUri: "https://app.example/callback" });
    // The SDK signed the request, sent a repeatability pair, and its body passed validation.
    expect(properties.correlationId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(JSON.parse(properties.serverCallId!)).toMatchObject({
      locator: { kind: "roomCallLocator", roomId: "99434917639286209" },
      media: { transportType: "websocket", audioFormat: "pcm24KMono", startMediaStreaming: true },
      firstSent: expect.stringMatching(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/),
    });
  });

  it("gets the mock's subscriptions back", async () => {
    const server = mock;
    const client = new CallAutomationClient(`endpoint=${server.url}/;accesskey=${server.accessKey}`, {
      apiVersion: "2025-05-15",
      allowInsecureConnection: true,
    } as SdkOptions);
    const result = await client.connectCall({ kind: "groupCallLocator", id: "group-1" }, "https://app.example/callback", {
      transcriptionOptions: { transportType: "websocket", transportUrl: "wss://app.example/t", locale: "en-US", startTranscription: false },
    });
    // (The SDK renames some subscription fields in its own model, so only the shared ones are compared.)
    expect(result.callConnectionProperties.transcriptionSubscription).toMatchObject({ state: "inactive", locale: "en-US" });
    expect(result.callConnectionProperties.mediaStreamingSubscription).toBeUndefined();
  });

  it("gets the server's errors as RestErrors with the service's code", async () => {
    const server = mock;
    const wrongKey = Buffer.alloc(32, 9).toString("base64");
    const client = new CallAutomationClient(`endpoint=${server.url}/;accesskey=${wrongKey}`, {
      apiVersion: "2025-05-15",
      allowInsecureConnection: true,
      retryOptions: { maxRetries: 0 },
    } as SdkOptions);
    const error = await client.connectCall({ kind: "roomCallLocator", id: "1" }, "https://app.example/callback").catch((caught: unknown) => caught);
    expect(error).toMatchObject({ statusCode: 401, code: "Unauthorized", message: "The request signature is invalid." });
  });
});

describe("@acs-connect/client", () => {
  it("connects through acs-connect-server, and a repeat with the same pair gets the same connection", async () => {
    const server = echo;
    const client = createCallAutomationClient({ connectionString: `endpoint=${server.url}/;accesskey=${server.accessKey}` });
    const request = {
      callLocator: { kind: "roomCallLocator", roomId: "99434917639286209" },
      callbackUri: "https://app.example/callback",
      transcriptionOptions: { transportType: "websocket", locale: "en-US", startTranscription: true },
    } as const;
    const pair = { repeatabilityRequestId: "5f4c1fd5-6f5e-4d5a-9b3a-6b8e2a7f6c10", repeatabilityFirstSent: new Date() };
    const first = await client.connect(request, pair);
    const again = await client.connect(request, pair);
    expect(first.correlationId).toBe(pair.repeatabilityRequestId);
    expect(again).toEqual(first);
  });

  it("gets the server's validation errors as CallAutomationError naming the field", async () => {
    const server = mock;
    const client = createCallAutomationClient({ connectionString: `endpoint=${server.url}/;accesskey=${server.accessKey}` });
    const error = await client
      .connect({
        callLocator: { kind: "roomCallLocator", roomId: "1" },
        callbackUri: "https://app.example/callback",
        mediaStreamingOptions: { transportType: "websocket", audioChannelType: "mixed", audioFormat: "pcm8KMono" },
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CallAutomationError);
    expect(error).toMatchObject({ status: 400, code: "InvalidRequestBody", target: "$.mediaStreamingOptions.audioFormat", repeatabilityResult: "rejected" });
    expect((error as CallAutomationError).message).toBe(
      `Connect failed: 400 InvalidRequestBody: The request body does not match ConnectRequest: $.mediaStreamingOptions.audioFormat must be one of: ${audioFormatValues.join(", ")}. (target: $.mediaStreamingOptions.audioFormat)`,
    );
  });
});
