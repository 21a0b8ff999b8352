/**
 * Verifying a callback's bearer JWT with `jose`: OpenID Connect discovery (the configuration
 * names the issuer and `jwks_uri`), the signing keys fetched from `jwks_uri` and cached, and
 * refetched when a token names a key id the cache lacks, at most once per cooldown, so a flood
 * of tokens with made-up key ids cannot make the receiver hammer the key endpoint.
 */
import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTPayload } from "jose";
import { CallbackError } from "./errors.ts";

/** The OpenID configuration of Azure Communication Services Call Automation callbacks. */
export const ACS_OPENID_CONFIGURATION_URL = "https://acscallautomation.communication.azure.com/calling/.well-known/acsopenidconfiguration";

/** What the verifier needs; see `CallbackHandlerOptions`. */
export interface VerifierOptions {
  audience: string | readonly string[];
  issuer?: string;
  openIdConfigurationUrl?: string;
  clockToleranceSec?: number;
  jwksCooldownMs?: number;
  fetch?: typeof globalThis.fetch;
}

interface Keys {
  issuer: string;
  jwks: ReturnType<typeof createRemoteJWKSet>;
}

/** A function that verifies an `Authorization` header value and returns the token's claims, or throws a 401/503 {@link CallbackError}. */
export function createVerifier(options: VerifierOptions): (authorization: string | null) => Promise<JWTPayload> {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const configurationUrl = options.openIdConfigurationUrl ?? ACS_OPENID_CONFIGURATION_URL;
  let keys: Promise<Keys> | undefined;

  const discover = async (): Promise<Keys> => {
    const response = await fetchImpl(configurationUrl, { headers: { accept: "application/json" }, redirect: "error" });
    if (!response.ok) throw new Error(`the OpenID configuration answered ${response.status}`);
    const configuration = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
    if (typeof configuration.jwks_uri !== "string") throw new Error("the OpenID configuration has no jwks_uri");
    const issuer = options.issuer ?? (typeof configuration.issuer === "string" ? configuration.issuer : undefined);
    if (issuer === undefined) throw new Error("the OpenID configuration has no issuer and none was given");
    const jwks = createRemoteJWKSet(new URL(configuration.jwks_uri, configurationUrl), {
      cooldownDuration: options.jwksCooldownMs ?? 30_000,
      [customFetch]: (url, init) => fetchImpl(url, init),
    });
    return { issuer, jwks };
  };

  return async (authorization) => {
    const match = /^Bearer +([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*)$/i.exec(authorization?.trim() ?? "");
    if (!match) {
      throw new CallbackError(401, "Unauthorized", authorization ? "The Authorization header is not a bearer JWT." : "The callback has no Authorization header with a bearer JWT.", "Authorization");
    }
    // A failed discovery is not cached: the next callback tries again.
    const pending = (keys ??= discover());
    let resolved: Keys;
    try {
      resolved = await pending;
    } catch (error) {
      if (keys === pending) keys = undefined;
      throw new CallbackError(503, "ServiceUnavailable", `The callback's signing keys are unavailable: ${error instanceof Error ? error.message : String(error)}.`, "Authorization");
    }
    try {
      const { payload } = await jwtVerify(match[1]!, resolved.jwks, {
        issuer: resolved.issuer,
        audience: typeof options.audience === "string" ? options.audience : [...options.audience],
        algorithms: ["RS256"],
        clockTolerance: options.clockToleranceSec ?? 60,
        requiredClaims: ["exp"],
      });
      return payload;
    } catch (error) {
      throw new CallbackError(401, "Unauthorized", reason(error), "Authorization");
    }
  };
}

/** Why a token was refused, without echoing the token or its claims' values beyond the claim's name. */
function reason(error: unknown): string {
  if (error instanceof errors.JWTExpired) return "The callback token has expired.";
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "aud") return "The callback token is for another audience.";
    if (error.claim === "iss") return "The callback token is from another issuer.";
    return `The callback token's "${error.claim}" claim is invalid.`;
  }
  if (error instanceof errors.JWKSNoMatchingKey) return "The callback token is signed with a key the issuer does not publish.";
  if (error instanceof errors.JWSSignatureVerificationFailed) return "The callback token's signature does not verify.";
  if (error instanceof errors.JOSEAlgNotAllowed) return "The callback token is not signed with RS256.";
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return "The issuer's signing keys could not be fetched.";
  return "The callback token is malformed.";
}
