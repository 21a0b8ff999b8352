/**
 * Compares two schemas after resolving `$ref`s, applying the rules of rules.ts at every node.
 *
 * Component schemas are compared once, in their own section, with the directions they are used
 * in; a use of the same component on both sides is not compared again where it is used, so a
 * change shows up once. A use that switches to another component, or to an inline schema, is
 * compared structurally on the spot.
 */
import { componentName, schemaUsage, unwrap } from "../../core/src/index.ts";
import type { Change, Direction } from "./model.ts";
import { pointer } from "./model.ts";
import {
  alternativesRule,
  constraintRule,
  discriminatorRule,
  docsRule,
  enumRule,
  formatRule,
  inheritanceRule,
  isExtensible,
  modifierRule,
  propertyRule,
  resolveFinding,
  typeOf,
  typeRule,
  type Finding,
} from "./rules.ts";

export { componentName, unwrap };

export interface Flat {
  /** Each property with its path below the schema (`properties/x` or `allOf/1/properties/x`). */
  properties: Record<string, { schema: any; path: Array<string | number> }>;
  required: Set<string>;
  /** Component names inherited through `allOf: [{$ref}]` members. */
  inherits: Set<string>;
}

/** An object schema's own properties plus those of its inline `allOf` members. */
export function flatten(schema: any): Flat {
  const flat: Flat = { properties: {}, required: new Set(), inherits: new Set() };
  const take = (part: any, base: Array<string | number>) => {
    for (const [name, property] of Object.entries<any>(part?.properties ?? {})) flat.properties[name] = { schema: property, path: [...base, "properties", name] };
    for (const name of Array.isArray(part?.required) ? part.required : []) flat.required.add(name);
  };
  take(schema, []);
  (Array.isArray(schema?.allOf) ? schema.allOf : []).forEach((member: any, index: number) => {
    const name = componentName(member?.$ref);
    if (name) flat.inherits.add(name);
    else take(member, ["allOf", index]);
  });
  return flat;
}

export interface WalkContext {
  base: any;
  head: any;
  emit(change: Change): void;
  /** Structural comparisons already running, by pair of schemas: recursive schemas stop here. */
  active?: Set<string>;
}

function component(doc: any, name: string): any {
  return doc?.components?.schemas?.[name];
}

/** Emits the findings of rules at a location, resolved for the given directions. */
export function emitFindings(ctx: WalkContext, findings: Finding[], location: Array<string | number>, directions: ReadonlySet<Direction>): void {
  for (const finding of findings) {
    const effect = resolveFinding(finding, directions);
    ctx.emit({ id: effect.id, level: effect.level, location: pointer(...location, ...(finding.at ?? [])), message: `${finding.what}: ${effect.why}` });
  }
}

/**
 * Compares `before` (from the base document) with `after` (from the head document) at
 * `location` (pointer segments into the head document). With `inline`, a `$ref` to the same
 * component on both sides is compared too (used for the component itself).
 */
export function compareSchemas(
  ctx: WalkContext,
  before: any,
  after: any,
  location: Array<string | number>,
  directions: ReadonlySet<Direction>,
  inline = false,
): void {
  const b = unwrap(before);
  const a = unwrap(after);
  if (b === undefined || a === undefined) return;
  const [fromName, toName] = [componentName(b.$ref), componentName(a.$ref)];
  if (fromName || toName) {
    if (fromName && fromName === toName && !inline) {
      // The component is compared in its own section; only what the use adds beside the $ref.
      emitFindings(ctx, [...docsRule(b, a), ...modifierRule(b, a)], location, directions);
      return;
    }
    const key = `${fromName ?? pointer(...location)}|${toName ?? pointer(...location)}`;
    ctx.active ??= new Set();
    if (ctx.active.has(key)) return;
    ctx.active.add(key);
    try {
      const resolvedBefore = fromName ? { ...component(ctx.base, fromName), ...withoutRef(b) } : b;
      const resolvedAfter = toName ? { ...component(ctx.head, toName), ...withoutRef(a) } : a;
      compareInline(ctx, resolvedBefore, resolvedAfter, location, directions);
    } finally {
      ctx.active.delete(key);
    }
    return;
  }
  compareInline(ctx, b, a, location, directions);
}

function withoutRef(schema: any): any {
  const { $ref: _ref, ...rest } = schema;
  return rest;
}

function compareInline(ctx: WalkContext, b: any, a: any, location: Array<string | number>, directions: ReadonlySet<Direction>): void {
  const type = typeRule(b, a);
  emitFindings(ctx, docsRule(b, a), location, directions);
  if (type.length > 0) {
    // Nothing below a changed type is comparable.
    emitFindings(ctx, type, location, directions);
    return;
  }
  emitFindings(ctx, [...formatRule(b, a), ...enumRule(b, a), ...constraintRule(b, a), ...modifierRule(b, a)], location, directions);

  if (typeOf(a) === "object" || typeOf(b) === "object" || b.allOf || a.allOf) {
    const [fb, fa] = [flatten(b), flatten(a)];
    const readOnly = (side: "before" | "after", name: string) => {
      const property = (side === "before" ? fb : fa).properties[name]?.schema;
      return unwrap(property)?.readOnly === true;
    };
    const properties = propertyRule(
      { properties: Object.fromEntries(Object.entries(fb.properties).map(([k, v]) => [k, v.schema])), required: fb.required },
      { properties: Object.fromEntries(Object.entries(fa.properties).map(([k, v]) => [k, v.schema])), required: fa.required },
      readOnly,
    );
    for (const finding of properties) {
      // Point at where the property is written (or was, for removals).
      const name = String(finding.at?.[1]);
      const path = (fa.properties[name] ?? fb.properties[name])!.path;
      emitFindings(ctx, [{ ...finding, at: path.map(String) }], location, directions);
    }
    emitFindings(ctx, inheritanceRule(fb.inherits, fa.inherits), location, directions);
    for (const [name, { schema, path }] of Object.entries(fa.properties)) {
      const old = fb.properties[name];
      if (old) compareSchemas(ctx, old.schema, schema, [...location, ...path], directions);
    }
    if (typeof b.additionalProperties === "object" && typeof a.additionalProperties === "object") {
      compareSchemas(ctx, b.additionalProperties, a.additionalProperties, [...location, "additionalProperties"], directions);
    }
  }

  const discriminatorProperty = a.discriminator?.propertyName ? flatten(a).properties[a.discriminator.propertyName]?.schema : undefined;
  const propertySchema = unwrap(discriminatorProperty);
  const extensible = isExtensible(componentName(propertySchema?.$ref) ? component(ctx.head, componentName(propertySchema.$ref)!) : propertySchema);
  emitFindings(ctx, discriminatorRule(b, a, extensible), location, directions);

  if (b.items || a.items) compareSchemas(ctx, b.items, a.items, [...location, "items"], directions);

  for (const keyword of ["oneOf", "anyOf"] as const) {
    const label = (members: any[] | undefined) => (members ?? []).map((member, index) => componentName(member?.$ref) ?? `#${index}`);
    const [from, to] = [label(b[keyword]), label(a[keyword])];
    emitFindings(ctx, alternativesRule(keyword, from, to), location, directions);
    (a[keyword] ?? []).forEach((member: any, index: number) => {
      if (!componentName(member?.$ref) && b[keyword]?.[index] && !componentName(b[keyword][index]?.$ref)) {
        compareSchemas(ctx, b[keyword][index], member, [...location, keyword, index], directions);
      }
    });
  }
}

/** The directions each component schema is used in (the OpenAPI core's reading, callbacks included). */
export { schemaUsage };
