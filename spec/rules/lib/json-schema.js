// @ts-check
/**
 * OpenAPI 3.0 Schema Objects -> JSON Schema (draft-07) as Ajv validates it.
 *
 * OpenAPI 3.0 schemas are "an extended subset" of JSON Schema: `nullable`, `readOnly` in
 * `required`, and above all `discriminator` have meanings JSON Schema lacks. This module is the
 * one place that gives them those meanings, so that example validation in the lint gate and
 * request validation in the server agree on what the contract accepts.
 *
 * Polymorphism: a base schema with `discriminator.mapping` (and no `oneOf`) is turned into a
 * dispatcher: `if transportType == "websocket" then WebSocket... else <base>`. A subtype named
 * in that mapping inherits with `allOf: [{$ref: base}]` at its top level; that one reference
 * points at the plain base (kept in `$defs`) so that the dispatch does not recurse into itself.
 * Every other reference to the base, including the `allOf: [{$ref}]` wrapper that keeps a
 * property's description, is a use of the polymorphic type and dispatches.
 */
import { Ajv } from "ajv";
import { isObject } from "./openapi.js";

/** The `$id` under which the converted components are registered in Ajv. */
export const SPEC_SCHEMA_ID = "urn:acs-connect:openapi";

const COMPONENT_PREFIX = "#/components/schemas/";

/** @type {ReadonlySet<string>} */
const NONE = new Set();

/** OpenAPI-only keywords with no JSON Schema meaning; dropped so Ajv's strict mode stays on. */
const DROPPED_KEYWORDS = new Set(["example", "discriminator", "xml", "externalDocs", "nullable"]);

/**
 * Formats the document uses. `date-time-rfc1123` is Azure's name for the IMF-fixdate form of
 * HTTP-date (RFC 7231 section 7.1.1.1); `Date#toUTCString` produces exactly that form, so a
 * round trip checks weekday, zero padding and range in one comparison.
 * @type {Record<string, (value: string) => boolean>}
 */
export const FORMATS = {
  uuid: (value) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value),
  "date-time-rfc1123": (value) => {
    const time = Date.parse(value);
    return !Number.isNaN(time) && new Date(time).toUTCString() === value;
  },
};

/**
 * @typedef {object} ConvertOptions
 * @property {"closed" | "open"} [enums] `closed` (default) accepts only the listed values;
 *   `open` accepts any string for enums marked extensible (`x-ms-enum.modelAsString`).
 * @property {"request" | "response"} [direction] which of `readOnly` / `writeOnly`
 *   properties stop being required (OpenAPI 3.0.3, Fixed Fields of the Schema Object).
 * @property {boolean} [annotations] keep `description` and `title` (default true); compiled
 *   validators drop them to stay small.
 */

/**
 * A discriminator mapping value as a `$ref`: OpenAPI allows a full reference or the bare name
 * of a component schema.
 * @param {unknown} target
 */
export function mappingTargetRef(target) {
  const text = String(target);
  return text.includes("/") || text.startsWith("#") ? text : `${COMPONENT_PREFIX}${text}`;
}

/** @param {any} schema */
export function isExtensibleEnum(schema) {
  return isObject(schema) && isObject(schema["x-ms-enum"]) && schema["x-ms-enum"].modelAsString === true;
}

/**
 * Names of component schemas that dispatch on a discriminator mapping.
 * @param {any} doc
 */
function polymorphicBases(doc) {
  const bases = new Set();
  const schemas = doc?.components?.schemas;
  if (!isObject(schemas)) return bases;
  for (const [name, schema] of Object.entries(schemas)) {
    if (isObject(schema?.discriminator?.mapping) && !schema.oneOf && !schema.anyOf) bases.add(name);
  }
  return bases;
}

/**
 * @param {any} doc
 * @param {ConvertOptions} options
 */
function createConverter(doc, options) {
  const bases = polymorphicBases(doc);
  const enums = options.enums ?? "closed";
  const direction = options.direction ?? "request";
  const annotations = options.annotations ?? true;

  /**
   * @param {string} ref
   * @param {ReadonlySet<string>} inherited bases this reference inherits from (not uses)
   * @param {string} prefix
   */
  function rewriteRef(ref, inherited, prefix) {
    if (!ref.startsWith(COMPONENT_PREFIX)) {
      throw new Error(`Unsupported $ref "${ref}": only ${COMPONENT_PREFIX}* references are supported`);
    }
    const name = ref.slice(COMPONENT_PREFIX.length);
    if (!isObject(doc?.components?.schemas?.[name])) throw new Error(`Dangling $ref "${ref}"`);
    const pointerName = name.replace(/~/g, "~0").replace(/\//g, "~1");
    return `${prefix}#/${inherited.has(name) ? "$defs" : "definitions"}/${pointerName}`;
  }

  /**
   * @param {any} node
   * @param {string} prefix "" inside the converted document, SPEC_SCHEMA_ID from outside it
   * @param {ReadonlySet<string>} [inherits] for a component's top level: the bases whose
   *   mapping names it, which its own `allOf` inherits from
   * @param {ReadonlySet<string>} [inherited] the bases a `$ref` at this node inherits from
   * @returns {any}
   */
  function convert(node, prefix, inherits = NONE, inherited = NONE) {
    if (!isObject(node)) return node;
    if (typeof node.$ref === "string") return { $ref: rewriteRef(node.$ref, inherited, prefix) };
    /** @type {Record<string, any>} */
    const out = {};
    for (const [key, value] of Object.entries(node)) {
      if (key.startsWith("x-") || DROPPED_KEYWORDS.has(key)) continue;
      if (!annotations && (key === "description" || key === "title")) continue;
      switch (key) {
        case "properties":
          out.properties = Object.fromEntries(
            Object.entries(value ?? {}).map(([name, property]) => [name, convert(property, prefix)]),
          );
          break;
        case "items":
        case "not":
          out[key] = convert(value, prefix);
          break;
        case "additionalProperties":
          out[key] = typeof value === "boolean" ? value : convert(value, prefix);
          break;
        case "allOf":
          out.allOf = value.map((/** @type {any} */ member) => convert(member, prefix, NONE, inherits));
          break;
        case "oneOf":
        case "anyOf":
          out[key] = value.map((/** @type {any} */ member) => convert(member, prefix));
          break;
        case "enum":
          if (!(enums === "open" && isExtensibleEnum(node))) out.enum = value;
          break;
        case "required": {
          const skip = direction === "request" ? "readOnly" : "writeOnly";
          const required = value.filter(
            (/** @type {string} */ name) => node.properties?.[name]?.[skip] !== true,
          );
          if (required.length > 0) out.required = required;
          break;
        }
        default:
          out[key] = value;
      }
    }
    if (node.nullable === true) {
      if (typeof out.type === "string") out.type = [out.type, "null"];
      if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
    }
    return out;
  }

  /**
   * @param {string} name
   * @param {any} schema
   */
  function dispatcher(name, schema) {
    const property = schema.discriminator.propertyName;
    const pointerName = name.replace(/~/g, "~0").replace(/\//g, "~1");
    /** @type {any} */
    let chain = { $ref: `#/$defs/${pointerName}` };
    for (const [value, target] of Object.entries(schema.discriminator.mapping).reverse()) {
      chain = {
        if: { type: "object", properties: { [property]: { const: value } }, required: [property] },
        then: { $ref: rewriteRef(mappingTargetRef(target), NONE, "") },
        else: chain,
      };
    }
    return chain;
  }

  /**
   * The bases whose discriminator mapping names `name`.
   * @param {string} name
   */
  function basesMapping(name) {
    const found = new Set();
    for (const base of bases) {
      const mapping = doc.components.schemas[base].discriminator.mapping;
      for (const target of Object.values(mapping)) {
        if (mappingTargetRef(target) === `${COMPONENT_PREFIX}${name}`) found.add(base);
      }
    }
    return found;
  }

  return { convert, dispatcher, bases, basesMapping };
}

/**
 * Converts `components.schemas` of an OpenAPI 3.0 document into one JSON Schema document:
 * each component at `#/definitions/<name>`, plain polymorphic bases at `#/$defs/<name>`.
 * @param {any} doc
 * @param {ConvertOptions & { id?: string }} [options] `id` replaces {@link SPEC_SCHEMA_ID}, so
 *   that one Ajv instance can hold several conversions of the same document.
 */
export function toJsonSchema(doc, options = {}) {
  const { convert, dispatcher, bases, basesMapping } = createConverter(doc, options);
  /** @type {Record<string, any>} */
  const definitions = {};
  /** @type {Record<string, any>} */
  const $defs = {};
  for (const [name, schema] of Object.entries(doc?.components?.schemas ?? {})) {
    const converted = convert(schema, "", basesMapping(name));
    if (bases.has(name)) {
      $defs[name] = converted;
      definitions[name] = dispatcher(name, schema);
    } else {
      definitions[name] = converted;
    }
  }
  return { $id: options.id ?? SPEC_SCHEMA_ID, definitions, $defs };
}

/**
 * Renders an instance path as `$.a.b[0]` for messages people read.
 * @param {(string|number)[]} path
 */
export function formatJsonPath(path) {
  let out = "$";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(segment)) out += `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/**
 * @typedef {object} ValidationIssue
 * @property {(string|number)[]} path  where in the value the problem is
 * @property {string} message          what is wrong, readable on its own
 * @property {string} keyword          the JSON Schema keyword that failed
 */

/**
 * Turns Ajv errors into one issue per problem, pointing at the property at fault (a missing
 * required property is reported at its own path, not at its parent).
 * @param {import("ajv").ErrorObject[] | null | undefined} errors
 * @returns {ValidationIssue[]}
 */
export function toIssues(errors) {
  /** @type {ValidationIssue[]} */
  const issues = [];
  const seen = new Set();
  for (const error of errors ?? []) {
    // if/then dispatch reports the subtype's own errors too; the wrapper adds nothing.
    if (error.keyword === "if") continue;
    /** @type {(string|number)[]} */
    const path = error.instancePath
      .split("/")
      .slice(1)
      .map((token) => token.replace(/~1/g, "/").replace(/~0/g, "~"))
      .map((token) => (/^\d+$/.test(token) ? Number(token) : token));
    let message = error.message ?? "is invalid";
    switch (error.keyword) {
      case "required":
        path.push(error.params.missingProperty);
        message = "is required";
        break;
      case "enum":
        message = `must be one of: ${error.params.allowedValues.map(String).join(", ")}`;
        break;
      case "const":
        message = `must be ${JSON.stringify(error.params.allowedValue)}`;
        break;
      case "format":
        message = `must be a valid ${error.params.format}`;
        break;
    }
    const key = `${path.join("\u0000")}\u0001${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push({ path, message, keyword: error.keyword });
  }
  return issues;
}

/**
 * A validator for values against schemas of one OpenAPI document. Schemas are compiled once
 * and cached by their JSON text.
 * @param {any} doc
 * @param {ConvertOptions} [options]
 */
export function createValidator(doc, options = {}) {
  const ajv = new Ajv({ allErrors: true, strict: true, formats: FORMATS });
  ajv.addSchema(toJsonSchema(doc, options));
  const { convert } = createConverter(doc, options);
  /** @type {Map<string, import("ajv").ValidateFunction>} */
  const cache = new Map();
  return {
    /**
     * @param {any} schema an OpenAPI Schema Object from `doc` (may `$ref` components)
     * @param {unknown} value
     * @returns {ValidationIssue[]}
     */
    validate(schema, value) {
      const key = JSON.stringify(schema);
      const compiled = cache.get(key) ?? ajv.compile(convert(schema, SPEC_SCHEMA_ID));
      cache.set(key, compiled);
      return compiled(value) ? [] : toIssues(compiled.errors);
    },
  };
}
