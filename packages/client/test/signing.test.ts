import { createHash } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createCallAutomationClient } from "@acs-connect/client";
import { createAccessKeySigner, hashBody, webCrypto } from "../src/auth.ts";
import { nodeCrypto } from "../src/platform.ts";
import { CONNECTED, REQUEST, TEST_KEY, connectionString, json, startServer, verifyHmac, type Handler, type TestServer } from "./helpers/server.ts";

const VECTOR = {
  date: "Thu, 15 May 2025 08:49:37 GMT",
  body: '{"callLocator":{"roomId":"99434917639286209","kind":"roomCallLocator"},"callbackUri":"https://app.example/callback"}',
  contentHash: "Sg0AbMmwmHXZZKLKW9J7W0bJb1ZHYB5osTe13fvAqKM=",
  path: "/calling/callConnections:connect?api-version=2025-05-15",
  https: { origin: "https://contoso.communication.azure.com", signature: "tc0uTEsL0ChhWGmcXfA8B0/mzCAA2kkYa4pA7Ytceq4=" },
  loopback: { origin: "http://127.0.0.1:8443", signature: "a6DK4PANGy/BmWes6i4/7AJPNliLYmLT5RwINh7hsbE=" },
};

const ok: Handler = (_, res) => json(res, 200, CONNECTED);

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("HMAC-SHA256 test vector", () => {
  it("runs on node:crypto here (Web Crypto is the fallback)", () => {
    expect(nodeCrypto).not.toBeNull();
  });

  for (const [backend, node] of [["node:crypto", nodeCrypto!], ["Web Crypto", webCrypto]] as const) {
    for (const target of [VECTOR.https, VECTOR.loopback]) {
      it(`${backend} signs ${target.origin} exactly as the reference`, async () => {
        const sign = createAccessKeySigner(TEST_KEY, "accessKey", () => new Date(VECTOR.date), node);
        const headers = new Headers();
        const body = new TextEncoder().encode(VECTOR.body);
        await sign(headers, "POST", new URL(target.origin + VECTOR.path), await hashBody(body, node));
        expect(headers.get("x-ms-date")).toBe(VECTOR.date);
        expect(headers.get("x-ms-content-sha256")).toBe(VECTOR.contentHash);
        expect(headers.get("authorization")).toBe(`HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${target.signature}`);
      });
    }

    it(`${backend} hashes the empty body as the reference does, and any bytes as node:crypto does`, async () => {
      expect(await hashBody(undefined, node)).toBe("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
      const bytes = new Uint8Array(1000).map((_, i) => (i * 31) & 0xff);
      expect(await hashBody(bytes, node)).toBe(createHash("sha256").update(bytes).digest("base64"));
    });
  }
});

describe("signing real requests", () => {
  it("sends the caller's body bytes in the caller's property order, signed over the wire path with its literal colon", async () => {
    server = await startServer(ok, TEST_KEY);
    const client = createCallAutomationClient({ connectionString: connectionString(server) });
    await client.connect(REQUEST);
    const [received] = server.requests;
    expect(received?.url).toBe(VECTOR.path);
    expect(received?.body.toString("utf8")).toBe(VECTOR.body);
    expect(received?.headers["x-ms-content-sha256"]).toBe(VECTOR.contentHash);
    expect(received?.headers["content-type"]).toBe("application/json");
    expect(received?.signatureProblem).toBeUndefined();
  });

  it("verifies server-side for endpoint + accessKey, a endpoint with a trailing path slash, and localhost", async () => {
    server = await startServer(ok, TEST_KEY);
    const port = new URL(server.url).port;
    for (const endpoint of [server.url, `${server.url}/`, `http://localhost:${port}`]) {
      const client = createCallAutomationClient({ endpoint, accessKey: TEST_KEY });
      await client.connect({ ...REQUEST, operationContext: "ctx ü ✓" });
    }
    expect(server.requests).toHaveLength(3);
    for (const received of server.requests) expect(received.signatureProblem).toBeUndefined();
    expect(server.requests[2]?.headers.host).toBe(`localhost:${port}`);
  });

  it("verifies server-side when the client signs with Web Crypto (no node:crypto, as in a browser)", async () => {
    server = await startServer(ok, TEST_KEY);
    const original = process.getBuiltinModule;
    vi.resetModules();
    Object.assign(process, { getBuiltinModule: undefined });
    try {
      const platform = await import("../src/platform.ts");
      const { createCallAutomationClient: create } = await import("../src/index.ts");
      expect(platform.nodeCrypto).toBeNull();
      await create({ connectionString: connectionString(server) }).connect(REQUEST);
    } finally {
      Object.assign(process, { getBuiltinModule: original });
      vi.resetModules();
    }
    expect(server.requests[0]?.signatureProblem).toBeUndefined();
    expect(server.requests[0]?.headers["x-ms-content-sha256"]).toBe(VECTOR.contentHash);
  });

  it("a wrong key does not verify (the check can fail)", async () => {
    server = await startServer(ok, TEST_KEY);
    const client = createCallAutomationClient({ endpoint: server.url, accessKey: Buffer.alloc(32, 0x22).toString("base64") });
    await client.connect(REQUEST);
    expect(server.requests[0]?.signatureProblem).toBe("signature does not match");
  });

  it("signs the https host without a port, as fetch sends it (captured, not sent)", async () => {
    const captured: Request[] = [];
    const client = createCallAutomationClient({
      connectionString: `endpoint=${VECTOR.https.origin}/;accesskey=${TEST_KEY}`,
      // A capturing fetch: nothing leaves the machine; the bytes are checked like a server would.
      fetch: async (url, init) => {
        captured.push(new Request(url, init));
        return new Response(JSON.stringify(CONNECTED), { headers: { "content-type": "application/json" } });
      },
    });
    await client.connect(REQUEST);
    const request = captured[0]!;
    const url = new URL(request.url);
    const body = Buffer.from(await request.arrayBuffer());
    expect(url.pathname + url.search).toBe(VECTOR.path);
    expect(body.toString()).toBe(VECTOR.body);
    const headers = Object.fromEntries(request.headers);
    expect(verifyHmac({ method: "POST", url: url.pathname + url.search, headers: { ...headers, host: url.host }, body }, TEST_KEY)).toBeUndefined();
    expect(url.host).toBe("contoso.communication.azure.com");
  });

  it("sends x-ms-client-request-id and a User-Agent with the caller's prefix", async () => {
    server = await startServer(ok, TEST_KEY);
    const client = createCallAutomationClient({ connectionString: connectionString(server), userAgent: "my-app/1.2" });
    await client.connect(REQUEST);
    await client.connect(REQUEST);
    const [a, b] = server.requests;
    expect(a?.headers["user-agent"]).toMatch(/^my-app\/1\.2 acs-connect-client\/\d+\.\d+\.\d+/);
    expect(a?.headers["x-ms-client-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(a?.headers["x-ms-client-request-id"]).not.toBe(b?.headers["x-ms-client-request-id"]);
  });
});

describe("bearer tokens", () => {
  it("sends a string token as Authorization: Bearer, with no HMAC headers", async () => {
    server = await startServer(ok);
    const client = createCallAutomationClient({ endpoint: server.url, token: "token-abc" });
    await client.connect(REQUEST);
    expect(server.requests[0]?.headers.authorization).toBe("Bearer token-abc");
    expect(server.requests[0]?.headers["x-ms-content-sha256"]).toBeUndefined();
  });

  it("calls a sync or async token function on every attempt", async () => {
    for (const kind of ["sync", "async"] as const) {
      server = await startServer((_, res, index) => (index === 0 ? json(res, 503, {}) : json(res, 200, CONNECTED)));
      let calls = 0;
      const token = kind === "sync" ? () => `t${++calls}` : async () => `t${++calls}`;
      const client = createCallAutomationClient({ endpoint: server.url, token, retry: { baseDelayMs: 1, maxDelayMs: 5 } });
      await client.connect(REQUEST);
      expect(calls).toBe(2);
      expect(server.requests.map((r) => r.headers.authorization)).toEqual(["Bearer t1", "Bearer t2"]);
      await server.close();
      server = undefined;
    }
  });

  it("a failing token function rejects with its error, unretried", async () => {
    server = await startServer(ok);
    let calls = 0;
    const client = createCallAutomationClient({
      endpoint: server.url,
      token: () => {
        calls++;
        throw new Error("no credentials available");
      },
    });
    await expect(client.connect(REQUEST)).rejects.toThrow("no credentials available");
    expect(calls).toBe(1);
    expect(server.requests).toHaveLength(0);
  });

  it("an empty token from the function fails before sending, naming token", async () => {
    server = await startServer(ok);
    const client = createCallAutomationClient({ endpoint: server.url, token: async () => "" });
    await expect(client.connect(REQUEST)).rejects.toThrow(/^Invalid token \(the value the token function returned\)/);
    expect(server.requests).toHaveLength(0);
  });
});

