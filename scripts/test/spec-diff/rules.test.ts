/**
 * Each rule of the schema classifier on its own: given a schema before and after, the findings
 * and their effect in each direction.
 */
import { describe, expect, it } from "vitest";
import {
  alternativesRule,
  constraintRule,
  discriminatorRule,
  docsRule,
  enumRule,
  formatRule,
  inheritanceRule,
  modifierRule,
  propertyRule,
  resolveFinding,
  typeRule,
  type Finding,
} from "../../../tools/spec-diff/rules.ts";
import { compareSchemas, flatten, schemaUsage, unwrap } from "../../../tools/spec-diff/schema.ts";
import type { Change, Direction } from "../../../tools/spec-diff/model.ts";

/** `what` with the request and response effects as `id:level`. */
const brief = (findings: Finding[]) =>
  findings.map((finding) => [finding.what, `${finding.request.id}:${finding.request.level}`, `${finding.response.id}:${finding.response.level}`]);

describe("typeRule", () => {
  it("breaks both directions when the type changes", () => {
    expect(brief(typeRule({ type: "string" }, { type: "integer" }))).toEqual([
      ["type changed from string to integer", "request-type-changed:breaking", "response-type-changed:breaking"],
    ]);
  });
  it("infers object and array, and ignores an unchanged type", () => {
    expect(typeRule({ properties: {} }, { type: "object" })).toEqual([]);
    expect(typeRule({ items: {} }, { type: "array" })).toEqual([]);
  });
});

describe("formatRule", () => {
  it("added: narrows what is accepted", () => {
    expect(brief(formatRule({ type: "string" }, { type: "string", format: "uuid" }))).toEqual([
      ['format "uuid" added', "request-format-added:breaking", "response-format-added:non-breaking"],
    ]);
  });
  it("removed: widens what is received", () => {
    expect(brief(formatRule({ format: "uuid" }, {}))).toEqual([['format "uuid" removed', "request-format-removed:non-breaking", "response-format-removed:breaking"]]);
  });
  it("changed: breaks both", () => {
    expect(brief(formatRule({ format: "uuid" }, { format: "date-time" }))[0]?.slice(1)).toEqual(["request-format-changed:breaking", "response-format-changed:breaking"]);
  });
});

describe("enumRule", () => {
  const closed = (...values: string[]) => ({ type: "string", enum: values });
  const open = (...values: string[]) => ({ type: "string", enum: values, "x-ms-enum": { name: "E", modelAsString: true } });

  it("a value added to a closed enum breaks receivers", () => {
    expect(brief(enumRule(closed("a"), closed("a", "b")))).toEqual([
      ['enum value "b" added (closed enum)', "request-enum-value-added:non-breaking", "response-enum-value-added-closed:breaking"],
    ]);
  });
  it("a value added to an extensible enum breaks nobody", () => {
    expect(brief(enumRule(open("a"), open("a", "b")))).toEqual([
      ['enum value "b" added (extensible enum)', "request-enum-value-added:non-breaking", "response-enum-value-added:non-breaking"],
    ]);
  });
  it("reads extensibility as the OpenAPI core defines it (x-ms-enum.modelAsString)", () => {
    expect(enumRule({ enum: ["a"], "x-ms-enum": { modelAsString: true } }, { enum: ["a", "b"], "x-ms-enum": { modelAsString: true } })[0]?.response.level).toBe("non-breaking");
    expect(enumRule({ enum: ["a"], "x-ms-enum": { modelAsString: false } }, { enum: ["a", "b"], "x-ms-enum": { modelAsString: false } })[0]?.response.level).toBe("breaking");
  });
  it("a value removed breaks senders", () => {
    expect(brief(enumRule(open("a", "b"), open("a")))).toEqual([['enum value "b" removed', "request-enum-value-removed:breaking", "response-enum-value-removed:non-breaking"]]);
  });
  it("an enum added or removed", () => {
    expect(brief(enumRule({ type: "string" }, closed("a")))[0]?.slice(1)).toEqual(["request-enum-added:breaking", "response-enum-added:non-breaking"]);
    expect(brief(enumRule(closed("a"), { type: "string" }))[0]?.slice(1)).toEqual(["request-enum-removed:non-breaking", "response-enum-removed-closed:breaking"]);
    expect(brief(enumRule(open("a"), { type: "string" }))[0]?.slice(1)).toEqual(["request-enum-removed:non-breaking", "response-enum-removed:non-breaking"]);
  });
  it("extensibility changes", () => {
    expect(brief(enumRule(closed("a"), open("a")))).toEqual([["enum became extensible", "request-enum-became-extensible:non-breaking", "response-enum-became-extensible:breaking"]]);
    expect(brief(enumRule(open("a"), closed("a")))).toEqual([
      ["enum became closed (no longer extensible)", "request-enum-became-closed:breaking", "response-enum-became-closed:non-breaking"],
    ]);
  });
});

describe("constraintRule", () => {
  const tight = ["request-constraint-tightened:breaking", "response-constraint-tightened:non-breaking"];
  const loose = ["request-constraint-loosened:non-breaking", "response-constraint-loosened:breaking"];
  it.each([
    ["maxLength lowered", { maxLength: 10 }, { maxLength: 5 }, tight],
    ["maxLength added", {}, { maxLength: 5 }, tight],
    ["maxLength removed", { maxLength: 5 }, {}, loose],
    ["maxItems raised", { maxItems: 1 }, { maxItems: 2 }, loose],
    ["maximum lowered", { maximum: 10 }, { maximum: 9 }, tight],
    ["maxProperties added", {}, { maxProperties: 3 }, tight],
    ["minLength raised", { minLength: 1 }, { minLength: 2 }, tight],
    ["minLength added (absent is 0)", {}, { minLength: 1 }, tight],
    ["minItems lowered", { minItems: 2 }, { minItems: 1 }, loose],
    ["minimum added (absent is no bound)", {}, { minimum: 0 }, tight],
    ["minimum removed", { minimum: 0 }, {}, loose],
    ["exclusiveMaximum set", { maximum: 1 }, { maximum: 1, exclusiveMaximum: true }, tight],
    ["uniqueItems unset", { uniqueItems: true }, {}, loose],
    ["pattern added", {}, { pattern: "^a" }, tight],
    ["pattern removed", { pattern: "^a" }, {}, loose],
    ["multipleOf added", {}, { multipleOf: 2 }, tight],
    [
      "additionalProperties closed",
      { type: "object" },
      { type: "object", additionalProperties: false },
      ["request-additional-properties-refused:breaking", "response-additional-properties-refused:non-breaking"],
    ],
    [
      // One rule with "property added": a receiver ignores properties it does not know.
      "additionalProperties opened",
      { type: "object", additionalProperties: false },
      { type: "object" },
      ["request-additional-properties-allowed:non-breaking", "response-additional-properties-allowed:non-breaking"],
    ],
  ])("%s", (_name, before, after, want) => {
    expect(brief(constraintRule(before, after)).map((finding) => finding.slice(1))).toEqual([want]);
  });
  it("a changed pattern or multipleOf breaks both directions", () => {
    expect(brief(constraintRule({ pattern: "^a" }, { pattern: "^b" }))[0]?.slice(1)).toEqual(["request-pattern-changed:breaking", "response-pattern-changed:breaking"]);
    expect(brief(constraintRule({ multipleOf: 2 }, { multipleOf: 3 }))[0]?.slice(1)).toEqual(["request-multiple-of-changed:breaking", "response-multiple-of-changed:breaking"]);
  });
  it("no change, no finding", () => {
    expect(constraintRule({ maxLength: 5, minimum: 0, pattern: "x" }, { maxLength: 5, minimum: 0, pattern: "x" })).toEqual([]);
  });
});

describe("modifierRule", () => {
  it.each([
    ["nullable added", {}, { nullable: true }, ["request-became-nullable:non-breaking", "response-became-nullable:breaking"]],
    ["nullable removed", { nullable: true }, {}, ["request-no-longer-nullable:breaking", "response-no-longer-nullable:non-breaking"]],
    ["readOnly added", {}, { readOnly: true }, ["request-became-read-only:breaking", "response-became-read-only:non-breaking"]],
    ["writeOnly added", {}, { writeOnly: true }, ["request-became-write-only:non-breaking", "response-became-write-only:breaking"]],
    ["default changed", { default: 1 }, { default: 2 }, ["request-default-changed:breaking", "response-default-changed:docs"]],
  ])("%s", (_name, before, after, want) => {
    expect(brief(modifierRule(before, after)).map((finding) => finding.slice(1))).toEqual([want]);
  });
});

describe("docsRule", () => {
  it("descriptions, titles, examples: docs", () => {
    expect(brief(docsRule({ description: "a", title: "t", example: 1 }, { description: "b", title: "u", example: 2 }))).toEqual([
      ["description changed", "schema-description-changed:docs", "schema-description-changed:docs"],
      ["title changed", "schema-title-changed:docs", "schema-title-changed:docs"],
      ["example changed", "schema-example-changed:docs", "schema-example-changed:docs"],
    ]);
  });
  it("a value's description, but not a value added", () => {
    const values = (...entries: Array<[string, string]>) => ({ "x-ms-enum": { values: entries.map(([value, description]) => ({ value, description })) } });
    expect(brief(docsRule(values(["a", "A"]), values(["a", "Ay"])))).toEqual([
      ['description of enum value "a" changed', "enum-value-description-changed:docs", "enum-value-description-changed:docs"],
    ]);
    expect(docsRule(values(["a", "A"]), values(["a", "A"], ["b", "B"]))).toEqual([]);
  });
  it("deprecation is non-breaking", () => {
    expect(docsRule({}, { deprecated: true })[0]?.request.level).toBe("non-breaking");
  });
});

describe("propertyRule", () => {
  const side = (properties: string[], required: string[]) => ({
    properties: Object.fromEntries(properties.map((name) => [name, { type: "string" }])),
    required: new Set(required),
  });
  const never = () => false;
  it("added required / optional", () => {
    expect(brief(propertyRule(side(["a"], []), side(["a", "b", "c"], ["b"]), never))).toEqual([
      ['property "b" added as required', "request-property-added-required:breaking", "response-property-added:non-breaking"],
      ['property "c" added', "request-property-added-optional:non-breaking", "response-property-added:non-breaking"],
    ]);
  });
  it("removed breaks both", () => {
    expect(brief(propertyRule(side(["a", "b"], []), side(["a"], []), never))).toEqual([
      ['property "b" removed', "request-property-removed:breaking", "response-property-removed:breaking"],
    ]);
  });
  it("required changes, direction by direction", () => {
    expect(brief(propertyRule(side(["a"], []), side(["a"], ["a"]), never))).toEqual([
      ['property "a" became required', "request-property-became-required:breaking", "response-property-became-required:non-breaking"],
    ]);
    expect(brief(propertyRule(side(["a"], ["a"]), side(["a"], []), never))).toEqual([
      ['property "a" became optional', "request-property-became-optional:non-breaking", "response-property-became-optional:breaking"],
    ]);
  });
  it("a readOnly property becoming required does not bind senders", () => {
    expect(propertyRule(side(["a"], []), side(["a"], ["a"]), () => true)[0]?.request.level).toBe("non-breaking");
  });
});

describe("discriminatorRule", () => {
  const base = (mapping: Record<string, string>, propertyName = "kind") => ({ discriminator: { propertyName, mapping } });
  it("a subtype added: non-breaking to send, breaking to receive unless the property is extensible", () => {
    expect(brief(discriminatorRule(base({ a: "#/A" }), base({ a: "#/A", b: "#/B" }), false))[0]?.slice(1)).toEqual([
      "request-subtype-added:non-breaking",
      "response-subtype-added-closed:breaking",
    ]);
    expect(discriminatorRule(base({ a: "#/A" }), base({ a: "#/A", b: "#/B" }), true)[0]?.response.level).toBe("non-breaking");
  });
  it("a subtype removed or retargeted", () => {
    expect(brief(discriminatorRule(base({ a: "#/A", b: "#/B" }), base({ a: "#/A" }), true))[0]?.slice(1)).toEqual([
      "request-subtype-removed:breaking",
      "response-subtype-removed:non-breaking",
    ]);
    expect(discriminatorRule(base({ a: "#/A" }), base({ a: "#/A2" }), true)[0]?.request.id).toBe("request-subtype-target-changed");
  });
  it("the discriminator renamed", () => {
    expect(discriminatorRule(base({}, "kind"), base({}, "type"), true)[0]?.request.level).toBe("breaking");
  });
});

describe("inheritanceRule and alternativesRule", () => {
  it("a base added or removed breaks both", () => {
    expect(brief(inheritanceRule(new Set(["A"]), new Set(["B"])))).toEqual([
      ["now also inherits B; no longer inherits A", "request-inheritance-changed:breaking", "response-inheritance-changed:breaking"],
    ]);
  });
  it("oneOf alternatives", () => {
    expect(brief(alternativesRule("oneOf", ["A"], ["A", "B"]))[0]?.slice(1)).toEqual(["request-oneof-added:non-breaking", "response-oneof-added:breaking"]);
    expect(brief(alternativesRule("anyOf", ["A", "B"], ["A"]))[0]?.slice(1)).toEqual(["request-anyof-removed:breaking", "response-anyof-removed:non-breaking"]);
  });
});

describe("resolveFinding", () => {
  const finding = propertyRule({ properties: { a: {} }, required: new Set() }, { properties: { a: {} }, required: new Set(["a"]) }, () => false)[0]!;
  it("takes the worst effect among the directions the schema is used in", () => {
    expect(resolveFinding(finding, new Set<Direction>(["response"])).level).toBe("non-breaking");
    expect(resolveFinding(finding, new Set<Direction>(["request", "response"]))).toMatchObject({ level: "breaking", direction: "request" });
  });
});

describe("the schema walker", () => {
  it("sees an allOf wrapper with a description as its $ref, and nothing else", () => {
    expect(unwrap({ description: "d", allOf: [{ $ref: "#/components/schemas/X" }] })).toEqual({ description: "d", $ref: "#/components/schemas/X" });
    const composed = { allOf: [{ $ref: "#/components/schemas/X" }], properties: { a: {} } };
    expect(unwrap(composed)).toBe(composed);
  });

  it("flattens inline allOf members and records inherited components", () => {
    const flat = flatten({ allOf: [{ $ref: "#/components/schemas/Base" }, { type: "object", required: ["b"], properties: { b: { type: "string" } } }] });
    expect(flat.inherits).toEqual(new Set(["Base"]));
    expect(flat.properties.b?.path).toEqual(["allOf", 1, "properties", "b"]);
    expect(flat.required).toEqual(new Set(["b"]));
  });

  it("finds the directions of components through refs and discriminator mappings", () => {
    const doc = {
      paths: {
        "/x": {
          post: {
            requestBody: { content: { "application/json": { schema: { $ref: "#/components/schemas/Req" } } } },
            responses: { 200: { description: "", content: { "application/json": { schema: { $ref: "#/components/schemas/Res" } } } } },
          },
        },
      },
      components: {
        schemas: {
          Req: { properties: { opts: { allOf: [{ $ref: "#/components/schemas/Base" }] }, shared: { $ref: "#/components/schemas/Shared" } } },
          Base: { discriminator: { propertyName: "k", mapping: { s: "#/components/schemas/Sub" } } },
          Sub: { allOf: [{ $ref: "#/components/schemas/Base" }] },
          Res: { properties: { shared: { items: { $ref: "#/components/schemas/Shared" } } } },
          Shared: { type: "string" },
          Unused: { type: "string" },
        },
      },
    };
    const usage = schemaUsage(doc);
    expect(usage.get("Sub")).toEqual(new Set(["request"]));
    expect(usage.get("Shared")).toEqual(new Set(["request", "response"]));
    expect(usage.get("Res")).toEqual(new Set(["response"]));
    expect(usage.has("Unused")).toBe(false);
  });

  it("stops on recursive schemas", () => {
    const doc = (extra: Record<string, unknown>) => ({
      components: { schemas: { Node: { type: "object", properties: { children: { type: "array", items: { $ref: "#/components/schemas/Node" } }, ...extra } } } },
    });
    const [before, after] = [doc({}), doc({ name: { type: "string" } })];
    const changes: Change[] = [];
    compareSchemas({ base: before, head: after, emit: (change) => changes.push(change) }, { $ref: "#/components/schemas/Node" }, { $ref: "#/components/schemas/Node" }, ["x"], new Set(["response"]), true);
    expect(changes.map((change) => change.id)).toEqual(["response-property-added"]);
  });

  it("compares a use that switched to another component structurally", () => {
    const doc = (target: string) => ({ components: { schemas: { A: { properties: { a: { type: "string" } } }, B: { properties: { a: { type: "integer" } } }, target } } });
    const changes: Change[] = [];
    compareSchemas(
      { base: doc("A"), head: doc("B"), emit: (change) => changes.push(change) },
      { $ref: "#/components/schemas/A" },
      { $ref: "#/components/schemas/B" },
      ["paths", "/x", "post", "requestBody"],
      new Set(["request"]),
    );
    expect(changes.map((change) => [change.id, change.location])).toEqual([["request-type-changed", "#/paths/~1x/post/requestBody/properties/a"]]);
  });
});
