/**
 * Request validation driven by the generated layer: parameters from the route table, bodies by
 * the compiled validators. Every problem names the parameter or the JSON path at fault.
 */
import type { ErrorDetail } from "./errors.ts";
import { FORMATS, formatJsonPath, issuesOf, type SchemaError } from "./generated/runtime/runtime.gen.ts";
import type { RouteParameter } from "./generated/stubs/index.ts";

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
export const jsonPath = formatJsonPath;

/** One detail per problem, each naming the JSON path at fault (the core's mapping of validator errors). */
export function bodyProblems(errors: readonly SchemaError[] | null | undefined): ErrorDetail[] {
  return issuesOf(errors).map((issue) => ({ code: issue.code, message: `${issue.target} ${issue.message}.`, target: issue.target }));
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
