/**
 * Verifies the two forms of the `Authorization` scheme as real ACS clients send them.
 *
 * HMAC-SHA256: the content hash is recomputed from the bytes received and the string to sign
 * from the method, the request target (path and query) and the `Host` header as received, so
 * a request signed by the official SDK, our client or `curl` verifies as long as nothing was
 * changed on the way. Comparisons are constant-time. Failure messages say what a client can fix
 * (a missing header, a clock out of range, a body hash that does not match) and never how the
 * signature mismatched.
 *
 * node:crypto rather than Web Crypto: its synchronous HMAC costs a fraction of a microsecond
 * per request against an `await` per digest, and Deno, Bun and Workers (nodejs_compat) have it.
 */
import { createHash, createHmac, hash, timingSafeEqual } from "node:crypto";
import { parseImfFixdate } from "./generated/runtime/runtime.gen.ts";
import type { IncomingExchange } from "./exchange.ts";

/** What `verifyToken` may answer: accept (optionally naming the caller), or refuse. */
export type TokenVerdict = boolean | { readonly principal: string };

/** How requests authenticate. Configure the access key, a bearer-token verifier, or both. */
export interface AuthOptions {
  /** The resource's access key, base64, as in the connection string's `accesskey`. */
  accessKey?: string;
  /**
   * Decides whether a bearer token is acceptable, e.g. by validating a Microsoft Entra ID token.
   * Return `{ principal }` (e.g. the token's `oid`) to name the caller: repeatable requests are
   * remembered per principal, so a retry with a refreshed token still replays. `true` accepts
   * the token and scopes its repeatable requests to that exact token; `false` refuses it.
   * Called before any body byte is read.
   */
  verifyToken?: (token: string) => TokenVerdict | Promise<TokenVerdict>;
}

/** A credential that passed every check that does not need the body. */
export type Credential =
  | { readonly scheme: "hmac"; readonly principal: string; readonly signature: Buffer; readonly date: string; readonly claimedHash: string; readonly host: string }
  | { readonly scheme: "bearer"; readonly principal: string };

/** A refusal: what to tell the caller (never how a signature mismatched). */
export interface AuthFailure {
  readonly message: string;
  /**
   * The WWW-Authenticate value of this refusal when it is not the server's usual challenge: a
   * bearer token that was sent and refused says `error="invalid_token"` (RFC 6750 section 3.1),
   * which tells a client to get a new token and try once more. A request without credentials
   * gets the plain challenge (RFC 6750 section 3: no error code then).
   */
  readonly challenge?: string;
}

const SIGNED_HEADERS = "x-ms-date;host;x-ms-content-sha256";
const HMAC_FORM = /^HMAC-SHA256\s+SignedHeaders=([^&\s]+)&Signature=(\S+)$/i;
const BEARER_FORM = /^Bearer\s+(\S+)$/i;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/**
 * Exactly the base64 of 32 bytes (an HMAC-SHA256 or a SHA-256): 43 characters and one `=`.
 * Buffer.from(..., "base64") skips junk and stops at padding, so `sig + "AAAA"`, `sig + "!!"` or
 * an inserted `.` decoded to the same bytes and verified; the form is checked before decoding.
 */
const BASE64_32 = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

/** Checks `auth` once, so that a typo fails at start-up rather than on the first request. */
export function compileAuth(options: AuthOptions | undefined): {
  key: Buffer | undefined;
  /** Names the key without revealing it: repeatable requests signed with it share this scope. */
  keyPrincipal: string;
  verifyToken: AuthOptions["verifyToken"];
  challenge: string;
  /** The challenge for a refused bearer token (see {@link AuthFailure.challenge}). */
  invalidTokenChallenge: string;
} {
  if (!options || (options.accessKey === undefined && options.verifyToken === undefined)) {
    throw new TypeError("auth needs accessKey (the resource's base64 access key), verifyToken, or both.");
  }
  let key: Buffer | undefined;
  if (options.accessKey !== undefined) {
    // The key itself never goes into a message.
    if (typeof options.accessKey !== "string" || options.accessKey.length === 0 || !BASE64.test(options.accessKey)) {
      throw new TypeError("auth.accessKey must be a non-empty base64 string (the resource's access key).");
    }
    key = Buffer.from(options.accessKey, "base64");
  }
  if (options.verifyToken !== undefined && typeof options.verifyToken !== "function") {
    throw new TypeError("auth.verifyToken must be a function (token) => boolean | { principal } | a promise of either.");
  }
  const hmacChallenge = key ? [`HMAC-SHA256 SignedHeaders="${SIGNED_HEADERS}"`] : [];
  return {
    key,
    // A domain-separated hash, shortened: enough to tell keys apart, useless for recovering one.
    keyPrincipal: key ? `hmac:${principalHash(key)}` : "",
    verifyToken: options.verifyToken,
    challenge: [...hmacChallenge, ...(options.verifyToken ? ["Bearer"] : [])].join(", "),
    invalidTokenChallenge: [...hmacChallenge, 'Bearer error="invalid_token"'].join(", "),
  };
}

function principalHash(secret: Buffer | string): string {
  return createHash("sha256").update("acs-connect principal\n").update(secret).digest("base64url").slice(0, 22);
}

/** Base64 SHA-256 of the body, as `x-ms-content-sha256` carries it. */
export function contentHash(body: Uint8Array): string {
  return hash("sha256", body, "base64");
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

const fail = (message: string): AuthFailure => ({ message });

/**
 * Everything about the credential that does not need the body: its presence and form, the
 * scheme, and for HMAC the signature's form, `x-ms-date` (IMF-fixdate, inside the skew) and the
 * presence of `x-ms-content-sha256`; bearer tokens are verified here. A caller who fails any of
 * these gets its 401 before the server reads (and buffers) a byte of its body.
 */
export function checkCredential(
  exchange: IncomingExchange,
  auth: ReturnType<typeof compileAuth>,
  now: number,
  clockSkewMs: number,
): Credential | AuthFailure | Promise<Credential | AuthFailure> {
  const header = (exchange.header("authorization") ?? "").trim();
  if (header === "") return fail("The Authorization header is missing.");
  const hmac = HMAC_FORM.exec(header);
  if (hmac && auth.key) {
    if (hmac[1]!.toLowerCase() !== SIGNED_HEADERS) {
      return fail(`The Authorization header must sign exactly SignedHeaders=${SIGNED_HEADERS}.`);
    }
    const signature = hmac[2]!;
    if (!BASE64_32.test(signature)) return fail("The Authorization header's Signature must be the base64 of an HMAC-SHA256 (32 bytes).");
    const date = exchange.header("x-ms-date");
    if (date === undefined) return fail("The x-ms-date header is missing; it is required with HMAC-SHA256.");
    const time = parseImfFixdate(date);
    if (Number.isNaN(time)) return fail("The x-ms-date header is not an RFC 1123 date, e.g. Sun, 06 Nov 1994 08:49:37 GMT.");
    if (Math.abs(now - time) > clockSkewMs) {
      return fail(`The x-ms-date header is more than ${Math.round(clockSkewMs / 1000)} s away from the server's clock.`);
    }
    const claimedHash = exchange.header("x-ms-content-sha256");
    if (claimedHash === undefined) return fail("The x-ms-content-sha256 header is missing; it is required with HMAC-SHA256.");
    if (!BASE64_32.test(claimedHash)) return fail("The x-ms-content-sha256 header must be the base64 SHA-256 of the request body.");
    const host = exchange.header("host");
    if (host === undefined) return fail("The Host header is missing.");
    return { scheme: "hmac", principal: auth.keyPrincipal, signature: Buffer.from(signature, "base64"), date, claimedHash, host };
  }
  const bearer = BEARER_FORM.exec(header);
  if (bearer && auth.verifyToken) {
    const token = bearer[1]!;
    return Promise.resolve(auth.verifyToken(token)).then((verdict): Credential | AuthFailure => {
      if (verdict === true) return { scheme: "bearer", principal: `bearer:${principalHash(token)}` };
      if (verdict && typeof verdict === "object") {
        if (typeof verdict.principal !== "string" || verdict.principal === "") {
          throw new TypeError("auth.verifyToken returned an object without a non-empty string principal.");
        }
        return { scheme: "bearer", principal: `bearer:${verdict.principal}` };
      }
      return { message: "The bearer token was not accepted.", challenge: auth.invalidTokenChallenge };
    });
  }
  const accepted = [auth.key ? "HMAC-SHA256 (access key)" : undefined, auth.verifyToken ? "Bearer" : undefined].filter(Boolean);
  return fail(`The Authorization header must use ${accepted.join(" or ")}.`);
}

/**
 * The checks that need the body: for HMAC, the content hash against the bytes received and the
 * signature over method, target, date, host and hash, compared in constant time. Bearer
 * credentials were settled by `checkCredential`.
 */
export function verifySignature(exchange: IncomingExchange, credential: Credential, bodyHash: string, key: Buffer | undefined): AuthFailure | undefined {
  if (credential.scheme !== "hmac" || !key) return undefined;
  // Not a secret (the client computed it from a body it knows), so a plain comparison will do.
  if (credential.claimedHash !== bodyHash) return fail("The x-ms-content-sha256 header does not match the SHA-256 of the request body.");
  const expected = createHmac("sha256", key)
    .update(`${exchange.method}\n${exchange.target}\n${credential.date};${credential.host};${credential.claimedHash}`, "utf8")
    .digest();
  return sameBytes(credential.signature, expected) ? undefined : fail("The request signature is invalid.");
}
