// @ts-check
/**
 * Small helpers for walking an unresolved OpenAPI 3.0 document. The rules work on the raw
 * document (Spectral `resolved: false`) so that they can see where `$ref`s point and report
 * the exact JSON path, which Spectral turns into file:line:column.
 */

/** HTTP methods that can hold an Operation Object (OpenAPI 3.0.3, Path Item Object). */
export const HTTP_METHODS = /** @type {const} */ ([
  "get",
  "put",
  "post",
  "delete",
  "options",
  "head",
  "patch",
  "trace",
]);

/** @param {unknown} value @returns {value is Record<string, any>} */
export function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Decodes one JSON-pointer token (RFC 6901).
 * @param {string} token
 */
function decodeToken(token) {
  return decodeURIComponent(token).replace(/~1/g, "/").replace(/~0/g, "~");
}

/**
 * Resolves a local `$ref` (`#/...`) against the document; returns undefined for remote or
 * dangling references so that callers can report them instead of crashing.
 * @param {unknown} doc
 * @param {string} ref
 * @returns {{ value: any, path: string[] } | undefined}
 */
export function resolvePointer(doc, ref) {
  if (typeof ref !== "string" || !ref.startsWith("#")) return undefined;
  const tokens = ref === "#" ? [] : ref.slice(2).split("/").map(decodeToken);
  /** @type {any} */
  let node = doc;
  for (const token of tokens) {
    if (!isObject(node) && !Array.isArray(node)) return undefined;
    node = /** @type {any} */ (node)[token];
    if (node === undefined) return undefined;
  }
  return { value: node, path: tokens };
}

/**
 * Follows `$ref` chains until a concrete object is reached (cycle-safe).
 * @param {unknown} doc
 * @param {any} node
 * @returns {any}
 */
export function deref(doc, node) {
  const seen = new Set();
  while (isObject(node) && typeof node.$ref === "string") {
    if (seen.has(node.$ref)) return undefined;
    seen.add(node.$ref);
    node = resolvePointer(doc, node.$ref)?.value;
  }
  return node;
}

/**
 * Every operation of the document with its JSON path.
 * @param {any} doc
 * @returns {Array<{ pathKey: string, method: string, operation: any, pathItem: any, path: (string|number)[], name: string }>}
 */
export function operations(doc) {
  /** @type {ReturnType<typeof operations>} */
  const found = [];
  if (!isObject(doc) || !isObject(doc.paths)) return found;
  for (const [pathKey, rawItem] of Object.entries(doc.paths)) {
    const pathItem = deref(doc, rawItem);
    if (!isObject(pathItem)) continue;
    for (const method of HTTP_METHODS) {
      const operation = pathItem[method];
      if (!isObject(operation)) continue;
      const name =
        typeof operation.operationId === "string"
          ? operation.operationId
          : `${method.toUpperCase()} ${pathKey}`;
      found.push({ pathKey, method, operation, pathItem, path: ["paths", pathKey, method], name });
    }
  }
  return found;
}

/**
 * The effective parameters of an operation (path-level ones overridden by operation-level
 * ones with the same name and location), dereferenced, each with the path where it is written.
 * @param {any} doc
 * @param {ReturnType<typeof operations>[number]} op
 * @returns {Array<{ parameter: any, path: (string|number)[] }>}
 */
export function effectiveParameters(doc, op) {
  /** @type {Map<string, { parameter: any, path: (string|number)[] }>} */
  const byKey = new Map();
  const sources = /** @type {const} */ ([
    [op.pathItem.parameters, ["paths", op.pathKey, "parameters"]],
    [op.operation.parameters, [...op.path, "parameters"]],
  ]);
  for (const [list, base] of sources) {
    if (!Array.isArray(list)) continue;
    list.forEach((raw, index) => {
      const parameter = deref(doc, raw);
      if (!isObject(parameter)) return;
      byKey.set(`${parameter.in}:${String(parameter.name).toLowerCase()}`, {
        parameter,
        path: [...base, index],
      });
    });
  }
  return [...byKey.values()];
}

/**
 * Visits every node of a JSON value depth-first with its path. Returning `false` from the
 * visitor skips the node's children.
 * @param {unknown} node
 * @param {(node: any, path: (string|number)[], key: string|number|undefined) => boolean | void} visit
 * @param {(string|number)[]} [path]
 */
export function walk(node, visit, path = []) {
  const key = path.length > 0 ? path[path.length - 1] : undefined;
  if (visit(node, path, key) === false) return;
  if (Array.isArray(node)) {
    node.forEach((child, index) => walk(child, visit, [...path, index]));
  } else if (isObject(node)) {
    for (const [childKey, child] of Object.entries(node)) walk(child, visit, [...path, childKey]);
  }
}

/**
 * True when a path points into data rather than into the OpenAPI structure: example values
 * and vendor-extension payloads may contain keys such as `enum` or `$ref` that are not
 * schema keywords.
 * @param {(string|number)[]} path
 */
export function isDataPath(path) {
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    if (typeof segment !== "string") continue;
    if (segment.startsWith("x-")) return true;
    if (segment === "example" || segment === "examples") {
      // A property or component that happens to be named "example" is structure, not data.
      if (path[i - 1] !== "properties" && path[i - 2] !== "components") return true;
    }
  }
  return false;
}

/**
 * The value at a path of the document.
 * @param {unknown} doc
 * @param {(string|number)[]} path
 * @returns {any}
 */
export function valueAt(doc, path) {
  /** @type {any} */
  let node = doc;
  for (const segment of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = node[segment];
  }
  return node;
}

/**
 * A path as a local JSON reference (`#/components/schemas/X`), escaped per RFC 6901.
 * @param {(string|number)[]} path
 */
export function pointerOf(path) {
  return `#/${path.map((segment) => String(segment).replace(/~/g, "~0").replace(/\//g, "~1")).join("/")}`;
}
