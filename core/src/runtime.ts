/**
 * The part of the OpenAPI core that published packages need at run time: the string formats
 * the contract uses and the mapping of validator errors to a target and a message.
 *
 * This file imports nothing: `pnpm generate` writes it, with the do-not-edit header, into the
 * packages that need it (the runtime generator, generators/runtime/), so the lint gate, the
 * generators, the server and the client share one definition instead of copies that drift.
 */

/**
 * IMF-fixdate, the preferred form of HTTP-date (RFC 9110 section 5.6.7; `date-time-rfc1123` in
 * Azure's definitions), e.g. `Sun, 06 Nov 1994 08:49:37 GMT`: what `x-ms-date` and
 * `Repeatability-First-Sent` carry. Four-digit years only, weekday checked.
 *
 * A parser of its own rather than `Date.parse`: the form is fixed, `Date.parse` accepts many
 * others, and `Date#toUTCString` writes five-digit years that the grammar does not allow.
 */
const IMF_FIXDATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

// A request's date is usually checked and then read again: the second call with the same string is answered from here.
let lastDate = "";
let lastTime = Number.NaN;

/** Milliseconds since the epoch, or NaN unless `value` is a valid IMF-fixdate (weekday included). */
export function parseImfFixdate(value: string): number {
  if (value !== lastDate) {
    lastTime = parseFixdate(value);
    lastDate = value;
  }
  return lastTime;
}

function parseFixdate(value: string): number {
  const match = typeof value === "string" ? IMF_FIXDATE.exec(value) : null;
  if (!match) return Number.NaN;
  const [, day, date, month, year, hours, minutes, seconds] = match;
  // Date.UTC reads years below 100 as 19xx; no date this API meets is that old.
  if (Number(year) < 1000) return Number.NaN;
  const time = Date.UTC(Number(year), MONTHS.indexOf(month!), Number(date), Number(hours), Number(minutes), Number(seconds));
  const parsed = new Date(time);
  // Date.UTC rolls over (31 Feb becomes 3 Mar): a date that does not exist fails this check.
  if (parsed.getUTCDate() !== Number(date) || parsed.getUTCHours() !== Number(hours) || Number(minutes) > 59 || Number(seconds) > 59) return Number.NaN;
  return DAYS[parsed.getUTCDay()] === day ? time : Number.NaN;
}

/** Formats `time` as an IMF-fixdate; throws for a date outside the years 1000-9999, which the form cannot write. */
export function formatImfFixdate(time: number | Date): string {
  const text = new Date(time).toUTCString();
  if (Number.isNaN(parseFixdate(text))) throw new RangeError("the date cannot be written as an IMF-fixdate (years 1000-9999)");
  return text;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A string format: how to check a value, and what to tell a caller who sent something else. */
export interface StringFormat {
  check(value: string): boolean;
  /** Completes "must be ...". */
  expected: string;
}

/** The formats the contract may use, by their OpenAPI `format` name. */
export const FORMATS: Readonly<Record<string, StringFormat>> = {
  uuid: { check: (value) => UUID.test(value), expected: "a UUID, e.g. 5f4c1fd5-6f5e-4d5a-9b3a-6b8e2a7f6c10" },
  "date-time-rfc1123": {
    check: (value) => !Number.isNaN(parseImfFixdate(value)),
    expected: "an IMF-fixdate HTTP date, e.g. Sun, 06 Nov 1994 08:49:37 GMT",
  },
  uri: { check: (value) => isAbsoluteUrl(value), expected: "an absolute URI, e.g. https://app.example/callback" },
  url: { check: (value) => isAbsoluteUrl(value), expected: "an absolute URL, e.g. https://app.example/callback" },
};

function isAbsoluteUrl(value: string): boolean {
  try {
    return new URL(value).protocol.length > 1;
  } catch {
    return false;
  }
}

/** Renders a path as `$.a.b[0]` for messages people read. */
export function formatJsonPath(path: readonly (string | number)[]): string {
  let out = "$";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(segment)) out += `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** One failure as a JSON Schema validator (Ajv) reports it. */
export interface SchemaError {
  readonly instancePath: string;
  readonly keyword: string;
  readonly params: Record<string, any>;
  readonly message?: string;
}

/** One problem with a value, pointing at the property at fault. */
export interface ValidationIssue {
  /** Where in the value the problem is. */
  path: Array<string | number>;
  /** The same as `$.a.b[0]`. */
  target: string;
  /** A CommunicationError code for it: MissingProperty, UnknownEnumValue, InvalidType, InvalidFormat or InvalidValue. */
  code: string;
  /** What is wrong, completing "<target> ...", e.g. `must be one of: a, b`. */
  message: string;
  /** The JSON Schema keyword that failed. */
  keyword: string;
}

/**
 * One issue per problem, each pointing at the property at fault (a missing required property
 * at its own path, not its parent's). The discriminator dispatch (if/then) repeats the
 * subtype's own errors, so its wrapper errors are dropped.
 */
export function issuesOf(errors: readonly SchemaError[] | null | undefined): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  for (const error of errors ?? []) {
    if (error.keyword === "if") continue;
    // Ajv's instancePath is a JSON Pointer; this module may import nothing, so it decodes the two escapes itself.
    const path: Array<string | number> = error.instancePath
      .split("/")
      .slice(1)
      .map((token) => token.replace(/~1/g, "/").replace(/~0/g, "~"))
      .map((token) => (/^\d+$/.test(token) ? Number(token) : token));
    let code = "InvalidValue";
    let message = error.message ?? "is invalid";
    switch (error.keyword) {
      case "required":
        path.push(String(error.params.missingProperty));
        code = "MissingProperty";
        message = "is required";
        break;
      case "enum":
        code = "UnknownEnumValue";
        message = `must be one of: ${(error.params.allowedValues as unknown[]).map(String).join(", ")}`;
        break;
      case "const":
        message = `must be ${JSON.stringify(error.params.allowedValue)}`;
        break;
      case "type":
        code = "InvalidType";
        message = `must be ${String(error.params.type)}`;
        break;
      case "format":
        code = "InvalidFormat";
        message = `must be ${FORMATS[String(error.params.format)]?.expected ?? `a valid ${String(error.params.format)}`}`;
        break;
    }
    const target = formatJsonPath(path);
    const key = `${target}\u0001${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push({ path, target, code, message, keyword: error.keyword });
  }
  return issues;
}
