/**
 * What an error answer needs, loaded on the first one (see `loadFailure` in transport.ts): the
 * mapping of an error body (or of a success body that is not JSON) to a CallAutomationError's
 * fields, the delay a response asks for, whether a 401 says the token is no longer good, and the
 * wording of a refused redirect or oversized body.
 * A call that succeeds never loads it.
 */
import type { CommunicationError } from "@acs-connect/types";
// Only types from the modules every call loads: a runtime import would make the bundler split
// them into a chunk shared with this lazily loaded one (a second file for every `connect`
// caller); `redact` is passed in instead.
import type { CallAutomationErrorInit, RequestIds } from "./errors.ts";
import type { Answer, Head } from "./transport.ts";

type Redact = (text: string) => string;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * A copy of a server's JSON with every string redacted, of at most 100 values in all (the rest
 * is dropped): bounded work and depth however large or deep the body, since it ends up in
 * `JSON.stringify(error)`.
 */
const scrub = (value: unknown, redact: Redact, budget = { n: 100 }): unknown => {
  if (typeof value === "string") return redact(value);
  if (typeof value !== "object" || value === null) return value;
  const copy = (Array.isArray(value) ? [] : {}) as Record<string, unknown>;
  for (const key in value) {
    if (budget.n-- < 1) break;
    copy[key] = scrub((value as Record<string, unknown>)[key], redact, budget);
  }
  return copy;
};

/** One line, redacted, at most 200 characters: enough to recognise an HTML error page or a proxy message. */
const snippet = (text: string, redact: Redact): string => {
  const line = redact(text.slice(0, 1000).replace(/[\x00-\x20\x7f]+/g, " ").trim());
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
};

/** Maps an HTTP error response and its body text to the message and fields of a CallAutomationError. */
export function httpErrorOf(response: Head, body: string, ids: RequestIds, redact: Redact): [string, CallAutomationErrorInit] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {}
  const retryAfterMs = serverDelay(response.headers);
  const error = isObject(parsed) && isObject(parsed.error) ? parsed.error : undefined;
  // Each field redacted: they land in JSON.stringify(error) as they are.
  const text = (v: unknown) => (typeof v === "string" ? redact(v) : undefined);
  const code = text(error?.code) || "HttpError";
  const serviceMessage = text(error?.message);
  const target = text(error?.target);
  let said: string;
  if (error) said = `${serviceMessage ?? ""}${target ? ` (target: ${target})` : ""}`;
  else if (!body) said = `${response.statusText} (empty body)`.trim();
  else said = snippet(body, redact);
  if (retryAfterMs !== undefined) said += ` (the service asks to retry after ${Math.ceil(retryAfterMs / 1000)} s)`;
  const h = response.headers;
  return [
    redact(`Connect failed: ${response.status} ${code}: ${said}`),
    {
      status: response.status,
      code,
      serviceMessage,
      target,
      details: Array.isArray(error?.details) ? (scrub(error.details, redact) as CommunicationError[]) : undefined,
      innererror: isObject(error?.innererror) ? (scrub(error.innererror, redact) as CommunicationError) : undefined,
      ...ids,
      requestId: text(h.get("x-ms-request-id")),
      repeatabilityResult: text(h.get("repeatability-result")),
      retryAfterMs,
    },
  ];
}

/** The message and fields for a success status whose body is not a JSON object. */
export function invalidResponseOf(response: Head, ids: RequestIds): [string, CallAutomationErrorInit] {
  // The service may have connected: the pair lets the caller fetch the original result.
  const message = `Connect failed: ${response.status} InvalidResponse: the body is not a JSON object; repeat the call with the same repeatabilityRequestId and repeatabilityFirstSent to get the original result`;
  return [message, { status: response.status, code: "InvalidResponse", ...ids, requestId: response.headers.get("x-ms-request-id") ?? undefined }];
}

/**
 * The delay a response asks for: retry-after-ms, x-ms-retry-after-ms (whole ms), then Retry-After
 * (whole seconds or an HTTP-date, RFC 9110 §10.2.3). Anything else (`-1`, `1.5`, `1e3`) is
 * ignored and the back-off applies: Date.parse would read `-1` as the year 2001 and retry at once.
 */
export function serverDelay(headers: Headers): number | undefined {
  for (const name of ["retry-after-ms", "x-ms-retry-after-ms"]) {
    const value = headers.get(name);
    if (value && /^\d+$/.test(value)) return Number(value);
  }
  const value = headers.get("retry-after") ?? "";
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // IMF-fixdate, RFC 850 or asctime (which has no zone: it is GMT, not local time).
  if (!/^\w{3,9},? [\w -]+ \d\d:\d\d:\d\d (GMT|\d{4})$/.test(value)) return undefined;
  const date = Date.parse(value.replace(/\d$/, "$& GMT"));
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** A 401 of an expired or revoked token: the OAuth challenge (RFC 6750) or the error codes Azure services send. */
const EXPIRED_TOKEN = /"code"\s*:\s*"(InvalidAuthenticationToken|\w*TokenExpired|ExpiredAuthenticationToken)"/;

/** The answer refuses the token as expired or invalid, so a new one may succeed. */
export const tokenRefused = ({ response, bytes }: Answer): boolean =>
  response.status === 401 && (/invalid_token/.test(response.headers.get("www-authenticate") ?? "") || EXPIRED_TOKEN.test(new TextDecoder().decode(bytes)));

/**
 * The message and fields of an answer the sender refuses (see `Answer.refused`): a redirect,
 * naming only the origin of its Location (its path or query may carry secrets), or a body past
 * maxResponseBytes.
 */
export function refusalOf({ response, refused }: Answer, url: URL, max: number, ids: RequestIds): [string, CallAutomationErrorInit] {
  const { code, location } = refused!;
  let to = location;
  try {
    to = to && ` to ${new URL(to, url).origin}`;
  } catch {
    to = null;
  }
  const text = code === "ResponseTooLarge" ? `the body exceeds maxResponseBytes (${max} bytes)` : `the server redirected${to ?? ""}; redirects are not followed`;
  return [`Connect failed: ${response.status} ${code}: ${text}`, { status: response.status, code, ...ids }];
}
