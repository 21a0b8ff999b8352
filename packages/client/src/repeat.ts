/**
 * The check of a repeatability pair the caller gives (to repeat an earlier call), loaded only
 * then: a call that lets the client make a fresh pair never loads the spec's format checks.
 * `client.raw` (raw.ts) imports it statically, since it reads the pair from headers.
 */
// The spec's formats, checked by the OpenAPI core's definitions (generated into src/generated/runtime).
import { FORMATS } from "./generated/runtime/runtime.gen.ts";

// Not auth.ts's `invalid`: importing from a module every call loads would make the bundler split
// it into a chunk shared with this lazily loaded one (a second file for every `connect` caller).
const invalid = (field: string, expected: string): TypeError => new TypeError(`Invalid ${field}: ${expected}`);

/**
 * The repeatability pair of one logical call: the caller's (checked) or a fresh v4 UUID and
 * the current time as an IMF-fixdate. The spec requires First-Sent whenever Request-ID is sent,
 * so half a pair is refused rather than completed with a guess.
 */
export function repeatability(id: unknown, firstSent: unknown, idName: string, sentName: string): [string, string] {
  if ((id === undefined) !== (firstSent === undefined)) {
    const missing = id === undefined ? idName : sentName;
    throw invalid(missing, `${idName} and ${sentName} must be given together (the pair of the original request) or not at all`);
  }
  if (id === undefined) return [crypto.randomUUID(), new Date().toUTCString()];
  if (typeof id !== "string" || !FORMATS.uuid!.check(id)) throw invalid(idName, `expected ${FORMATS.uuid!.expected}`);
  const sent = firstSent instanceof Date ? firstSent.toUTCString() : firstSent;
  if (typeof sent !== "string" || !FORMATS["date-time-rfc1123"]!.check(sent)) {
    throw invalid(sentName, `expected ${FORMATS["date-time-rfc1123"]!.expected} (or a Date)`);
  }
  return [id, sent];
}
