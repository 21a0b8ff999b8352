/**
 * OpenAPI 3.0 Schema Objects -> JSON Schema (draft-07) as Ajv validates it.
 *
 * OpenAPI 3.0 schemas are "an extended subset" of JSON Schema: `nullable`, `readOnly` in
 * `required`, and above all `discriminator` have meanings JSON Schema lacks. This module is the
 * one place that gives them those meanings, so that example validation in the lint gate and
 * the server's compiled validators agree on what the contract accepts.
 *
 * Polymorphism: a base with a discriminator mapping becomes a dispatcher:
 * `if transportType == "websocket" then WebSocket... else <base>`. A subtype named in that
 * mapping inherits with `allOf: [{$ref: base}]` at its top level; that one reference points at
 * the plain base (kept in `$defs`) so that the dispatch does not recurse into itself. Every
 * other reference to the base, including the `allOf: [{$ref}]` wrapper that keeps a property's
 * description, is a use of the polymorphic type and dispatches.
 */
import { Ajv, type ValidateFunction } from "ajv";
import { isObject } from "./document.ts";
import { isExtensibleEnum } from "./enums.ts";
import { basesMapping, polymorphicBases, type PolymorphicBase } from "./polymorphism.ts";
import { componentName, componentRef, pointer } from "./pointer.ts";
import { FORMATS, issuesOf, type ValidationIssue } from "./runtime.ts";

/** The `$id` under which the converted components are registered in Ajv. */
export const SPEC_SCHEMA_ID = "urn:acs-connect:openapi";

const NONE: ReadonlySet<string> = new Set();

/** OpenAPI-only keywords with no JSON Schema meaning; dropped so Ajv's strict mode stays on. */
const DROPPED_KEYWORDS = new Set(["example", "discriminator", "xml", "externalDocs", "nullable"]);

export interface ConvertOptions {
  /** `closed` (default) accepts only the listed values; `open` accepts any string for extensible enums. */
  enums?: "closed" | "open";
  /** Which of `readOnly` / `writeOnly` properties stop being required (OpenAPI 3.0.3, Schema Object). */
  direction?: "request" | "response";
  /** Keep `description` and `title` (default true); compiled validators drop them to stay small. */
  annotations?: boolean;
}

/** Ajv's `formats` option for the contract's formats, from the one definition in runtime.ts. */
export const ajvFormats: Record<string, (value: string) => boolean> = Object.fromEntries(
  Object.entries(FORMATS).map(([name, format]) => [name, (value: string) => format.check(value)]),
);

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
/** OpenAPI 3.0.3's formats of `integer` and `number` (Data Types): widths, which a JSON validator checks as ranges or not at all. */
const NUMERIC_FORMATS = new Set(["int32", "int64", "float", "double"]);

/** A component name as one JSON Pointer token. */
const escapeName = (name: string) => pointer(name).slice(2);

function createConverter(doc: any, options: ConvertOptions) {
  const bases = polymorphicBases(doc);
  const enums = options.enums ?? "closed";
  const direction = options.direction ?? "request";
  const annotations = options.annotations ?? true;

  /** `inherited`: the bases this reference inherits from (not uses). */
  function rewriteRef(ref: string, inherited: ReadonlySet<string>, prefix: string): string {
    const name = componentName(ref);
    if (name === undefined) throw new Error(`Unsupported $ref "${ref}": only ${componentRef("*")} references are supported`);
    if (!isObject(doc?.components?.schemas?.[name])) throw new Error(`Dangling $ref "${ref}"`);
    return `${prefix}#/${inherited.has(name) ? "$defs" : "definitions"}/${escapeName(name)}`;
  }

  /**
   * `prefix`: "" inside the converted document, SPEC_SCHEMA_ID from outside it; `inherits`: for
   * a component's top level, the bases whose mapping names it; `inherited`: the bases a `$ref`
   * at this node inherits from.
   */
  function convert(node: any, prefix: string, inherits: ReadonlySet<string> = NONE, inherited: ReadonlySet<string> = NONE): any {
    if (!isObject(node)) return node;
    if (typeof node.$ref === "string") return { $ref: rewriteRef(node.$ref, inherited, prefix) };
    const out: Record<string, any> = {};
    for (const [key, value] of Object.entries(node)) {
      if (key.startsWith("x-") || DROPPED_KEYWORDS.has(key)) continue;
      if (!annotations && (key === "description" || key === "title")) continue;
      switch (key) {
        case "properties":
          out.properties = Object.fromEntries(Object.entries(value ?? {}).map(([name, property]) => [name, convert(property, prefix)]));
          break;
        case "items":
        case "not":
          out[key] = convert(value, prefix);
          break;
        case "additionalProperties":
          out[key] = typeof value === "boolean" ? value : convert(value, prefix);
          break;
        case "allOf":
          out.allOf = (value as any[]).map((member) => convert(member, prefix, NONE, inherits));
          break;
        case "oneOf":
        case "anyOf":
          out[key] = (value as any[]).map((member) => convert(member, prefix));
          break;
        case "enum":
          if (!(enums === "open" && isExtensibleEnum(node))) out.enum = value;
          break;
        case "required": {
          const skip = direction === "request" ? "readOnly" : "writeOnly";
          const required = (value as string[]).filter((name) => node.properties?.[name]?.[skip] !== true);
          if (required.length > 0) out.required = required;
          break;
        }
        case "format":
          // OpenAPI's numeric formats are ranges, not string formats Ajv knows: int32 is a signed 32-bit integer.
          if (value === "int32" && (node.type === "integer" || node.type === "number")) {
            out.minimum ??= INT32_MIN;
            out.maximum ??= INT32_MAX;
          } else if (!(NUMERIC_FORMATS.has(value) && (node.type === "integer" || node.type === "number"))) {
            out.format = value;
          }
          break;
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

  function dispatcher(base: PolymorphicBase): any {
    let chain: any = { $ref: `#/$defs/${escapeName(base.name)}` };
    for (const { value, schema } of [...base.subtypes].reverse()) {
      chain = {
        if: { type: "object", properties: { [base.property]: { const: value } }, required: [base.property] },
        then: { $ref: rewriteRef(componentRef(schema), NONE, "") },
        else: chain,
      };
    }
    return chain;
  }

  return { convert, dispatcher, bases };
}

/**
 * Converts `components.schemas` of an OpenAPI 3.0 document into one JSON Schema document: each
 * component at `#/definitions/<name>`, plain polymorphic bases at `#/$defs/<name>`. `id`
 * replaces {@link SPEC_SCHEMA_ID}, so that one Ajv instance can hold several conversions.
 */
export function toJsonSchema(doc: any, options: ConvertOptions & { id?: string } = {}): { $id: string; definitions: Record<string, any>; $defs: Record<string, any> } {
  const { convert, dispatcher, bases } = createConverter(doc, options);
  const definitions: Record<string, any> = {};
  const $defs: Record<string, any> = {};
  for (const [name, schema] of Object.entries<any>(doc?.components?.schemas ?? {})) {
    const converted = convert(schema, "", basesMapping(bases, name));
    const base = bases.get(name);
    if (base) {
      $defs[name] = converted;
      definitions[name] = dispatcher(base);
    } else {
      definitions[name] = converted;
    }
  }
  return { $id: options.id ?? SPEC_SCHEMA_ID, definitions, $defs };
}

/** A validator for values against schemas of one document; schemas compile once, cached by their JSON text. */
export interface SchemaValidatorSet {
  /** `schema`: an OpenAPI Schema Object of the document (may `$ref` components). */
  validate(schema: unknown, value: unknown): ValidationIssue[];
}

export function createValidator(doc: any, options: ConvertOptions = {}): SchemaValidatorSet {
  const ajv = new Ajv({ allErrors: true, strict: true, formats: ajvFormats });
  ajv.addSchema(toJsonSchema(doc, options));
  const { convert } = createConverter(doc, options);
  const cache = new Map<string, ValidateFunction>();
  return {
    validate(schema, value) {
      const key = JSON.stringify(schema);
      const compiled = cache.get(key) ?? ajv.compile(convert(schema, SPEC_SCHEMA_ID));
      cache.set(key, compiled);
      return compiled(value) ? [] : issuesOf(compiled.errors);
    },
  };
}
