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
 * A copy of the document in which `replace` decides the fate of each `description` text of its
 * structure (info, tags, operations, parameters, headers, schemas and their properties,
 * security schemes...): a string takes its place, `undefined` drops it. Examples, defaults, enum
 * values and extensions (`x-ms-enum` value descriptions included) are copied unchanged. The
 * input is not modified. Descriptions are visited in document order.
 */
function mapDescriptions(doc: unknown, replace: (description: string, path: Path) => string | undefined): unknown {
  const copy = (node: unknown, path: Path, named: boolean): unknown => {
    if (Array.isArray(node)) return node.map((item, index) => copy(item, [...path, index], false));
    if (!isObject(node)) return node;
    const result: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (!named && key === "description" && typeof value === "string") {
        const replaced = replace(value, path);
        if (replaced !== undefined) result[key] = replaced;
        continue;
      }
      // A named map's entries are objects of the structure; a payload is copied whole.
      result[key] = !named && isData(key) ? structuredClone(value) : copy(value, [...path, key], !named && NAMED_MAPS.has(key));
    }
    return result;
  };
  return copy(doc, [], false);
}

/**
 * A copy of the document without the `description` text of its structure (see
 * {@link mapDescriptions}), except the descriptions at the paths `keep` accepts.
 */
export function withoutDescriptions(doc: unknown, keep: (path: Path) => boolean = () => false): unknown {
  return mapDescriptions(doc, (description, path) => (keep(path) ? description : undefined));
}

/** Line breaks as openapi-typescript (and so JSDoc output generally) splits descriptions. */
const LINE_BREAK = /\r?\n/;

/**
 * The document with each description of its structure replaced by a placeholder of as many lines
 * as the description has once trimmed (`@@description:<n>:<line>@@`), and those lines. Output
 * rendered from the placeholder document depends on the descriptions' count and line counts
 * only, so it can be cached across description edits and completed with
 * {@link fillDescriptions}. An empty description is kept as it is (renderers skip those).
 */
export function describedLater(doc: unknown): { doc: unknown; descriptions: string[][] } {
  const descriptions: string[][] = [];
  const projected = mapDescriptions(doc, (description) => {
    if (description === "") return description;
    const lines = description.trim().split(LINE_BREAK);
    const index = descriptions.push(lines) - 1;
    return lines.map((_, line) => `@@description:${index}:${line}@@`).join("\n");
  });
  return { doc: projected, descriptions };
}

/**
 * Puts the descriptions back into text rendered from {@link describedLater}'s document: each
 * placeholder becomes the description's line, with `*\/` escaped as it would be in the JSDoc
 * comment the line sits in, and a line that ends in a description loses its trailing whitespace,
 * as TypeScript's printer trims each line of a multi-line comment. Throws on a placeholder it
 * has no description for.
 */
export function fillDescriptions(text: string, descriptions: readonly string[][]): string {
  const placeholder = /@@description:(\d+):(\d+)@@/g;
  const fill = (line: string) =>
    line.replace(placeholder, (found, index: string, at: string) => {
      const value = descriptions[Number(index)]?.[Number(at)];
      if (value === undefined) throw new Error(`no description for the placeholder ${found}: the rendering and the document disagree`);
      return value.replace(/\*\//g, "*\\/");
    });
  return text
    .split("\n")
    .map((line) => (!line.includes("@@description:") ? line : /@@\s*$/.test(line) ? fill(line).trimEnd() : fill(line)))
    .join("\n");
}

/** True for the path of a Response object (`…/responses/<status>`), whose description is the response's only required text. */
export const isResponsePath = (path: Path): boolean => path.length >= 2 && path[path.length - 2] === "responses";
