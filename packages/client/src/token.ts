/**
 * The signer of a `TokenCredential` (e.g. `DefaultAzureCredential`), loaded by auth.ts on the
 * first call of a client that has one.
 */
// Only types from auth.ts: a runtime import would make the bundler split auth.ts into a chunk
// shared with this lazily loaded one (a second file for every `connect` caller); `checkToken` is
// passed in instead.
import type { AccessToken, Sign, TokenCredential, checkToken as CheckTokenFn } from "./auth.ts";

type CheckToken = typeof CheckTokenFn;

/** The Microsoft Entra ID scope of Azure Communication Services (the double slash is part of it). */
export const SCOPE = "https://communication.azure.com//.default";

/** A TokenCredential's token is renewed this long before it expires, unless the issuer says when. */
export const REFRESH_MARGIN_MS = 120_000;

/**
 * The signer of a {@link TokenCredential}: one cached token per client, renewed shortly before it
 * expires, one `getToken` in flight however many calls wait for it. `renew(header)` drops the
 * token a 401 refused (only if no one has replaced it yet, so concurrent 401s share one refresh).
 */
export function createCredentialSigner(credential: TokenCredential, checkToken: CheckToken): Sign & { renew(authorization: string | null): void } {
  let cached: AccessToken | undefined;
  let pending: Promise<AccessToken> | undefined;
  let pendingSignal: AbortSignal | undefined;
  const refresh = (abortSignal: AbortSignal | undefined): Promise<AccessToken> => {
    pendingSignal = abortSignal;
    return (pending = Promise.resolve(credential.getToken(SCOPE, { abortSignal }))
      .then((token) => {
        if (!token || typeof token.expiresOnTimestamp !== "number") throw new TypeError("Invalid credential: getToken resolved to no { token, expiresOnTimestamp }");
        checkToken(token.token, "credential (the token getToken resolved to)");
        return (cached = token);
      })
      .finally(() => (pending = undefined)));
  };
  const get = async (signal: AbortSignal | undefined): Promise<string> => {
    // A refresh started with an aborted signal would be shared by calls that were not aborted.
    signal?.throwIfAborted();
    const now = Date.now();
    if (cached && now < (cached.refreshAfterTimestamp ?? cached.expiresOnTimestamp - REFRESH_MARGIN_MS)) return cached.token;
    try {
      return (await (pending ?? refresh(signal))).token;
    } catch (error) {
      // Another call's abort ended the shared refresh: this call still wants a token.
      if (pendingSignal !== signal && pendingSignal?.aborted && !signal?.aborted) return get(signal);
      // A failed early refresh is no reason to drop a token that is still valid.
      if (cached && Date.now() < cached.expiresOnTimestamp) return cached.token;
      throw error;
    }
  };
  const sign = (async (headers, _method, _url, _hash, signal) => {
    headers.set("authorization", `Bearer ${await get(signal)}`);
  }) as Sign & { renew(authorization: string | null): void };
  sign.renew = (authorization) => {
    if (cached && authorization === `Bearer ${cached.token}`) cached = undefined;
  };
  return sign;
}
