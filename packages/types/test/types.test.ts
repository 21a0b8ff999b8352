/**
 * What @acs-connect/types holds at run time, against the bundled spec it was generated from:
 * one list of known values per enum schema, in the spec's order, the callback events (their
 * types, names and the guard), and nothing else.
 */
import spec from "@acs-connect/spec";
import * as types from "@acs-connect/types";
import { describe, expect, it } from "vitest";
import { callbackEnvelopes, enumOf } from "../../../core/src/index.ts";
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

  it("exports a value list for every enum schema, the callback event tables and nothing else at run time", () => {
    const callbackExports = ["callbackEventNames", "callbackEventTypes", "isKnownCallbackEvent"];
    expect(Object.keys(types).sort()).toEqual([...enums.map(({ name }) => valuesName(name)), ...callbackExports].sort());
  });
});

describe("callback events", () => {
  const events = callbackEnvelopes(spec).flatMap((envelope) => envelope.events);

  it("the spec has callback events to check", () => {
    expect(events.length).toBeGreaterThan(0);
  });

  it("callbackEventTypes lists every mapped event type in the spec's order", () => {
    expect(types.callbackEventTypes).toEqual(events.map((event) => event.type));
  });

  it("callbackEventNames names each event after its data schema", () => {
    expect(types.callbackEventNames).toEqual(Object.fromEntries(events.map((event) => [event.type, event.name])));
  });

  it("isKnownCallbackEvent tells known types from others", () => {
    for (const event of events) expect(types.isKnownCallbackEvent({ id: "1", source: "s", specversion: "1.0", type: event.type, data: {} } as types.CallbackEvent)).toBe(true);
    expect(types.isKnownCallbackEvent({ id: "1", source: "s", specversion: "1.0", type: "Microsoft.Communication.SomethingNew" })).toBe(false);
    expect(types.isKnownCallbackEvent({ id: "1", source: "s", specversion: "1.0", type: "toString" })).toBe(false);
  });
});
