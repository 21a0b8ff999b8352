/**
 * A local token issuer for tests: an RS256 key pair made at start, an OpenID configuration and a
 * JWKS served by node:http on 127.0.0.1 (free port), and a signer of callback tokens. It counts
 * JWKS fetches, so tests can bound how often a receiver refetches the keys.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";

export interface TestIssuer {
  /** The OpenID configuration's URL. */
  configurationUrl: string;
  /** The `issuer` the configuration names. */
  issuer: string;
  /** How many times the JWKS was fetched. */
  jwksFetches(): number;
  /** A signed token; `claims` override the defaults (valid for 5 minutes, audience `audience`). */
  sign(options: { audience: string; claims?: Record<string, unknown>; expiresInSec?: number; key?: "published" | "unpublished"; issuer?: string }): Promise<string>;
  close(): Promise<void>;
}

export async function startIssuer(): Promise<TestIssuer> {
  const published = await generateKeyPair("RS256", { extractable: true });
  // Same algorithm, never published: a token signed with it names a kid the JWKS lacks.
  const unpublished = await generateKeyPair("RS256", { extractable: true });
  const jwk: JWK = { ...(await exportJWK(published.publicKey)), kid: "published-key", alg: "RS256", use: "sig" };
  let fetches = 0;
  let origin = "";
  const server = createServer((req, res) => {
    if (req.url === "/calling/.well-known/acsopenidconfiguration") {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ issuer: `${origin}/issuer`, jwks_uri: `${origin}/calling/keys` }));
    } else if (req.url === "/calling/keys") {
      fetches++;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ keys: [jwk] }));
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const keys: Record<"published" | "unpublished", { privateKey: CryptoKey; kid: string }> = {
    published: { privateKey: published.privateKey, kid: "published-key" },
    unpublished: { privateKey: unpublished.privateKey, kid: "unpublished-key" },
  };
  return {
    configurationUrl: `${origin}/calling/.well-known/acsopenidconfiguration`,
    issuer: `${origin}/issuer`,
    jwksFetches: () => fetches,
    async sign({ audience, claims = {}, expiresInSec = 300, key = "published", issuer }) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT(claims)
        .setProtectedHeader({ alg: "RS256", kid: keys[key].kid, typ: "JWT" })
        .setIssuer(issuer ?? `${origin}/issuer`)
        .setAudience(audience)
        .setIssuedAt(now)
        .setExpirationTime(now + expiresInSec)
        .sign(keys[key].privateKey);
    },
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
