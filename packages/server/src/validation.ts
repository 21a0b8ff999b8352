/**
 * Request validation driven by the generated layer: parameters from the route table, bodies by
 * the compiled validators. Every problem names the parameter or the JSON path at fault.
 */
import { parseImfFixdate } from "./dates.ts";
import type { ErrorDetail } from "./errors.ts";
import type { RouteParameter } from "./generated/stubs/index.ts";
import type { SchemaValidationError } from "./generated/validators/validators.gen.js";

/** The header and query value formats the spec uses, checked exactly. */
const FORMATS: Record<string, { check: (value: string) => boolean; expected: string }> = {
  uuid: {
    check: (value) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value),
    expected: "a UUID, e.g. 5f4c1fd5-6f5e-4d5a-9b3a-6b8e2a7f6c10",
  },
  "date-time-rfc1123": {
    check: (value) => !Number.isNaN(parseImfFixdate(value)),
    expected: "an IMF-fixdate HTTP date, e.g. Sun, 06 Nov 1994 08:49:37 GMT",
  },
};

/**
 * The value of a query parameter in a raw query string (no leading `?`), decoded, or undefined.
 * A scan rather than URLSearchParams: routes read one or two parameters, and building the
 * whole map cost an allocation per pair on every request.
 */
export function queryValue(query: string, name: string): string | undefined {
  let from = 0;
  while (from <= query.length) {
    const end = query.indexOf("&", from);
    const stop = end === -1 ? query.length : end;
    const equals = query.indexOf("=", from);
    const keyEnd = equals === -1 || equals > stop ? stop : equals;
    if (decodeComponent(query.slice(from, keyEnd)) === name) {
      return keyEnd === stop ? "" : decodeComponent(query.slice(keyEnd + 1, stop));
    }
    if (end === -1) return undefined;
    from = end + 1;
  }
  return undefined;
}

/** application/x-www-form-urlencoded decoding, as URLSearchParams does it; malformed escapes are kept. */
function decodeComponent(text: string): string {
  if (!text.includes("%") && !text.includes("+")) return text;
  const spaced = text.replace(/\+/g, " ");
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

/** Renders a path as `$.a.b[0]`. */
export function jsonPath(segments: readonly (string | number)[]): string {
  let out = "$";
  for (const segment of segments) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(segment)) out += `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** One detail per problem, each naming the JSON path at fault. */
export function bodyProblems(errors: readonly SchemaValidationError[] | null | undefined): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  const seen = new Set<string>();
  for (const error of errors ?? []) {
    // The discriminator dispatch (if/then) repeats the subtype's own errors.
    if (error.keyword === "if") continue;
    const segments: (string | number)[] = error.instancePath
      .split("/")
      .slice(1)
      .map((token) => token.replace(/~1/g, "/").replace(/~0/g, "~"))
      .map((token) => (/^\d+$/.test(token) ? Number(token) : token));
    let code = "InvalidValue";
    let problem = error.message ?? "is invalid";
    switch (error.keyword) {
      case "required":
        segments.push(String(error.params.missingProperty));
        code = "MissingProperty";
        problem = "is required";
        break;
      case "enum":
        code = "UnknownEnumValue";
        problem = `must be one of: ${(error.params.allowedValues as unknown[]).map(String).join(", ")}`;
        break;
      case "type":
        code = "InvalidType";
        problem = `must be ${String(error.params.type)}`;
        break;
    }
    const target = jsonPath(segments);
    const message = `${target} ${problem}.`;
    if (seen.has(message)) continue;
    seen.add(message);
    details.push({ code, message, target });
  }
  return details;
}

/** A parameter problem: what to answer with. */
export interface ParameterProblem {
  code: string;
  message: string;
  target: string;
}

/**
 * Reads the route's query and header parameters into `values`, keyed by the generated keys, or
 * returns the first problem. `query` is the raw query string (no leading `?`).
 */
export function readParameters(
  parameters: readonly RouteParameter[],
  query: string,
  headers: { header(name: string): string | undefined },
  values: Record<string, string>,
): ParameterProblem | undefined {
  for (const parameter of parameters) {
    if (parameter.in === "path") continue;
    const where = parameter.in === "query" ? "query parameter" : "header";
    const value = parameter.in === "query" ? queryValue(query, parameter.name) : headers.header(parameter.name.toLowerCase());
    if (value === undefined || value === "") {
      if (parameter.required) return { code: "MissingParameter", message: `The ${where} ${parameter.name} is required.`, target: parameter.name };
      continue;
    }
    const format = parameter.format ? FORMATS[parameter.format] : undefined;
    if (format && !format.check(value)) {
      return { code: "InvalidParameter", message: `The ${where} ${parameter.name} must be ${format.expected}.`, target: parameter.name };
    }
    values[parameter.key] = value;
  }
  return undefined;
}
