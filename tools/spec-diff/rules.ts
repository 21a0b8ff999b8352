/**
 * The classification rules of `pnpm spec:diff` for schemas, each a small pure function of the
 * schema before and after, tested on its own (scripts/test/spec-diff/).
 *
 * Rules are direction-aware: a change can break clients that send a value (request) and not
 * those that receive it (response), or the other way round. A rule therefore says what the
 * change means in each direction; the walker (schema.ts) applies the directions the schema is
 * used in and keeps the worst.
 */
import { isExtensibleEnum } from "../../core/src/index.ts";
import type { Direction, Level } from "./model.ts";

/** What a change means in one direction. */
export interface Effect {
  id: string;
  level: Level;
  /** Why it has this level, said to the API team. */
  why: string;
}

/** One finding of a rule: what changed, and its effect per direction. */
export interface Finding {
  /** Appended to the location (e.g. `/properties/kind`) when the change is below the node compared. */
  at?: string[];
  what: string;
  request: Effect;
  response: Effect;
}

const effect = (id: string, level: Level, why: string): Effect => ({ id, level, why });

/** The same effect in both directions. */
const both = (id: string, level: Level, why: string): Pick<Finding, "request" | "response"> => ({
  request: effect(`request-${id}`, level, why),
  response: effect(`response-${id}`, level, why),
});

const show = (value: unknown): string => JSON.stringify(value);

const UPPER_BOUNDS = ["maxLength", "maxItems", "maximum", "maxProperties"] as const;
const LOWER_BOUNDS = ["minLength", "minItems", "minimum", "minProperties"] as const;

/** Whether an enum is extensible: the OpenAPI core's one definition. */
export const isExtensible = isExtensibleEnum;

/** The JSON type a schema declares, inferring `object` from `properties` and `array` from `items`. */
export function typeOf(schema: any): string | undefined {
  if (typeof schema?.type === "string") return schema.type;
  if (schema?.properties || schema?.additionalProperties !== undefined) return "object";
  if (schema?.items) return "array";
  return undefined;
}

// ---------------------------------------------------------------------------------------------

/** `type` changed: every client on either side sees a different kind of value. */
export function typeRule(before: any, after: any): Finding[] {
  const [from, to] = [typeOf(before), typeOf(after)];
  if (from === to || from === undefined) return [];
  return [{ what: `type changed from ${from} to ${to}`, ...both("type-changed", "breaking", "values of the old type are no longer valid") }];
}

/** `format` changed, added or removed. */
export function formatRule(before: any, after: any): Finding[] {
  const [from, to] = [before?.format, after?.format];
  if (from === to) return [];
  if (from === undefined) {
    return [
      {
        what: `format ${show(to)} added`,
        request: effect("request-format-added", "breaking", "values clients send without that format are refused"),
        response: effect("response-format-added", "non-breaking", "clients receive values of a narrower form"),
      },
    ];
  }
  if (to === undefined) {
    return [
      {
        what: `format ${show(from)} removed`,
        request: effect("request-format-removed", "non-breaking", "more values are accepted"),
        response: effect("response-format-removed", "breaking", "clients may receive values that do not have the format they parse"),
      },
    ];
  }
  return [{ what: `format changed from ${show(from)} to ${show(to)}`, ...both("format-changed", "breaking", "values in the old format are no longer valid") }];
}

/** Values added to or removed from an enum, and changes of its extensibility. */
export function enumRule(before: any, after: any): Finding[] {
  const findings: Finding[] = [];
  const from: unknown[] | undefined = Array.isArray(before?.enum) ? before.enum : undefined;
  const to: unknown[] | undefined = Array.isArray(after?.enum) ? after.enum : undefined;
  const wasOpen = isExtensible(before);
  const isOpen = isExtensible(after);
  if (from && to) {
    for (const value of to.filter((v) => !from.includes(v))) {
      findings.push({
        what: `enum value ${show(value)} added${isOpen ? " (extensible enum)" : " (closed enum)"}`,
        request: effect("request-enum-value-added", "non-breaking", "clients may send one more value"),
        response: isOpen
          ? effect("response-enum-value-added", "non-breaking", "the enum is extensible, so clients already accept values they do not know")
          : effect("response-enum-value-added-closed", "breaking", "the enum is closed, so clients may not handle a value they did not know"),
      });
    }
    for (const value of from.filter((v) => !to.includes(v))) {
      findings.push({
        what: `enum value ${show(value)} removed`,
        request: effect("request-enum-value-removed", "breaking", "clients that send it are refused"),
        response: effect("response-enum-value-removed", "non-breaking", "clients only stop receiving a value"),
      });
    }
  } else if (!from && to) {
    findings.push({
      what: `enum added (${to.map(show).join(", ")})`,
      request: effect("request-enum-added", "breaking", "values outside the list are refused"),
      response: effect("response-enum-added", "non-breaking", "clients receive fewer distinct values"),
    });
  } else if (from && !to) {
    findings.push({
      what: "enum removed",
      request: effect("request-enum-removed", "non-breaking", "any value is accepted"),
      response: wasOpen
        ? effect("response-enum-removed", "non-breaking", "the enum was extensible, so clients already accept any value")
        : effect("response-enum-removed-closed", "breaking", "clients may receive values outside the closed list they handle"),
    });
  }
  if (from && to && wasOpen !== isOpen) {
    findings.push(
      isOpen
        ? {
            what: "enum became extensible",
            request: effect("request-enum-became-extensible", "non-breaking", "clients may send values beyond the listed ones"),
            response: effect("response-enum-became-extensible", "breaking", "clients must now handle values they do not know"),
          }
        : {
            what: "enum became closed (no longer extensible)",
            request: effect("request-enum-became-closed", "breaking", "typed clients may no longer send values beyond the list"),
            response: effect("response-enum-became-closed", "non-breaking", "clients receive only listed values"),
          },
    );
  }
  return findings;
}

/** Numeric and pattern constraints tightened (fewer values valid) or loosened. */
export function constraintRule(before: any, after: any): Finding[] {
  const findings: Finding[] = [];
  const tightened = (what: string): Finding => ({
    what,
    request: effect("request-constraint-tightened", "breaking", "values clients send today may be refused"),
    response: effect("response-constraint-tightened", "non-breaking", "clients receive a subset of what they accept"),
  });
  const loosened = (what: string): Finding => ({
    what,
    request: effect("request-constraint-loosened", "non-breaking", "more values are accepted"),
    response: effect("response-constraint-loosened", "breaking", "clients may receive values outside the range they rely on"),
  });
  // An absent bound is no bound: +Infinity above, 0 below for lengths and counts, -Infinity for minimum.
  const describe = (value: number) => (Number.isFinite(value) ? String(value) : "none");
  for (const keyword of [...UPPER_BOUNDS, ...LOWER_BOUNDS]) {
    const upper = (UPPER_BOUNDS as readonly string[]).includes(keyword);
    const none = upper ? Infinity : keyword === "minimum" ? -Infinity : 0;
    const from: number = before?.[keyword] ?? none;
    const to: number = after?.[keyword] ?? none;
    if (from === to) continue;
    const what = `${keyword} changed from ${describe(from)} to ${describe(to)}`;
    findings.push((upper ? to < from : to > from) ? tightened(what) : loosened(what));
  }
  for (const keyword of ["exclusiveMinimum", "exclusiveMaximum", "uniqueItems"] as const) {
    const [from, to] = [before?.[keyword] === true, after?.[keyword] === true];
    if (from !== to) findings.push(to ? tightened(`${keyword} set`) : loosened(`${keyword} unset`));
  }
  const [patternFrom, patternTo] = [before?.pattern, after?.pattern];
  if (patternFrom !== patternTo) {
    if (patternFrom === undefined) findings.push(tightened(`pattern ${show(patternTo)} added`));
    else if (patternTo === undefined) findings.push(loosened(`pattern ${show(patternFrom)} removed`));
    else {
      findings.push({
        what: `pattern changed from ${show(patternFrom)} to ${show(patternTo)}`,
        ...both("pattern-changed", "breaking", "values that matched the old pattern may not match the new one"),
      });
    }
  }
  const [multipleFrom, multipleTo] = [before?.multipleOf, after?.multipleOf];
  if (multipleFrom !== multipleTo) {
    if (multipleTo === undefined) findings.push(loosened(`multipleOf ${multipleFrom} removed`));
    else if (multipleFrom === undefined) findings.push(tightened(`multipleOf ${multipleTo} added`));
    else findings.push({ what: `multipleOf changed from ${multipleFrom} to ${multipleTo}`, ...both("multiple-of-changed", "breaking", "the set of valid values changed") });
  }
  findings.push(...additionalPropertiesRule(before, after));
  return findings;
}

/**
 * `additionalProperties: false` set or lifted. One rule with {@link propertyRule}: a receiver
 * ignores properties it does not know, so new properties in what clients receive never break
 * them, whether they come named (`property added`) or by lifting `additionalProperties: false`;
 * what clients send is refused only when an object becomes closed.
 */
export function additionalPropertiesRule(before: any, after: any): Finding[] {
  const closed = (schema: any) => schema?.additionalProperties === false;
  if (typeOf(before) !== "object" || closed(before) === closed(after)) return [];
  return [
    closed(after)
      ? {
          what: "additionalProperties set to false",
          request: effect("request-additional-properties-refused", "breaking", "requests with properties beyond the listed ones are refused"),
          response: effect("response-additional-properties-refused", "non-breaking", "clients receive only the listed properties"),
        }
      : {
          what: "additionalProperties no longer false",
          request: effect("request-additional-properties-allowed", "non-breaking", "more requests are accepted"),
          response: effect("response-additional-properties-allowed", "non-breaking", "clients ignore properties they do not know, as with a property added"),
        },
  ];
}

/** `nullable`, `readOnly`, `writeOnly` and `default`. */
export function modifierRule(before: any, after: any): Finding[] {
  const findings: Finding[] = [];
  const flag = (schema: any, keyword: string) => schema?.[keyword] === true;
  if (flag(before, "nullable") !== flag(after, "nullable")) {
    findings.push(
      flag(after, "nullable")
        ? {
            what: "became nullable",
            request: effect("request-became-nullable", "non-breaking", "clients may also send null"),
            response: effect("response-became-nullable", "breaking", "clients may receive null where they expect a value"),
          }
        : {
            what: "no longer nullable",
            request: effect("request-no-longer-nullable", "breaking", "clients that send null are refused"),
            response: effect("response-no-longer-nullable", "non-breaking", "clients no longer receive null"),
          },
    );
  }
  if (flag(before, "readOnly") !== flag(after, "readOnly")) {
    findings.push(
      flag(after, "readOnly")
        ? {
            what: "became readOnly",
            request: effect("request-became-read-only", "breaking", "clients may no longer send it"),
            response: effect("response-became-read-only", "non-breaking", "clients still receive it"),
          }
        : { what: "no longer readOnly", ...both("no-longer-read-only", "non-breaking", "clients may now also send it") },
    );
  }
  if (flag(before, "writeOnly") !== flag(after, "writeOnly")) {
    findings.push(
      flag(after, "writeOnly")
        ? {
            what: "became writeOnly",
            request: effect("request-became-write-only", "non-breaking", "clients still send it"),
            response: effect("response-became-write-only", "breaking", "clients no longer receive it"),
          }
        : { what: "no longer writeOnly", ...both("no-longer-write-only", "non-breaking", "clients may now also receive it") },
    );
  }
  if (show(before?.default) !== show(after?.default)) {
    findings.push({
      what: before?.default === undefined ? `default ${show(after.default)} added` : after?.default === undefined ? "default removed" : `default changed from ${show(before.default)} to ${show(after.default)}`,
      request: effect("request-default-changed", "breaking", "requests that leave it out now mean something else"),
      response: effect("response-default-changed", "docs", "a default on a received value is documentation"),
    });
  }
  return findings;
}

/** The same effect, under one id, in both directions: for changes whose meaning does not depend on direction. */
const alike = (id: string, level: Level, why: string): Pick<Finding, "request" | "response"> => ({
  request: effect(id, level, why),
  response: effect(id, level, why),
});

/** Documentation-only keywords. */
export function docsRule(before: any, after: any): Finding[] {
  const findings: Finding[] = [];
  for (const keyword of ["description", "title", "example", "externalDocs", "deprecated"] as const) {
    if (show(before?.[keyword]) === show(after?.[keyword])) continue;
    if (keyword === "deprecated") {
      findings.push({ what: after?.deprecated ? "deprecated" : "no longer deprecated", ...alike("deprecation-changed", "non-breaking", "it still works; clients are told whether to move on") });
      continue;
    }
    findings.push({ what: `${keyword} changed`, ...alike(`schema-${keyword === "externalDocs" ? "external-docs" : keyword}-changed`, "docs", "documentation only") });
  }
  // Descriptions of values on both sides: a value added or removed is the enum rule's business.
  const descriptions = (schema: any) => new Map<unknown, unknown>((schema?.["x-ms-enum"]?.values ?? []).map((entry: any) => [entry?.value, entry?.description]));
  const [from, to] = [descriptions(before), descriptions(after)];
  const changedValues = [...to.keys()].filter((value) => from.has(value) && from.get(value) !== to.get(value));
  if (changedValues.length > 0) {
    findings.push({ what: `description of enum value${changedValues.length > 1 ? "s" : ""} ${changedValues.map(show).join(", ")} changed`, ...alike("enum-value-description-changed", "docs", "documentation only") });
  }
  return findings;
}

/** Properties added or removed, and changes of the `required` list, of an object schema (flattened). */
export function propertyRule(
  before: { properties: Record<string, unknown>; required: Set<string> },
  after: { properties: Record<string, unknown>; required: Set<string> },
  readOnly: (side: "before" | "after", name: string) => boolean,
): Finding[] {
  const findings: Finding[] = [];
  for (const name of Object.keys(after.properties)) {
    if (name in before.properties) continue;
    const required = after.required.has(name);
    findings.push({
      at: ["properties", name],
      what: `property ${show(name)} added${required ? " as required" : ""}`,
      request:
        required && !readOnly("after", name)
          ? effect("request-property-added-required", "breaking", "requests without it are refused")
          : effect("request-property-added-optional", "non-breaking", "clients may leave it out"),
      response: effect("response-property-added", "non-breaking", "clients ignore properties they do not know"),
    });
  }
  for (const name of Object.keys(before.properties)) {
    if (name in after.properties) continue;
    findings.push({
      at: ["properties", name],
      what: `property ${show(name)} removed`,
      request: effect("request-property-removed", "breaking", "clients that send it lose its effect, and typed clients stop compiling"),
      response: effect("response-property-removed", "breaking", "clients that read it no longer get it"),
    });
  }
  for (const name of Object.keys(after.properties)) {
    if (!(name in before.properties)) continue;
    const [was, is] = [before.required.has(name), after.required.has(name)];
    if (was === is) continue;
    findings.push(
      is
        ? {
            at: ["properties", name],
            what: `property ${show(name)} became required`,
            request: readOnly("after", name)
              ? effect("request-property-became-required", "non-breaking", "it is readOnly: clients do not send it")
              : effect("request-property-became-required", "breaking", "requests without it are refused"),
            response: effect("response-property-became-required", "non-breaking", "clients can rely on it being present"),
          }
        : {
            at: ["properties", name],
            what: `property ${show(name)} became optional`,
            request: effect("request-property-became-optional", "non-breaking", "clients may leave it out"),
            response: effect("response-property-became-optional", "breaking", "clients that rely on it may not get it"),
          },
    );
  }
  return findings;
}

/** Subtypes added or removed in a discriminator mapping, or the discriminator itself changed. */
export function discriminatorRule(before: any, after: any, propertyExtensible: boolean): Finding[] {
  const [from, to] = [before?.discriminator, after?.discriminator];
  if (!from && !to) return [];
  if (!from || !to || from.propertyName !== to.propertyName) {
    return [{ what: "discriminator added, removed or renamed", ...both("discriminator-changed", "breaking", "clients choose and read subtypes by it") }];
  }
  const findings: Finding[] = [];
  const [mapFrom, mapTo] = [from.mapping ?? {}, to.mapping ?? {}];
  for (const value of Object.keys(mapTo)) {
    if (!(value in mapFrom)) {
      findings.push({
        what: `subtype ${show(value)} added to the discriminator mapping`,
        request: effect("request-subtype-added", "non-breaking", "clients may send one more subtype"),
        response: propertyExtensible
          ? effect("response-subtype-added", "non-breaking", "the discriminator's enum is extensible, so clients already expect unknown subtypes")
          : effect("response-subtype-added-closed", "breaking", "clients may receive a subtype they cannot read"),
      });
    } else if (mapFrom[value] !== mapTo[value]) {
      findings.push({
        what: `subtype ${show(value)} now maps to ${show(mapTo[value])} instead of ${show(mapFrom[value])}`,
        ...both("subtype-target-changed", "breaking", "the fields of that subtype are a different schema"),
      });
    }
  }
  for (const value of Object.keys(mapFrom)) {
    if (value in mapTo) continue;
    findings.push({
      what: `subtype ${show(value)} removed from the discriminator mapping`,
      request: effect("request-subtype-removed", "breaking", "clients that send it are refused"),
      response: effect("response-subtype-removed", "non-breaking", "clients only stop receiving it"),
    });
  }
  return findings;
}

/** Schemas inherited with `allOf: [{$ref}]` added or removed. */
export function inheritanceRule(before: Set<string>, after: Set<string>): Finding[] {
  const added = [...after].filter((name) => !before.has(name));
  const removed = [...before].filter((name) => !after.has(name));
  if (added.length === 0 && removed.length === 0) return [];
  const parts = [added.length ? `now also inherits ${added.join(", ")}` : "", removed.length ? `no longer inherits ${removed.join(", ")}` : ""].filter(Boolean);
  return [{ what: parts.join("; "), ...both("inheritance-changed", "breaking", "the inherited properties and requirements change with it") }];
}

/** Alternatives of `oneOf` / `anyOf` added or removed (matched by `$ref` name or position). */
export function alternativesRule(keyword: "oneOf" | "anyOf", before: string[], after: string[]): Finding[] {
  const findings: Finding[] = [];
  for (const name of after.filter((n) => !before.includes(n))) {
    findings.push({
      what: `${keyword} alternative ${name} added`,
      request: effect(`request-${keyword.toLowerCase()}-added`, "non-breaking", "clients may send one more shape"),
      response: effect(`response-${keyword.toLowerCase()}-added`, "breaking", "clients may receive a shape they cannot read"),
    });
  }
  for (const name of before.filter((n) => !after.includes(n))) {
    findings.push({
      what: `${keyword} alternative ${name} removed`,
      request: effect(`request-${keyword.toLowerCase()}-removed`, "breaking", "clients that send that shape are refused"),
      response: effect(`response-${keyword.toLowerCase()}-removed`, "non-breaking", "clients only stop receiving it"),
    });
  }
  return findings;
}

/** Picks the effect of a finding for the directions a schema is used in: the worst, request first on a tie. */
export function resolveFinding(finding: Finding, directions: ReadonlySet<Direction>): Effect & { direction: Direction } {
  const rank: Record<Level, number> = { breaking: 2, "non-breaking": 1, docs: 0 };
  const candidates = (["request", "response"] as const).filter((direction) => directions.has(direction));
  let best: Effect & { direction: Direction } = { ...finding[candidates[0] ?? "request"], direction: candidates[0] ?? "request" };
  for (const direction of candidates.slice(1)) {
    if (rank[finding[direction].level] > rank[best.level]) best = { ...finding[direction], direction };
  }
  return best;
}
