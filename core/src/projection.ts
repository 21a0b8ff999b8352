/**
 * Projections of a document: the part of it that some output depends on. A generator that
 * renders from a projection alone can be cached by the projection, so that an edit outside it
 * (a description, for most generators) reuses its last output instead of running it again.
 */
import { isObject, type Path } from "./document.ts";

/**
 * Keys whose value is a map from names to objects (`properties`, the component kinds, response
 * codes, header names, discriminator values...): a child called `description` there is a name,
 * not the keyword. A schema property that is itself called one of these is read as such a map
 * too, which only keeps more text than needed.
 */
const NAMED_MAPS = new Set([
  "properties",
  "patternProperties",
  "schemas",
  "responses",
  "parameters",
  "examples",
  "requestBodies",
  "headers",
  "securitySchemes",
  "links",
  "callbacks",
  "content",
  "encoding",
  "mapping",
  "variables",
  "scopes",
  "paths",
]);

/** Payloads and extension data, copied as written: a `description` key inside them is data. */
const isData = (key: string) => key === "example" || key === "examples" || key === "default" || key === "enum" || key.startsWith("x-");

/**
 * A copy of the document without the `description` text of its structure (info, tags,
 * operations, parameters, headers, schemas and their properties, security schemes...), except
 * the descriptions at the paths `keep` accepts. Examples, defaults, enum values and extensions
 * (`x-ms-enum` value descriptions included) are copied unchanged. The input is not modified.
 */
export function withoutDescriptions(doc: unknown, keep: (path: Path) => boolean = () => false): unknown {
  const copy = (node: unknown, path: Path, named: boolean): unknown => {
    if (Array.isArray(node)) return node.map((item, index) => copy(item, [...path, index], false));
    if (!isObject(node)) return node;
    const result: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (!named && key === "description" && typeof value === "string" && !keep(path)) continue;
      // A named map's entries are objects of the structure; a payload is copied whole.
      result[key] = !named && isData(key) ? structuredClone(value) : copy(value, [...path, key], !named && NAMED_MAPS.has(key));
    }
    return result;
  };
  return copy(doc, [], false);
}

/** True for the path of a Response object (`…/responses/<status>`), whose description is the response's only required text. */
export const isResponsePath = (path: Path): boolean => path.length >= 2 && path[path.length - 2] === "responses";
