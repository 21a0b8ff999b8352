/**
 * End to end: a DefaultAzureCredential-style credential (a class with getToken, as @azure/identity
 * has) against @acs-connect/server's bearer verifier, on 127.0.0.1 and a free port.
 */
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { createConnectHandler, createNodeServer, mockConnect } from "@acs-connect/server";
import { createCallAutomationClient, type AccessToken, type GetTokenOptions, type TokenCredential } from "@acs-connect/client";
import { REQUEST } from "./helpers/server.ts";

/** Stands in for an identity provider: issues tokens and knows which ones are still valid. */
class Issuer {
  readonly valid = new Map<string, number>();
  issued = 0;
  issue(lifetimeMs: number): AccessToken {
    const token = `eyJ.issued-${++this.issued}.sig`;
    const expiresOnTimestamp = Date.now() + lifetimeMs;
    this.valid.set(token, expiresOnTimestamp);
    return { token, expiresOnTimestamp };
  }
  verify = (token: string) => (this.valid.get(token) ?? 0) > Date.now() && { principal: "app-1" };
}

/** Shaped like @azure/identity's DefaultAzureCredential: a class whose getToken takes scopes and options. */
class FakeDefaultAzureCredential implements TokenCredential {
  readonly scopes: Array<string | string[]> = [];
  constructor(
    private readonly issuer: Issuer,
    private readonly lifetimeMs: number,
  ) {}
  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    options?.abortSignal?.throwIfAborted();
    this.scopes.push(scopes);
    return this.issuer.issue(this.lifetimeMs);
  }
}

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

async function serve(issuer: Issuer): Promise<string> {
  server = createNodeServer(createConnectHandler({ connect: mockConnect, auth: { verifyToken: (token) => issuer.verify(token) } }));
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("a TokenCredential against the server's bearer verifier", () => {
  it("connects, with one token for many calls, connect and client.raw alike", async () => {
    const issuer = new Issuer();
    const endpoint = await serve(issuer);
    const credential = new FakeDefaultAzureCredential(issuer, 60 * 60_000);
    const client = createCallAutomationClient({ endpoint, credential });
    const call = await client.connect(REQUEST);
    expect(call.callConnectionState).toBe("connecting");
    await client.connect(REQUEST);
    const { data, response } = await client.raw.POST("/calling/callConnections:connect", { body: REQUEST });
    expect(response.status).toBe(200);
    expect(data?.callConnectionId).toBeTypeOf("string");
    expect(credential.scopes).toEqual(["https://communication.azure.com//.default"]);
  });

  it("gets a new token before the old one expires, and the server accepts it", async () => {
    const issuer = new Issuer();
    const endpoint = await serve(issuer);
    // 100 s tokens are inside the 2-minute margin: each call renews first instead of sending a token about to expire.
    const credential = new FakeDefaultAzureCredential(issuer, 100_000);
    const client = createCallAutomationClient({ endpoint, credential });
    await client.connect(REQUEST);
    issuer.valid.clear(); // the first token is revoked (or expired)
    await expect(client.connect(REQUEST)).resolves.toMatchObject({ callConnectionState: "connecting" });
    expect(issuer.issued).toBe(2);
  });

  it("renews a token the server refuses before its expiry (WWW-Authenticate: Bearer error=\"invalid_token\") once, and goes on", async () => {
    const issuer = new Issuer();
    const endpoint = await serve(issuer);
    const client = createCallAutomationClient({ endpoint, credential: new FakeDefaultAzureCredential(issuer, 60 * 60_000), retry: { maxRetries: 0 } });
    await client.connect(REQUEST);
    issuer.valid.clear(); // revoked: the client's cache still holds it as valid for an hour
    await expect(client.connect(REQUEST)).resolves.toMatchObject({ callConnectionState: "connecting" });
    expect(issuer.issued).toBe(2);
  });

  it("surfaces the server's 401 when the renewed token is refused too, after one renewal", async () => {
    const issuer = new Issuer();
    const endpoint = await serve(issuer);
    const client = createCallAutomationClient({ endpoint, credential: new FakeDefaultAzureCredential(issuer, 60 * 60_000), retry: { maxRetries: 0 } });
    await client.connect(REQUEST);
    issuer.verify = () => false; // every token refused from now on
    await expect(client.connect(REQUEST)).rejects.toMatchObject({ status: 401, code: "Unauthorized", target: "Authorization" });
    expect(issuer.issued).toBe(2);
  });
});
