/**
 * Extensible enums, defined once. An enum is extensible when its schema says so with
 * `x-ms-enum.modelAsString: true` (the marking the official Call Automation definition uses
 * for every enum): the listed values are the ones this API version knows, and a consumer must
 * accept others. Types (open unions), validators (closed for what we send, open for what we
 * read), the lint gate, the reference page and spec:diff all ask this module.
 */
import { isObject, type Schema } from "./document.ts";
import { deref } from "./pointer.ts";

/** One value of an enum with its description (from `x-ms-enum.values`, empty when not described). */
export interface EnumValue {
  value: unknown;
  description: string;
}

/** What a schema declares about its enum. */
export interface EnumInfo {
  /** `x-ms-enum.name`, when given. */
  name: string | undefined;
  /** Whether values beyond `values` may arrive. */
  extensible: boolean;
  /** The values in the order the spec lists them, each with its description. */
  values: EnumValue[];
}

/** Whether a schema declares an extensible enum. */
export function isExtensibleEnum(schema: unknown): boolean {
  return isObject(schema) && Array.isArray(schema.enum) && isObject(schema["x-ms-enum"]) && schema["x-ms-enum"].modelAsString === true;
}

/** The enum a schema declares itself (not through a `$ref`), or undefined. */
export function enumOf(schema: unknown): EnumInfo | undefined {
  if (!isObject(schema) || !Array.isArray(schema.enum)) return undefined;
  const marking = isObject(schema["x-ms-enum"]) ? (schema["x-ms-enum"] as NonNullable<Schema["x-ms-enum"]>) : undefined;
  const described = new Map<unknown, string>();
  for (const entry of Array.isArray(marking?.values) ? marking.values : []) {
    if (isObject(entry) && "value" in entry) described.set(entry.value, typeof entry.description === "string" ? entry.description : "");
  }
  return {
    name: typeof marking?.name === "string" && marking.name !== "" ? marking.name : undefined,
    extensible: isExtensibleEnum(schema),
    values: schema.enum.map((value: unknown) => ({ value, description: described.get(value) ?? "" })),
  };
}

/**
 * The enum a schema stands for without declaring it: a `$ref` to one, a one-member `allOf`
 * (how this spec gives a `$ref` a description of its own), or an array of one.
 */
export function referencedEnum(doc: unknown, schema: unknown, depth = 0): EnumInfo | undefined {
  if (!isObject(schema) || depth > 8) return undefined;
  if (typeof schema.$ref === "string") {
    const target = deref(doc, schema);
    return enumOf(target) ?? referencedEnum(doc, target, depth + 1);
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length === 1) return enumOf(deref(doc, schema.allOf[0])) ?? referencedEnum(doc, schema.allOf[0], depth + 1);
  if (schema.type === "array") return enumOf(deref(doc, schema.items)) ?? referencedEnum(doc, schema.items, depth + 1);
  return undefined;
}
