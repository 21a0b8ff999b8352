/**
 * The Connect spec itself, edited the way an API team would: an enum value, a required list, a
 * description, a subtype's field. Each edit is chosen from the document (which enum is only
 * received, which object is only sent...), so the cases follow the contract as it changes.
 */
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { enumOf, pointer, polymorphicBases, schemaUsage, type Direction } from "../../../core/src/index.ts";
import { SPEC_FILE } from "../../../tools/paths.ts";
import { diffDocuments } from "../../../tools/spec-diff/index.ts";

const base = parse(readFileSync(SPEC_FILE, "utf8"));
const schemas: Record<string, any> = base.components.schemas;
const usage = schemaUsage(base);
const usedOnly = (direction: Direction) => (name: string) => usage.get(name)?.size === 1 && usage.get(name)!.has(direction);
const usedBoth = (name: string) => usage.get(name)?.size === 2;
const ids = (result: ReturnType<typeof diffDocuments>) => result.changes.map((change) => [change.id, change.level, change.location]);

/** The first component schema matching `test`; fails the test when the spec has none. */
function pick(what: string, test: (name: string, schema: any) => boolean): string {
  const found = Object.keys(schemas).find((name) => test(name, schemas[name]));
  expect(found, `the spec has ${what}`).toBeDefined();
  return found!;
}

/** `base` with `change` applied to a deep copy. */
function edited(change: (doc: any) => void): any {
  const copy = structuredClone(base);
  change(copy);
  return copy;
}

describe("edits of spec/openapi.yaml", () => {
  it("nothing changed: no change, no bump", () => {
    expect(diffDocuments(base, structuredClone(base))).toMatchObject({ changes: [], bump: "none" });
  });

  it("a value added to an extensible enum only received is non-breaking (minor)", () => {
    const name = pick("an extensible enum only in responses", (n, s) => usedOnly("response")(n) && enumOf(s)?.extensible === true);
    const result = diffDocuments(base, edited((doc) => doc.components.schemas[name].enum.push("aValueFromTheFuture")));
    expect(ids(result)).toEqual([["response-enum-value-added", "non-breaking", pointer("components", "schemas", name)]]);
    expect(result.bump).toBe("minor");
  });

  it("a value removed from an enum only sent is breaking (major)", () => {
    const name = pick("an enum only in requests with two values or more", (n, s) => usedOnly("request")(n) && (enumOf(s)?.values.length ?? 0) > 1);
    const result = diffDocuments(base, edited((doc) => doc.components.schemas[name].enum.pop()));
    expect(ids(result)).toEqual([["request-enum-value-removed", "breaking", pointer("components", "schemas", name)]]);
    expect(result.bump).toBe("major");
  });

  it("a value added to an enum used both ways is judged in both directions", () => {
    const name = pick("an extensible enum used both ways", (n, s) => usedBoth(n) && enumOf(s)?.extensible === true);
    const result = diffDocuments(base, edited((doc) => doc.components.schemas[name].enum.push("aValueFromTheFuture")));
    expect(ids(result)).toEqual([["request-enum-value-added", "non-breaking", pointer("components", "schemas", name)]]);
  });

  it("an optional property of a request made required is breaking", () => {
    const name = pick("a request object with an optional property", (n, s) => usedOnly("request")(n) && Object.keys(s.properties ?? {}).some((p) => !(s.required ?? []).includes(p)));
    const property = Object.keys(schemas[name].properties).find((p) => !(schemas[name].required ?? []).includes(p))!;
    const result = diffDocuments(base, edited((doc) => (doc.components.schemas[name].required = [...(doc.components.schemas[name].required ?? []), property])));
    expect(ids(result)).toEqual([["request-property-became-required", "breaking", pointer("components", "schemas", name, "properties", property)]]);
    expect(result.bump).toBe("major");
  });

  it("a property dropped from the required list of a response schema is breaking", () => {
    const name = pick("a response object with a required property", (n, s) => usedOnly("response")(n) && (s.required?.length ?? 0) > 0 && !s.allOf);
    const [property] = schemas[name].required;
    const result = diffDocuments(base, edited((doc) => (doc.components.schemas[name].required = doc.components.schemas[name].required.slice(1))));
    expect(ids(result)).toEqual([["response-property-became-optional", "breaking", pointer("components", "schemas", name, "properties", property)]]);
  });

  it("a property dropped from a required list of the request is non-breaking", () => {
    const name = pick("a request object with a required property that is no discriminator", (n, s) =>
      usedOnly("request")(n) && (s.required ?? []).some((p: string) => p !== s.discriminator?.propertyName) && !s.allOf,
    );
    const property = schemas[name].required.find((p: string) => p !== schemas[name].discriminator?.propertyName);
    const result = diffDocuments(base, edited((doc) => (doc.components.schemas[name].required = doc.components.schemas[name].required.filter((p: string) => p !== property))));
    expect(ids(result)).toEqual([["request-property-became-optional", "non-breaking", pointer("components", "schemas", name, "properties", property)]]);
    expect(result.bump).toBe("minor");
  });

  it("a description changed is docs-only (patch)", () => {
    const name = pick("an object with a described property", (_, s) => Object.values<any>(s.properties ?? {}).some((p) => typeof p.description === "string"));
    const property = Object.keys(schemas[name].properties).find((p) => typeof schemas[name].properties[p].description === "string")!;
    const result = diffDocuments(base, edited((doc) => (doc.components.schemas[name].properties[property].description = "Said differently.")));
    expect(ids(result)).toEqual([["schema-description-changed", "docs", pointer("components", "schemas", name, "properties", property)]]);
    expect(result.bump).toBe("patch");
  });

  it("a subtype field's type changed behind the discriminator is breaking", () => {
    const subtypes = [...polymorphicBases(base).values()].flatMap((b) => b.subtypes.map((s) => s.schema));
    const name = pick("a request subtype with a boolean field", (n, s) => subtypes.includes(n) && usedOnly("request")(n) && (s.allOf ?? []).some((m: any) => Object.values<any>(m.properties ?? {}).some((p) => p.type === "boolean")));
    const index = schemas[name].allOf.findIndex((m: any) => Object.values<any>(m.properties ?? {}).some((p) => p.type === "boolean"));
    const property = Object.keys(schemas[name].allOf[index].properties).find((p) => schemas[name].allOf[index].properties[p].type === "boolean")!;
    const result = diffDocuments(base, edited((doc) => (doc.components.schemas[name].allOf[index].properties[property].type = "string")));
    expect(ids(result)).toEqual([["request-type-changed", "breaking", pointer("components", "schemas", name, "allOf", index, "properties", property)]]);
  });
});
