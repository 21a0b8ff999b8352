/**
 * Walking a document: its operations (callbacks' operations included), their effective
 * parameters, every node with its path, and where each component schema is used.
 */
import { HTTP_METHODS, isObject, type HttpMethod, type Operation, type Parameter, type Path, type PathItem } from "./document.ts";
import { componentName, componentRef, deref, resolveRef } from "./pointer.ts";
import { mappingTargetRef } from "./polymorphism.ts";

/** One operation of the document with where it is written. */
export interface OperationEntry {
  /** The path template (for a callback: its runtime expression, e.g. `{$request.body#/callbackUri}`). */
  pathKey: string;
  method: HttpMethod;
  operation: Operation;
  pathItem: PathItem;
  /** JSON path of the operation object. */
  path: Path;
  /** `operationId`, or `POST /path`. */
  name: string;
  /** For a callback operation: the operation and callback name it belongs to. */
  callback?: { owner: string; name: string };
}

function pathItemOperations(doc: unknown, pathKey: string, rawItem: unknown, base: Path, callback?: OperationEntry["callback"]): OperationEntry[] {
  const pathItem = deref<PathItem>(doc, rawItem);
  if (!isObject(pathItem)) return [];
  const found: OperationEntry[] = [];
  for (const method of HTTP_METHODS) {
    const operation = pathItem[method];
    if (!isObject(operation)) continue;
    const name = typeof operation.operationId === "string" ? operation.operationId : `${method.toUpperCase()} ${pathKey}`;
    found.push({ pathKey, method, operation, pathItem, path: [...base, method], name, ...(callback ? { callback } : {}) });
  }
  return found;
}

/** Every operation under `paths`, in document order. */
export function operations(doc: any): OperationEntry[] {
  if (!isObject(doc) || !isObject(doc.paths)) return [];
  return Object.entries(doc.paths).flatMap(([pathKey, item]) => pathItemOperations(doc, pathKey, item, ["paths", pathKey]));
}

/**
 * Every callback operation (OpenAPI 3.0 `callbacks`): requests the API's provider sends to the
 * consumer, so what is a request there travels the other way from the operation's own request.
 */
export function callbackOperations(doc: any): OperationEntry[] {
  const found: OperationEntry[] = [];
  for (const op of operations(doc)) {
    for (const [name, raw] of Object.entries(isObject(op.operation.callbacks) ? op.operation.callbacks : {})) {
      const callback = deref(doc, raw);
      if (!isObject(callback)) continue;
      for (const [expression, item] of Object.entries(callback)) {
        found.push(...pathItemOperations(doc, expression, item, [...op.path, "callbacks", name, expression], { owner: op.name, name }));
      }
    }
  }
  return found;
}

/**
 * The effective parameters of an operation (path-level ones overridden by operation-level ones
 * with the same name and location; header names compare case-insensitively), dereferenced,
 * each with the path where it is written.
 */
export function effectiveParameters(doc: any, op: OperationEntry): Array<{ parameter: Parameter; path: Path }> {
  const byKey = new Map<string, { parameter: Parameter; path: Path }>();
  const sources: Array<[unknown, Path]> = [
    [op.pathItem.parameters, [...op.path.slice(0, -1), "parameters"]],
    [op.operation.parameters, [...op.path, "parameters"]],
  ];
  for (const [list, base] of sources) {
    if (!Array.isArray(list)) continue;
    list.forEach((raw, index) => {
      const parameter = deref<Parameter>(doc, raw);
      if (!isObject(parameter)) return;
      const name = parameter.in === "header" ? String(parameter.name).toLowerCase() : String(parameter.name);
      byKey.set(`${parameter.in}:${name}`, { parameter, path: [...base, index] });
    });
  }
  return [...byKey.values()];
}

/**
 * Visits every node of a JSON value depth-first with its path; returning `false` from the
 * visitor skips the node's children.
 */
export function walk(node: unknown, visit: (node: any, path: Path, key: string | number | undefined) => boolean | void, path: Path = []): void {
  const key = path.length > 0 ? path[path.length - 1] : undefined;
  if (visit(node, path, key) === false) return;
  if (Array.isArray(node)) node.forEach((child, index) => walk(child, visit, [...path, index]));
  else if (isObject(node)) for (const [childKey, child] of Object.entries(node)) walk(child, visit, [...path, childKey]);
}

/**
 * True when a path points into data rather than into the OpenAPI structure: example values and
 * vendor-extension payloads may contain keys such as `enum` or `$ref` that are not keywords.
 */
export function isDataPath(path: Path): boolean {
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

/** Which way data flows through a schema: what the API's consumer sends, or what it receives. */
export type Direction = "request" | "response";

/** Where the schemas of one operation's messages are, by the direction they travel relative to the consumer. */
function operationSchemas(doc: any, op: OperationEntry, onSchema: (schema: unknown, direction: Direction) => void): void {
  // A callback's request is sent by the provider to the consumer: it is received, like a response.
  const [sent, received]: [Direction, Direction] = op.callback ? ["response", "request"] : ["request", "response"];
  for (const { parameter } of effectiveParameters(doc, op)) onSchema(parameter.schema, sent);
  for (const media of Object.values<any>(deref<any>(doc, op.operation.requestBody)?.content ?? {})) onSchema(media?.schema, sent);
  for (const raw of Object.values<any>(op.operation.responses ?? {})) {
    const response = deref<any>(doc, raw);
    for (const media of Object.values<any>(response?.content ?? {})) onSchema(media?.schema, received);
    for (const header of Object.values<any>(response?.headers ?? {})) onSchema(deref<any>(doc, header)?.schema, received);
  }
}

/** The component schemas a schema reaches: through `$ref`s, nested schemas and discriminator mappings. */
export function reachedSchemas(doc: any, roots: unknown[]): Set<string> {
  const reached = new Set<string>();
  const visit = (schema: unknown, seen: Set<unknown>): void => {
    if (!isObject(schema) || seen.has(schema)) return;
    seen.add(schema);
    const name = componentName(schema.$ref);
    if (name !== undefined) {
      if (reached.has(name)) return;
      reached.add(name);
      visit(doc?.components?.schemas?.[name], seen);
      return;
    }
    for (const target of Object.values<unknown>(isObject(schema.discriminator?.mapping) ? schema.discriminator.mapping : {})) {
      visit({ $ref: mappingTargetRef(target) }, seen);
    }
    const children = [schema.items, schema.additionalProperties, schema.not, ...Object.values(isObject(schema.properties) ? schema.properties : {})];
    for (const keyword of ["allOf", "oneOf", "anyOf"]) if (Array.isArray(schema[keyword])) children.push(...schema[keyword]);
    for (const child of children) visit(child, seen);
  };
  for (const root of roots) visit(root, new Set());
  return reached;
}

/**
 * The directions each component schema is used in, from the operations' parameters, bodies and
 * response headers and from their callbacks (whose payloads the consumer receives).
 */
export function schemaUsage(doc: any): Map<string, Set<Direction>> {
  const roots: Record<Direction, unknown[]> = { request: [], response: [] };
  for (const op of [...operations(doc), ...callbackOperations(doc)]) {
    operationSchemas(doc, op, (schema, direction) => roots[direction].push(schema));
  }
  const usage = new Map<string, Set<Direction>>();
  for (const direction of ["request", "response"] as const) {
    for (const name of reachedSchemas(doc, roots[direction])) {
      const directions = usage.get(name) ?? new Set<Direction>();
      directions.add(direction);
      usage.set(name, directions);
    }
  }
  return usage;
}

/** The component kinds OpenAPI 3.0 defines. */
export const COMPONENT_KINDS = ["schemas", "responses", "parameters", "examples", "requestBodies", "headers", "links", "callbacks", "securitySchemes"] as const;

/**
 * Every component reachable from the document outside `components` (operations, callbacks,
 * security requirements), following `$ref`s and discriminator mappings but not example data or
 * extension payloads; as `#/components/<kind>/<name>` references.
 */
export function reachableComponents(doc: any): Set<string> {
  const reached = new Set<string>();
  const queue: unknown[] = [];
  const reach = (ref: string) => {
    if (reached.has(ref)) return;
    reached.add(ref);
    const target = resolveRef(doc, ref);
    if (target) queue.push(target.value);
  };
  const scan = (node: unknown, key: string | undefined, parentKey: string | undefined): void => {
    if (Array.isArray(node)) {
      for (const child of node) scan(child, undefined, key);
      return;
    }
    if (!isObject(node)) return;
    if (typeof node.$ref === "string") reach(node.$ref);
    if (key === "discriminator" && isObject(node.mapping)) for (const target of Object.values(node.mapping)) reach(mappingTargetRef(target));
    if (key === "security" || parentKey === "security") for (const name of Object.keys(node)) reach(componentRef(name, "securitySchemes"));
    for (const [childKey, child] of Object.entries(node)) {
      if (childKey.startsWith("x-")) continue;
      // Example payloads are data; a property *named* "example" is structure.
      if (childKey === "example" && key !== "properties") continue;
      if (childKey === "value" && parentKey === "examples") continue;
      scan(child, childKey, key);
    }
  };
  if (isObject(doc)) for (const [key, value] of Object.entries(doc)) if (key !== "components") scan(value, key, undefined);
  while (queue.length > 0) scan(queue.shift(), undefined, undefined);
  return reached;
}
