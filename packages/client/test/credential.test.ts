/**
 * `credential`: any object with getToken(scopes, options) (the TokenCredential of @azure/core-auth),
 * against the recording test server. Every credential here counts its getToken calls.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { createCallAutomationClient, type AccessToken, type GetTokenOptions, type TokenCredential } from "@acs-connect/client";
import { CONNECTED, REQUEST, json, startServer, type Handler, type TestServer } from "./helpers/server.ts";

const SCOPE = "https://communication.azure.com//.default";
const MINUTE = 60_000;

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A credential handing out token-1, token-2, …, each valid for `lifetimeMs`; records every call. */
function counting(lifetimeMs = 60 * MINUTE, extra: (n: number) => Partial<AccessToken> = () => ({})) {
  const calls: Array<{ scopes: string | string[]; options: GetTokenOptions | undefined }> = [];
  const credential: TokenCredential = {
    async getToken(scopes, options) {
      calls.push({ scopes, options });
      return { token: `token-${calls.length}`, expiresOnTimestamp: Date.now() + lifetimeMs, ...extra(calls.length) };
    },
  };
  return { credential, calls };
}

const bearer = (request: { headers: { authorization?: string } }) => request.headers.authorization;
const ok: Handler = (_, res) => json(res, 200, CONNECTED);

async function clientFor(credential: TokenCredential, handler: Handler = ok, retry = { maxRetries: 0 }) {
  server = await startServer(handler);
  return createCallAutomationClient({ endpoint: server.url, credential, retry });
}

describe("token cache", () => {
  it("asks once for the Communication Services scope and reuses the token while it is fresh", async () => {
    const { credential, calls } = counting();
    const client = await clientFor(credential);
    await client.connect(REQUEST);
    await client.connect(REQUEST);
    await client.raw.POST("/calling/callConnections:connect", { body: REQUEST });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.scopes).toBe(SCOPE);
    expect(server!.requests.map(bearer)).toEqual(["Bearer token-1", "Bearer token-1", "Bearer token-1"]);
  });

  it("gets a new token when the cached one is within 2 minutes of expiry", async () => {
    // 119 s left: already inside the renewal margin, so every call asks again.
    const { credential, calls } = counting(2 * MINUTE - 1000);
    const client = await clientFor(credential);
    await client.connect(REQUEST);
    await client.connect(REQUEST);
    expect(calls).toHaveLength(2);
    expect(server!.requests.map(bearer)).toEqual(["Bearer token-1", "Bearer token-2"]);
  });

  it("keeps a token longer than 2 minutes from expiry", async () => {
    const { credential, calls } = counting(2 * MINUTE + 30_000);
    const client = await clientFor(credential);
    await client.connect(REQUEST);
    await client.connect(REQUEST);
    expect(calls).toHaveLength(1);
  });

  it("follows refreshAfterTimestamp when the issuer gives one", async () => {
    const { credential, calls } = counting(60 * MINUTE, () => ({ refreshAfterTimestamp: Date.now() - 1 }));
    const client = await clientFor(credential);
    await client.connect(REQUEST);
    await client.connect(REQUEST);
    expect(calls).toHaveLength(2);
  });

  it("keeps using a still-valid token when an early refresh fails", async () => {
    let n = 0;
    const credential: TokenCredential = {
      async getToken() {
        if (++n > 1) throw new Error("identity endpoint unavailable");
        return { token: "token-1", expiresOnTimestamp: Date.now() + 60 * MINUTE, refreshAfterTimestamp: Date.now() - 1 };
      },
    };
    const client = await clientFor(credential);
    await client.connect(REQUEST);
    await client.connect(REQUEST);
    expect(n).toBe(2);
    expect(server!.requests.map(bearer)).toEqual(["Bearer token-1", "Bearer token-1"]);
  });

  it("shares one getToken between concurrent calls", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { credential: inner, calls } = counting();
    const credential: TokenCredential = { getToken: async (scopes, options) => (await gate, inner.getToken(scopes, options)) };
    const client = await clientFor(credential);
    const all = Promise.all([1, 2, 3, 4, 5].map(() => client.connect(REQUEST)));
    release();
    await all;
    expect(calls).toHaveLength(1);
    expect(new Set(server!.requests.map(bearer))).toEqual(new Set(["Bearer token-1"]));
  });
});

describe("a 401 that says the token expired", () => {
  const expiredOnce =
    (headers: Record<string, string>, body: unknown): Handler =>
    (request, res) =>
      bearer(request) === "Bearer token-1" ? json(res, 401, body, headers) : json(res, 200, CONNECTED);

  it.each([
    ["WWW-Authenticate error=\"invalid_token\"", { "www-authenticate": 'Bearer error="invalid_token", error_description="The token expired"' }, { error: { code: "Unauthorized", message: "no" } }],
    ["code InvalidAuthenticationToken", {}, { error: { code: "InvalidAuthenticationToken", message: "The access token is invalid." } }],
    ["code TokenExpired", {}, { error: { code: "TokenExpired", message: "The token has expired." } }],
  ])("renews the token once and repeats the request (%s)", async (_, headers, body) => {
    const { credential, calls } = counting();
    // maxRetries 0: the renewal is not a retry.
    const client = await clientFor(credential, expiredOnce(headers, body));
    await expect(client.connect(REQUEST)).resolves.toEqual(CONNECTED);
    expect(calls).toHaveLength(2);
    const [first, second] = server!.requests;
    expect([bearer(first!), bearer(second!)]).toEqual(["Bearer token-1", "Bearer token-2"]);
    // The same logical request: the same repeatability pair and body.
    expect(second!.headers["repeatability-request-id"]).toBe(first!.headers["repeatability-request-id"]);
    expect(second!.body).toEqual(first!.body);
  });

  it("renews at most once per call: a second 401 is the answer", async () => {
    const { credential, calls } = counting();
    const client = await clientFor(credential, (_, res) => json(res, 401, { error: { code: "InvalidAuthenticationToken", message: "no" } }));
    await expect(client.connect(REQUEST)).rejects.toMatchObject({ status: 401, code: "InvalidAuthenticationToken" });
    expect(calls).toHaveLength(2);
    expect(server!.requests).toHaveLength(2);
  });

  it("does not renew on a 401 that does not say so", async () => {
    const { credential, calls } = counting();
    const client = await clientFor(credential, (_, res) => json(res, 401, { error: { code: "Unauthorized", message: "The bearer token was not accepted." } }, { "www-authenticate": "Bearer" }));
    await expect(client.connect(REQUEST)).rejects.toMatchObject({ status: 401, code: "Unauthorized" });
    expect(calls).toHaveLength(1);
    expect(server!.requests).toHaveLength(1);
  });

  it("concurrent calls refused with the same token share one renewal", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { credential, calls } = counting();
    const client = await clientFor(credential, async (request, res) => {
      if (bearer(request) !== "Bearer token-1") return json(res, 200, CONNECTED);
      await gate;
      json(res, 401, {}, { "www-authenticate": 'Bearer error="invalid_token"' });
    });
    const all = Promise.all([1, 2, 3].map(() => client.connect(REQUEST)));
    // Bounded: at most 2 s for the three requests to arrive.
    for (let i = 0; i < 400 && server!.requests.length < 3; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(server!.requests).toHaveLength(3);
    release();
    await all;
    expect(calls).toHaveLength(2);
    expect(server!.requests.slice(3).map(bearer)).toEqual(["Bearer token-2", "Bearer token-2", "Bearer token-2"]);
  });
});

describe("failures and cancellation", () => {
  it("rejects with getToken's error and sends nothing", async () => {
    const failure = new Error("ManagedIdentityCredential: no identity endpoint");
    const client = await clientFor({ getToken: async () => Promise.reject(failure) });
    await expect(client.connect(REQUEST)).rejects.toBe(failure);
    expect(server!.requests).toHaveLength(0);
  });

  it("asks again after a failed getToken", async () => {
    let n = 0;
    const client = await clientFor({
      getToken: async () => {
        if (++n === 1) throw new Error("transient");
        return { token: "token-2", expiresOnTimestamp: Date.now() + 60 * MINUTE };
      },
    });
    await expect(client.connect(REQUEST)).rejects.toThrow("transient");
    await client.connect(REQUEST);
    expect(server!.requests.map(bearer)).toEqual(["Bearer token-2"]);
  });

  it.each([
    ["null", null],
    ["no expiresOnTimestamp", { token: "t" }],
    ["a token with a line break", { token: "a\nb", expiresOnTimestamp: Date.now() + MINUTE * 60 }],
  ])("refuses getToken resolving to %s, naming the credential", async (_, value) => {
    const client = await clientFor({ getToken: async () => value as AccessToken });
    await expect(client.connect(REQUEST)).rejects.toThrow(/^Invalid credential/);
    expect(server!.requests).toHaveLength(0);
  });

  it("passes the call's abort signal to getToken, and aborting rejects a pending getToken", async () => {
    const seen: Array<AbortSignal | undefined> = [];
    const client = await clientFor({ getToken: (_, options) => (seen.push(options?.abortSignal), new Promise<never>(() => {})) });
    const controller = new AbortController();
    const call = client.connect(REQUEST, { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort(new Error("user cancelled"));
    await expect(call).rejects.toThrow("user cancelled");
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBe(controller.signal);
    expect(server!.requests).toHaveLength(0);
  });

  it("a call whose abort ended a shared getToken does not fail the others", async () => {
    let n = 0;
    const credential: TokenCredential = {
      getToken: (_, options) =>
        ++n === 1
          ? new Promise((_, reject) => options?.abortSignal?.addEventListener("abort", () => reject(options.abortSignal!.reason)))
          : Promise.resolve({ token: "token-2", expiresOnTimestamp: Date.now() + 60 * MINUTE }),
    };
    const client = await clientFor(credential);
    const controller = new AbortController();
    const first = client.connect(REQUEST, { signal: controller.signal });
    const second = client.connect(REQUEST);
    // Once the first call's getToken is under way (the signer loads on the first call).
    await vi.waitFor(() => expect(n).toBe(1));
    controller.abort(new Error("first cancelled"));
    await expect(first).rejects.toThrow("first cancelled");
    await expect(second).resolves.toEqual(CONNECTED);
    expect(server!.requests.map(bearer)).toEqual(["Bearer token-2"]);
  });

  it("refuses a credential without getToken, naming the option", () => {
    expect(() => createCallAutomationClient({ endpoint: "https://x.communication.azure.com", credential: {} as TokenCredential })).toThrow(/^Invalid credential: expected a TokenCredential/);
    expect(() =>
      createCallAutomationClient({ endpoint: "https://x.communication.azure.com", credential: counting().credential, token: "t" } as never),
    ).toThrow(/^Invalid options: give endpoint with exactly one of accessKey, token or credential/);
  });

  it("never sends the token over plain http to a non-loopback host", () => {
    expect(() => createCallAutomationClient({ endpoint: "http://example.com", credential: counting().credential })).toThrow(/Refusing to send a bearer token over plain http/);
  });
});
