/**
 * JSON Pointers (RFC 6901) and local `$ref` resolution. Escaping and decoding come from json-ptr,
 * so that `~0`, `~1` and percent-encoding are handled in one place for every tool.
 *
 * Two spellings are in use: `$ref` values are URI fragments (`#/components/schemas/X`, percent-
 * encoded where needed), while locations shown to people are `#` plus a plain JSON Pointer, so
 * that `#/paths/~1things~1{id}` stays readable.
 */
import { decodePointer, decodeUriFragmentIdentifier, encodePointer } from "json-ptr";
import { isObject, type Path } from "./document.ts";

/** `#/a/b~1c`: a location for messages and reports (RFC 6901 escaping, no percent-encoding). */
export function pointer(...segments: Path): string {
  return `#${encodePointer(segments.map(String))}`;
}

/** The segments of a local reference or a location (`#/a/b`, `#/a%20b`, `/a/b`); undefined for a remote one. */
export function segmentsOf(ref: string): string[] | undefined {
  if (ref === "#" || ref === "") return [];
  if (ref.startsWith("#/")) {
    try {
      return decodeUriFragmentIdentifier(ref) as string[];
    } catch {
      return undefined;
    }
  }
  if (ref.startsWith("/")) return decodePointer(ref) as string[];
  return undefined;
}

/** The value at a path of a JSON value, or undefined. */
export function valueAt(root: unknown, path: readonly (string | number)[]): any {
  let node: any = root;
  for (const segment of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = node[segment];
  }
  return node;
}

/**
 * Resolves a local `$ref` against the document. Undefined for remote or dangling references,
 * so that callers can report them instead of crashing.
 */
export function resolveRef(doc: unknown, ref: unknown): { value: any; path: string[] } | undefined {
  if (typeof ref !== "string") return undefined;
  const path = segmentsOf(ref);
  if (!path) return undefined;
  const value = valueAt(doc, path);
  return value === undefined ? undefined : { value, path };
}

/** Follows `$ref` chains until a concrete value is reached; undefined on a cycle or a dangling reference. */
export function deref<T = any>(doc: unknown, node: unknown): T | undefined {
  const seen = new Set<string>();
  let current: any = node;
  while (isObject(current) && typeof current.$ref === "string") {
    if (seen.has(current.$ref)) return undefined;
    seen.add(current.$ref);
    current = resolveRef(doc, current.$ref)?.value;
  }
  return current;
}

const COMPONENTS = "#/components/";

/** `#/components/<kind>/<name>` for a component name. */
export function componentRef(name: string, kind = "schemas"): string {
  return pointer("components", kind, name);
}

/** The component name a local `$ref` points to (`#/components/schemas/X` -> `X`), or undefined. */
export function componentName(ref: unknown, kind = "schemas"): string | undefined {
  if (typeof ref !== "string" || !ref.startsWith(`${COMPONENTS}${kind}/`)) return undefined;
  const segments = segmentsOf(ref);
  return segments?.length === 3 ? segments[2] : undefined;
}
