/**
 * What @acs-connect/types holds at run time, against the bundled spec it was generated from:
 * one list of known values per enum schema, in the spec's order, and nothing else.
 */
import spec from "@acs-connect/spec";
import * as types from "@acs-connect/types";
import { describe, expect, it } from "vitest";
import { enumOf } from "../../../core/src/index.ts";
import { valuesName } from "../../../generators/lib/names.ts";

const enums = Object.entries<unknown>((spec as { components?: { schemas?: Record<string, unknown> } }).components?.schemas ?? {}).flatMap(([name, schema]) => {
  const info = enumOf(schema);
  return info ? [{ name, values: info.values.map(({ value }) => value) }] : [];
});

describe("runtime exports", () => {
  it("the spec has enums to check", () => {
    expect(enums.length).toBeGreaterThan(0);
  });

  for (const { name, values } of enums) {
    it(`${valuesName(name)} lists the values of ${name} in the spec's order`, () => {
      expect((types as Record<string, unknown>)[valuesName(name)]).toEqual(values);
    });
  }

  it("exports a value list for every enum schema and nothing else at run time", () => {
    expect(Object.keys(types).sort()).toEqual(enums.map(({ name }) => valuesName(name)).sort());
  });
});
