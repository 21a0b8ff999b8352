/**
 * Issue 11, client side: each attack a hostile or broken server made on the client, reproduced
 * against real node:http servers on 127.0.0.1. Every test here failed before the fix (the comment
 * above each says what the caller got then), so a change that reopens a hole fails the suite.
 */
import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CallAutomationError, createCallAutomationClient, type CallAutomationClientOptions } from "@acs-connect/client";
import { CONNECTED, REQUEST, TEST_KEY, connectionString, json, serveEachTest, type TestServer } from "./helpers/server.ts";

const serve = serveEachTest();
afterEach(() => {
  vi.restoreAllMocks();
});

const clientOf = (server: TestServer, options: Partial<CallAutomationClientOptions> = {}) =>
  createCallAutomationClient({ connectionString: connectionString(server), retry: { baseDelayMs: 1, maxDelayMs: 5 }, ...options } as CallAutomationClientOptions);

const failure = (promise: Promise<unknown>): Promise<CallAutomationError> =>
  promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error as CallAutomationError,
  );

describe("7. redirects are never followed", () => {
  // Before: a 302 turned the POST into a GET to the other host, and connect resolved with its JSON.
  it("a 302 to another origin rejects with UnexpectedRedirect naming only the origin; nothing reaches that host", async () => {
    const other = await serve((_, res) => json(res, 200, { ...CONNECTED, callConnectionId: "FORGED-BY-OTHER-HOST" }));
    const server = await serve((_, res) => res.writeHead(302, { location: `${other.url}/steal?sig=SECRET-IN-LOCATION` }).end());
    const error = await failure(clientOf(server).connect(REQUEST));
    expect(error).toBeInstanceOf(CallAutomationError);
    expect(error).toMatchObject({ status: 302, code: "UnexpectedRedirect", repeatabilityRequestId: server.requests[0]!.headers["repeatability-request-id"] });
    expect(error.message).toContain(other.url);
    expect(JSON.stringify(error)).not.toContain("SECRET-IN-LOCATION");
    expect(server.requests).toHaveLength(1);
    expect(other.requests).toHaveLength(0);
  });

  it.each([
    ["a relative Location, as the endpoint's own origin", "/elsewhere?sig=SECRET-IN-LOCATION", (s: TestServer) => `redirected to ${s.url};`],
    ["an unparsable Location, not at all", "http://[SECRET-IN-LOCATION/", () => "redirected; redirects are not followed"],
  ])("names %s", async (_, location, expected) => {
    const server = await serve((_, res) => res.writeHead(302, { location }).end());
    const error = await failure(clientOf(server).connect(REQUEST));
    expect(error).toMatchObject({ status: 302, code: "UnexpectedRedirect" });
    expect(error.message).toContain(expected(server));
    expect(JSON.stringify(error)).not.toContain("SECRET-IN-LOCATION");
    expect(server.requests).toHaveLength(1);
  });

  // Before: a 307 to another host failed inside undici and was re-posted four times.
  it.each([301, 303, 307, 308])("a %i is not retried, through connect and client.raw alike", async (status) => {
    const other = await serve((_, res) => json(res, 200, CONNECTED));
    const server = await serve((_, res) => res.writeHead(status, { location: `${other.url}/calling/callConnections:connect` }).end("moved"));
    const client = clientOf(server);
    await expect(client.connect(REQUEST)).rejects.toMatchObject({ status, code: "UnexpectedRedirect" });
    await expect(
      client.raw.POST("/calling/callConnections:connect", { params: { query: { "api-version": "2025-05-15" } }, body: REQUEST }),
    ).rejects.toMatchObject({ status, code: "UnexpectedRedirect" });
    expect(server.requests).toHaveLength(2);
    expect(other.requests).toHaveLength(0);
  });

  // Before: the opaque answer of a browser's manual redirect was read as a failed attempt and retried.
  it("a browser's opaque redirect (status 0) is an UnexpectedRedirect too", async () => {
    const opaque = { status: 0, type: "opaqueredirect", ok: false, headers: new Headers(), body: null } as unknown as Response;
    const fetch = vi.fn(async () => opaque);
    const client = createCallAutomationClient({ endpoint: "https://x.communication.azure.com", accessKey: TEST_KEY, fetch, retry: { baseDelayMs: 1 } });
    await expect(client.connect(REQUEST)).rejects.toMatchObject({ status: 0, code: "UnexpectedRedirect" });
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(fetch.mock.calls[0]).toMatchObject([expect.any(String), { redirect: "manual" }]);
  });

  // Before: whatever a caller's fetch returned was taken, even after it had followed a redirect.
  it("a caller's fetch that followed a redirect anyway is caught by response.redirected", async () => {
    const other = await serve((_, res) => json(res, 200, { ...CONNECTED, callConnectionId: "FORGED-BY-OTHER-HOST" }));
    const following = async (_url: string, init: RequestInit) => {
      const response = await fetch(`${other.url}/`, { ...init, redirect: "follow" });
      return Object.defineProperty(response, "redirected", { value: true });
    };
    const client = createCallAutomationClient({ endpoint: "https://x.communication.azure.com", accessKey: TEST_KEY, fetch: following });
    await expect(client.connect(REQUEST)).rejects.toMatchObject({ status: 200, code: "UnexpectedRedirect" });
  });
});

describe("8. redaction takes linear time", () => {
  // Before: redact() ran 4.7 s over this body with the event loop blocked, so another call's
  // timeoutMs of 1000 fired only after those 4.7 s.
  it('a 96 KB error body of "eyJ" repeated is reported, and a concurrent timeout still fires on time', async () => {
    const TIMEOUT = 1000;
    const hostile = await serve((_, res) => res.writeHead(400, { "content-type": "text/plain" }).end("eyJ".repeat(32 * 1024)));
    const silent = await serve(() => {}); // never answers
    const started = Date.now();
    const timedOut = clientOf(silent, { timeoutMs: TIMEOUT })
      .connect(REQUEST)
      .catch((e: unknown) => ({ error: e, after: Date.now() - started }));
    const error = await failure(clientOf(hostile, { retry: { maxRetries: 0 } }).connect(REQUEST));
    expect(error).toMatchObject({ status: 400, code: "HttpError" });
    expect(error.message).toMatch(/^Connect failed: 400 HttpError: (eyJ)+/);
    const late = (await timedOut) as { error: DOMException; after: number };
    expect(late.error.name).toBe("TimeoutError");
    // Generous: a blocked event loop made it ~5x late; a busy machine costs milliseconds, not seconds.
    expect(late.after).toBeLessThan(3 * TIMEOUT);
  });
});

describe("9. response bodies are bounded", () => {
  const MiB = 1024 * 1024;
  interface Flood {
    /** The handler has stopped writing. */
    finished: boolean;
    /** It wrote all 32 MiB (the client read everything). */
    complete: boolean;
  }
  const newFlood = (): Flood => ({ finished: false, complete: false });
  /** Streams up to 32 MiB in 64 KiB chunks (no Content-Length), honouring back-pressure, until the client hangs up. */
  const flood = (state: Flood) => async (_: unknown, res: ServerResponse) => {
    res.writeHead(200, { "content-type": "application/json" });
    const chunk = Buffer.alloc(64 * 1024, "a");
    for (let i = 0; i < 512 && !res.destroyed; i++) {
      if (res.write(chunk)) continue;
      await new Promise<void>((resolve) => {
        const go = () => (res.off("drain", go).off("close", go), resolve());
        res.on("drain", go).on("close", go);
      });
    }
    state.complete = !res.destroyed;
    state.finished = true;
    res.end();
  };

  // Before: the whole body was buffered (a 600 MB one ended in "Cannot create a string longer than ..."
  // at 1.8 GB RSS); here connect read all 32 MiB and rejected with InvalidResponse.
  it("a streamed body past maxResponseBytes rejects with ResponseTooLarge and is not read to the end", async () => {
    for (const via of ["connect", "raw"] as const) {
      const state = newFlood();
      const server = await serve(flood(state));
      const client = clientOf(server, { maxResponseBytes: MiB });
      const call =
        via === "connect"
          ? client.connect(REQUEST)
          : client.raw.POST("/calling/callConnections:connect", { params: { query: { "api-version": "2025-05-15" } }, body: REQUEST });
      const error = await failure(call);
      expect(error).toMatchObject({ status: 200, code: "ResponseTooLarge" });
      expect(error.message).toContain(`maxResponseBytes (${MiB} bytes)`);
      expect(server.requests).toHaveLength(1);
      // The client hung up: the server never got to send the whole 32 MiB.
      await vi.waitFor(() => expect(state.finished).toBe(true), { timeout: 5000 });
      expect(state.complete).toBe(false);
    }
  });

  it("the default limit is 4 MiB", async () => {
    const server = await serve(flood(newFlood()));
    await expect(clientOf(server).connect(REQUEST)).rejects.toMatchObject({ code: "ResponseTooLarge", message: expect.stringContaining(`(${4 * MiB} bytes)`) });
  });

  // Before: the client waited for the gigabyte to arrive (here: until timeoutMs).
  it("a Content-Length past maxResponseBytes rejects at once, before reading", async () => {
    const server = await serve((_, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": String(1024 * MiB) });
      res.write('{"callConnectionId":"');
    });
    await expect(clientOf(server, { timeoutMs: 5000 }).connect(REQUEST)).rejects.toMatchObject({ status: 200, code: "ResponseTooLarge" });
  });
});

describe("10. nothing secret in JSON.stringify(error)", () => {
  // Before: target, details and innererror were kept as sent, signature and all.
  it("a signature echoed in target, details, innererror and x-ms-request-id is redacted there too", async () => {
    const server = await serve((request, res) => {
      const echo = String(request.headers.authorization);
      json(
        res,
        401,
        {
          error: {
            code: "Unauthorized",
            message: "Denied.",
            target: echo,
            details: [{ code: "BadSignature", message: `got ${echo}`, target: echo }],
            innererror: { code: "Inner", message: "deeper", innererror: { code: "Inmost", message: echo, target: echo } },
          },
        },
        { "x-ms-request-id": echo },
      );
    });
    const error = await failure(clientOf(server).connect(REQUEST));
    const signature = /Signature=(.+)$/.exec(String(server.requests[0]!.headers.authorization))![1]!;
    expect(error).toMatchObject({ status: 401, code: "Unauthorized", details: [{ code: "BadSignature" }], innererror: { innererror: { code: "Inmost" } } });
    for (const rendered of [JSON.stringify(error), String(error), error.stack ?? ""]) {
      expect(rendered).not.toContain(signature);
      expect(rendered).not.toContain(TEST_KEY);
    }
    expect(error.target).toContain("[redacted]");
  });

  // Before: all of it was kept as sent; redacting it all would cost the event loop about a second.
  it("a nearly 4 MiB error body of echoed details and deep nesting keeps a bounded, redacted part of each", async () => {
    const server = await serve((request, res) => {
      const echo = String(request.headers.authorization);
      const details = Array.from({ length: 20_000 }, (_, i) => ({ code: `D${i}`, message: echo }));
      const deep = `${'{"innererror":'.repeat(50_000)}"${echo}"${"}".repeat(50_000)}`;
      const body = JSON.stringify({ error: { code: "Unauthorized", message: "Denied.", details, innererror: "@" } }).replace('"@"', deep);
      res.writeHead(401, { "content-type": "application/json" }).end(body);
    });
    const error = await failure(clientOf(server).connect(REQUEST));
    const signature = /Signature=(.+)$/.exec(String(server.requests[0]!.headers.authorization))![1]!;
    expect(error).toMatchObject({ status: 401, code: "Unauthorized", details: expect.arrayContaining([{ code: "D0", message: expect.stringContaining("[redacted]") }]) });
    expect(error.details!.length).toBeLessThan(20_000);
    expect(JSON.stringify(error)).not.toContain(signature);
  });
});

describe("11. Retry-After as RFC 9110 says", () => {
  // Before: "-1" and "1.5" were read by Date.parse as dates in 2001 (retry at once), and
  // retry-after-ms took "1.5", "1e3" and "0x10" as numbers.
  it.each([
    ["retry-after", "-1"],
    ["retry-after", "1.5"],
    ["retry-after-ms", "1.5"],
    ["retry-after-ms", "1e3"],
    ["x-ms-retry-after-ms", "0x10"],
    ["x-ms-retry-after-ms", "-0"],
  ])("%s: %s is ignored and the back-off applies", async (name, value) => {
    // Back-off = random() x min(maxDelayMs, baseDelayMs): with 0.5, a 30 s wait that would outlast
    // timeoutMs, so the client returns the answer instead of retrying at once.
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    const server = await serve((_, res, index) => (index ? json(res, 200, CONNECTED) : json(res, 503, {}, { [name]: value })));
    const client = clientOf(server, { retry: { baseDelayMs: 60_000, maxDelayMs: 60_000 }, timeoutMs: 10_000 });
    const error = await failure(client.connect(REQUEST));
    expect(error).toMatchObject({ status: 503 });
    expect(error.retryAfterMs).toBeUndefined();
    expect(server.requests).toHaveLength(1);
  });
});

describe("12. connection strings name each key once", () => {
  // Before: the last entry won, so an appended endpoint= sent signed calls to another host.
  it.each([
    ["endpoint", (good: string, evil: string) => `endpoint=${good}/;accesskey=${TEST_KEY};endpoint=${evil}/`],
    ["endpoint", (good: string, evil: string) => `Endpoint=${good}/;accesskey=${TEST_KEY};ENDPOINT=${evil}/`],
    ["accesskey", (good: string) => `endpoint=${good}/;accesskey=${TEST_KEY};AccessKey=${"A".repeat(43)}=`],
  ])("a second %s entry is a TypeError naming the key, not its value", async (key, build) => {
    const good = await serve((_, res) => json(res, 200, CONNECTED));
    const evil = await serve((_, res) => json(res, 200, { ...CONNECTED, callConnectionId: "FORGED" }));
    const create = () => createCallAutomationClient({ connectionString: build(good.url, evil.url) });
    expect(create).toThrow(TypeError);
    expect(create).toThrow(`Invalid connectionString: ${key} is given more than once`);
    try {
      create();
    } catch (error) {
      expect(String(error)).not.toContain(evil.url);
      expect(String(error)).not.toContain("A".repeat(43));
    }
  });
});
