/**
 * Properties of spec/openapi.yaml that hold whatever the contract says: it parses strictly, every
 * reference resolves, every example validates with discriminators honoured, and the validator
 * refuses a wrong value behind a discriminator with the values the spec lists. Expectations come
 * from the document itself, so editing the contract never means editing this file.
 */
import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import { describe, expect, it } from "vitest";
import { componentRef, createValidator, enumOf, isDataPath, polymorphicBases, resolveRef, walk, type Path } from "../../core/src/index.ts";
import { SPEC_FILE } from "../../tools/paths.ts";

const text = readFileSync(SPEC_FILE, "utf8");
const parsed = parseDocument(text, { uniqueKeys: true });
const doc = parsed.toJS();

describe("the document", () => {
  it("parses as OpenAPI 3.0.x YAML without duplicate keys", () => {
    expect(parsed.errors).toEqual([]);
    expect(doc.openapi).toMatch(/^3\.0\.\d+$/);
    expect(doc.info.version).toMatch(/^\d{4}-\d{2}-\d{2}(-preview)?$/);
  });

  it("has only references that resolve", () => {
    const dangling: string[] = [];
    let count = 0;
    walk(doc, (node, path: Path) => {
      if (isDataPath(path)) return false;
      if (node && typeof node === "object" && typeof node.$ref === "string") {
        count++;
        if (!resolveRef(doc, node.$ref)) dangling.push(`${path.join(".")}: ${node.$ref}`);
      }
    });
    expect(count).toBeGreaterThan(0);
    expect(dangling).toEqual([]);
  });
});

describe("validation behind a discriminator", () => {
  const validator = createValidator(doc, { direction: "request" });
  const bases = [...polymorphicBases(doc).values()];

  it("the spec has polymorphic schemas to check", () => {
    expect(bases.length).toBeGreaterThan(0);
  });

  for (const base of bases) {
    for (const { value, schema } of base.subtypes) {
      // A subtype's own enum properties (allOf members beside the base) are checked only through the dispatch.
      const own = (doc.components.schemas[schema].allOf ?? []).flatMap((member: any) => Object.entries<any>(member.properties ?? {}));
      const enumProperty = own.find(([, property]: [string, any]) => enumOf(resolveRef(doc, property.allOf?.[0]?.$ref ?? property.$ref)?.value ?? property));
      if (!enumProperty) continue;
      const [name, property] = enumProperty;
      const info = enumOf(resolveRef(doc, property.allOf?.[0]?.$ref ?? property.$ref)?.value ?? property)!;
      it(`${base.name} with ${base.property}: "${value}" checks ${schema}.${name} against its values`, () => {
        const required = Object.fromEntries(
          [...new Set([...(doc.components.schemas[base.name].required ?? [])])].map((key: string) => [key, key === base.property ? value : firstValue(doc.components.schemas[base.name].properties[key])]),
        );
        const issues = validator.validate({ $ref: componentRef(base.name) }, { ...required, [name]: "not-a-value-of-the-spec" });
        expect(issues).toContainEqual(expect.objectContaining({ path: [name], keyword: "enum", message: `must be one of: ${info.values.map(({ value: known }) => String(known)).join(", ")}` }));
      });
    }
  }
});

/** A valid value for a property: the first value of its enum, else a string. */
function firstValue(property: any): unknown {
  const info = enumOf(resolveRef(doc, property?.allOf?.[0]?.$ref ?? property?.$ref)?.value ?? property);
  return info ? info.values[0]!.value : "x";
}
