/**
 * Polymorphism: a component schema with a `discriminator` that maps each value explicitly to a
 * subtype (`mapping: { websocket: WebSocketMediaStreamingOptions }`) and no `oneOf`/`anyOf` is
 * a polymorphic base. A use of the base means "one of the mapped subtypes"; a subtype inherits
 * from the base with `allOf: [{ $ref: base }]`.
 */
import { isObject } from "./document.ts";
import { componentName, componentRef } from "./pointer.ts";

/** A discriminator mapping value as a `$ref`: OpenAPI allows a reference or the bare name of a component schema. */
export function mappingTargetRef(target: unknown): string {
  const text = String(target);
  return text.includes("/") || text.startsWith("#") ? text : componentRef(text);
}

/** A polymorphic base schema. */
export interface PolymorphicBase {
  /** The component name of the base. */
  name: string;
  /** The discriminator property. */
  property: string;
  /** Each discriminator value with the component name of its subtype, in the order the spec lists them. */
  subtypes: Array<{ value: string; schema: string }>;
}

/** The polymorphic bases of a document, by component name. */
export function polymorphicBases(doc: any): Map<string, PolymorphicBase> {
  const bases = new Map<string, PolymorphicBase>();
  for (const [name, schema] of Object.entries<any>(isObject(doc?.components?.schemas) ? doc.components.schemas : {})) {
    const mapping = schema?.discriminator?.mapping;
    if (!isObject(mapping) || schema.oneOf || schema.anyOf) continue;
    const subtypes = Object.entries(mapping).flatMap(([value, target]) => {
      const subtype = componentName(mappingTargetRef(target));
      return subtype === undefined ? [] : [{ value, schema: subtype }];
    });
    bases.set(name, { name, property: String(schema.discriminator.propertyName), subtypes });
  }
  return bases;
}

/** The bases whose mapping names `schema` (a component name). */
export function basesMapping(bases: Map<string, PolymorphicBase>, schema: string): Set<string> {
  const found = new Set<string>();
  for (const base of bases.values()) if (base.subtypes.some((subtype) => subtype.schema === schema)) found.add(base.name);
  return found;
}

/** The `$ref` a schema uses directly or through a one-member `allOf` wrapper (the one that keeps a description). */
export function usedRef(schema: unknown): string | undefined {
  if (!isObject(schema)) return undefined;
  if (typeof schema.$ref === "string") return schema.$ref;
  if (Array.isArray(schema.allOf) && schema.allOf.length === 1 && typeof schema.allOf[0]?.$ref === "string") return schema.allOf[0].$ref;
  return undefined;
}

/** Keywords that only annotate: a one-member `allOf` beside nothing else is just a `$ref`. */
const ANNOTATIONS = new Set(["description", "title", "example", "examples", "externalDocs", "deprecated", "readOnly", "writeOnly", "nullable", "default"]);

/** `allOf: [{$ref}]` with only annotations beside it (the wrapper that keeps a description) is seen as the `$ref` with those annotations. */
export function unwrap(schema: any): any {
  if (!isObject(schema) || schema.$ref || !Array.isArray(schema.allOf) || schema.allOf.length !== 1) return schema;
  const [member] = schema.allOf;
  if (typeof member?.$ref !== "string") return schema;
  if (Object.keys(schema).some((key) => key !== "allOf" && !ANNOTATIONS.has(key) && !key.startsWith("x-"))) return schema;
  const { allOf: _allOf, ...siblings } = schema;
  return { ...siblings, $ref: member.$ref };
}
