/**
 * Credentials: the connection-string parser, the HMAC-SHA256 access-key signer and the bearer
 * signer. Web Crypto, or node:crypto where the runtime has it: the same code runs in Node 20+, Deno,
 * Bun and browsers.
 */

import { nodeCrypto } from "./platform.ts";

/** A value a caller can get wrong: every message names the field at fault, never its value. */
export const invalid = (field: string, expected: string): TypeError => new TypeError(`Invalid ${field}: ${expected}`);

/** Throws {@link invalid} unless `ok`. */
export function check(ok: unknown, field: string, expected: string): asserts ok {
  if (!ok) throw invalid(field, expected);
}

/** `value` is absent or of the type named (`typeof`). */
export const optional = (value: unknown, type: string): boolean => value === undefined || typeof value === type;

/**
 * Signs one attempt: sets `Authorization` (and, for access keys, `x-ms-date` and
 * `x-ms-content-sha256`) on `headers`.
 */
export type Sign = (headers: Headers, method: string, url: URL, contentHash: string, signal?: AbortSignal) => Promise<void>;

/** How one client authenticates. */
export interface Credential {
  /** Sets the auth headers of one attempt. */
  sign: Sign;
  /** A bearer token is sent: never over plain http to a non-loopback host. */
  bearer: boolean;
  /** For a TokenCredential: drops the token a 401 said is expired, so the next attempt gets a new one. */
  renew?: (authorization: string | null) => void;
}

/** A function returning a Microsoft Entra ID access token; called once per attempt so it can refresh. */
export type TokenProvider = () => string | Promise<string>;

export const encoder: TextEncoder = new TextEncoder();

const toBase64 = (bytes: ArrayBuffer): string => btoa(String.fromCharCode(...new Uint8Array(bytes)));

/**
 * SHA-256 and HMAC-SHA256 in base64: Web Crypto here, node:crypto in ./platform.ts (preferred
 * where there is one; the browser build has none, so it carries only this one).
 */
export interface CryptoBackend {
  /** Base64 SHA-256 of the bytes (the empty body when there are none). */
  hash(body: Uint8Array<ArrayBuffer> | undefined): string | Promise<string>;
  /** Imports the key once (a key object, not a string) and returns a function signing text with it. */
  hmac(key: Uint8Array<ArrayBuffer>): (text: string) => string | Promise<string>;
}

/** Web Crypto, everywhere (in Node it runs every digest and signature as a thread-pool job: see ./platform.ts). */
export const webCrypto: CryptoBackend = {
  hash: async (body) => toBase64(await crypto.subtle.digest("SHA-256", body ?? new Uint8Array(0))),
  hmac(bytes) {
    const key = crypto.subtle.importKey("raw", bytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    return async (text) => toBase64(await crypto.subtle.sign("HMAC", await key, encoder.encode(text)));
  },
};

/** Base64 SHA-256 of the exact body bytes sent (the empty body when there is none). */
export const hashBody = async (body: Uint8Array<ArrayBuffer> | undefined, backend: CryptoBackend = nodeCrypto ?? webCrypto): Promise<string> =>
  backend.hash(body);

/**
 * The access-key signer. `now` is injectable so the published test vector can be checked
 * exactly, and `backend` so both crypto back-ends can be. The key is held as a key object
 * (node:crypto KeyObject or non-extractable CryptoKey), not as a string.
 */
export function createAccessKeySigner(accessKey: string, field: string, now: () => Date = () => new Date(), backend: CryptoBackend = nodeCrypto ?? webCrypto): Sign {
  // Strict base64 (ACS keys are standard base64 with padding): a typo fails here, not as a 401 later.
  check(typeof accessKey === "string" && accessKey.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(accessKey), field, "expected the base64 access key of the Communication Services resource");
  const sign = backend.hmac(Uint8Array.from(atob(accessKey), (c) => c.charCodeAt(0)));
  return async (headers, method, url, contentHash) => {
    const date = now().toUTCString();
    // fetch cannot set Host: it sends the URL host, with the port only when it is not the default,
    // which is exactly what URL#host holds. pathname keeps the literal ":" of ":connect".
    const signature = await sign(`${method}\n${url.pathname}${url.search}\n${date};${url.host};${contentHash}`);
    headers.set("x-ms-date", date);
    headers.set("x-ms-content-sha256", contentHash);
    headers.set("authorization", `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${signature}`);
  };
}

/**
 * Header-safe token check. Headers#set would otherwise throw a message that quotes the
 * whole header value, token included.
 */
export const checkToken = (token: unknown, field: string): string => {
  check(typeof token === "string" && /^[\x21-\x7e]+$/.test(token), field, "expected a non-empty access token without spaces or control characters");
  return token;
};

/** The bearer signer; a token function is called on every attempt, so a refreshed token is picked up. */
export function createBearerSigner(token: string | TokenProvider): Sign {
  if (typeof token !== "function") checkToken(token, "token");
  return async (headers) => {
    const value = typeof token === "function" ? checkToken(await token(), "token (the value the token function returned)") : token;
    headers.set("authorization", `Bearer ${value}`);
  };
}

/** An access token as `TokenCredential.getToken` resolves it (the shape of `@azure/core-auth`'s `AccessToken`). */
export interface AccessToken {
  /** The token sent as `Authorization: Bearer <token>`. */
  token: string;
  /** When the token expires, in ms since the epoch. */
  expiresOnTimestamp: number;
  /** When the issuer suggests getting a new one, in ms since the epoch (optional). */
  refreshAfterTimestamp?: number;
}

/** Options passed to `TokenCredential.getToken` (a subset of `@azure/core-auth`'s `GetTokenOptions`). */
export interface GetTokenOptions {
  /** The signal of the call that asked for the token. */
  abortSignal?: AbortSignal;
}

/**
 * Anything with `getToken(scopes, options)`: the `TokenCredential` interface of `@azure/core-auth`,
 * which every `@azure/identity` credential (`DefaultAzureCredential`, `ManagedIdentityCredential`,
 * `WorkloadIdentityCredential`, …) implements. Declared here so that neither package is needed at run time.
 */
export interface TokenCredential {
  /** Resolves to a token for `scopes`, or null when none can be had. */
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null>;
}

/**
 * The signer of a {@link TokenCredential}, from token.ts, loaded on the first call that signs:
 * access-key and plain-token clients never load it.
 */
export function createCredentialSigner(credential: TokenCredential): Credential {
  let signer: ReturnType<typeof import("./token.ts").createCredentialSigner> | undefined;
  let loading: Promise<NonNullable<typeof signer>> | undefined;
  return {
    bearer: true,
    sign: async (...args) =>
      (signer ??= await (loading ??= import("./token.ts").then((token) => token.createCredentialSigner(credential, checkToken))))(...args),
    // A 401 can only follow a signed attempt, so the signer is loaded by then.
    renew: (authorization) => signer?.renew(authorization),
  };
}

/** Parses `endpoint=https://…/;accesskey=<base64>` (keys case-insensitive, in any order, each once). */
export function parseConnectionString(connectionString: string): { endpoint: string; accessKey: string } {
  const values: Record<string, string> = {};
  for (const part of connectionString.split(";")) {
    // Split at the first "=" only: base64 keys end in "=" padding.
    const i = part.indexOf("=");
    if (i < 1) continue;
    const key = part.slice(0, i).trim().toLowerCase();
    // Last-one-wins would let an appended "endpoint=" silently send signed calls elsewhere.
    check(!((key === "endpoint" || key === "accesskey") && key in values), "connectionString", `${key} is given more than once`);
    values[key] = part.slice(i + 1).trim();
  }
  const shape = 'expected "endpoint=https://<resource>.communication.azure.com/;accesskey=<base64 key>"';
  check(values.endpoint, "connectionString", `missing endpoint; ${shape}`);
  check(values.accesskey, "connectionString", `missing accesskey; ${shape}`);
  return { endpoint: values.endpoint, accessKey: values.accesskey };
}

/** `localhost`, `127.0.0.0/8` and `[::1]`: traffic that never leaves the machine. */
export const isLoopback = (hostname: string): boolean =>
  hostname === "localhost" || hostname === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(hostname);

/** Parses and checks an endpoint; the message never quotes the value (it may be a pasted secret). */
export function parseEndpoint(endpoint: unknown, field: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(endpoint as string);
  } catch {}
  if (typeof endpoint !== "string" || !url || !/^https?:$/.test(url.protocol) || url.username || url.password || url.search || url.hash) {
    throw invalid(field, 'expected an absolute http(s) URL without credentials, query or fragment, like "https://<resource>.communication.azure.com"');
  }
  return url;
}

/**
 * Plain http only to loopback, or anywhere with `allowInsecureConnection` for access-key signing
 * (the key itself never travels); bearer tokens never travel over non-loopback http.
 */
export function checkTransport(url: URL, bearer: boolean, allowInsecureConnection: boolean): void {
  if (url.protocol !== "http:" || isLoopback(url.hostname)) return;
  if (bearer) throw new TypeError(`Refusing to send a bearer token over plain http to ${url.host}: use an https endpoint`);
  if (!allowInsecureConnection) {
    throw new TypeError(`Refusing plain http to ${url.host}: use an https endpoint, or set allowInsecureConnection: true for a trusted network`);
  }
}
