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
import { createHmac, hash, timingSafeEqual } from "node:crypto";
import type { IncomingExchange } from "./exchange.ts";

/** How requests authenticate. Configure the access key, a bearer-token verifier, or both. */
export interface AuthOptions {
  /** The resource's access key, base64, as in the connection string's `accesskey`. */
  accessKey?: string;
  /** Decides whether a bearer token is acceptable, e.g. by validating a Microsoft Entra ID token. */
  verifyToken?: (token: string) => boolean | Promise<boolean>;
}

export type AuthResult = { ok: true; scheme: "hmac" | "bearer" } | { ok: false; message: string };

const SIGNED_HEADERS = "x-ms-date;host;x-ms-content-sha256";
const HMAC_FORM = /^HMAC-SHA256\s+SignedHeaders=([^&\s]+)&Signature=(\S+)$/i;
const BEARER_FORM = /^Bearer\s+(\S+)$/i;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Checks `auth` once, so that a typo fails at start-up rather than on the first request. */
export function compileAuth(options: AuthOptions | undefined): {
  key: Buffer | undefined;
  verifyToken: AuthOptions["verifyToken"];
  challenge: string;
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
    throw new TypeError("auth.verifyToken must be a function (token) => boolean | Promise<boolean>.");
  }
  const challenges = [
    ...(key ? [`HMAC-SHA256 SignedHeaders="${SIGNED_HEADERS}"`] : []),
    ...(options.verifyToken ? ["Bearer"] : []),
  ];
  return { key, verifyToken: options.verifyToken, challenge: challenges.join(", ") };
}

/** Base64 SHA-256 of the body, as `x-ms-content-sha256` carries it. */
export function contentHash(body: Uint8Array): string {
  return hash("sha256", body, "base64");
}

/** Whether the header carries a credential at all, checked before the body is read. */
export function hasCredential(exchange: IncomingExchange): boolean {
  const header = exchange.header("authorization");
  return header !== undefined && header.trim() !== "";
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

const HMAC_OK: AuthResult = { ok: true, scheme: "hmac" };
const BEARER_OK: AuthResult = { ok: true, scheme: "bearer" };

/**
 * Verifies the request; `bodyHash` is the base64 SHA-256 of the bytes received. Synchronous
 * for HMAC (the common case costs no extra turn of the event loop), a promise for bearer tokens.
 */
export function verify(
  exchange: IncomingExchange,
  bodyHash: string,
  auth: ReturnType<typeof compileAuth>,
  now: number,
  clockSkewMs: number,
): AuthResult | Promise<AuthResult> {
  const header = (exchange.header("authorization") ?? "").trim();
  const hmac = HMAC_FORM.exec(header);
  if (hmac && auth.key) {
    if (hmac[1]!.toLowerCase() !== SIGNED_HEADERS) {
      return { ok: false, message: `The Authorization header must sign exactly SignedHeaders=${SIGNED_HEADERS}.` };
    }
    const date = exchange.header("x-ms-date");
    if (date === undefined) return { ok: false, message: "The x-ms-date header is missing; it is required with HMAC-SHA256." };
    const time = Date.parse(date);
    if (Number.isNaN(time)) return { ok: false, message: "The x-ms-date header is not an RFC 1123 date, e.g. Sun, 06 Nov 1994 08:49:37 GMT." };
    if (Math.abs(now - time) > clockSkewMs) {
      return { ok: false, message: `The x-ms-date header is more than ${Math.round(clockSkewMs / 1000)} s away from the server's clock.` };
    }
    const claimedHash = exchange.header("x-ms-content-sha256");
    if (claimedHash === undefined) {
      return { ok: false, message: "The x-ms-content-sha256 header is missing; it is required with HMAC-SHA256." };
    }
    // Not a secret (the client computed it from a body it knows), so a plain comparison will do.
    if (claimedHash !== bodyHash) {
      return { ok: false, message: "The x-ms-content-sha256 header does not match the SHA-256 of the request body." };
    }
    const host = exchange.header("host");
    if (host === undefined) return { ok: false, message: "The Host header is missing." };
    const expected = createHmac("sha256", auth.key)
      .update(`${exchange.method}\n${exchange.target}\n${date};${host};${claimedHash}`, "utf8")
      .digest();
    if (!sameBytes(Buffer.from(hmac[2]!, "base64"), expected)) return { ok: false, message: "The request signature is invalid." };
    return HMAC_OK;
  }
  const bearer = BEARER_FORM.exec(header);
  if (bearer && auth.verifyToken) {
    return Promise.resolve(auth.verifyToken(bearer[1]!)).then((accepted) =>
      accepted ? BEARER_OK : { ok: false, message: "The bearer token was not accepted." },
    );
  }
  const accepted = [auth.key ? "HMAC-SHA256 (access key)" : undefined, auth.verifyToken ? "Bearer" : undefined].filter(Boolean);
  return { ok: false, message: `The Authorization header must use ${accepted.join(" or ")}.` };
}
