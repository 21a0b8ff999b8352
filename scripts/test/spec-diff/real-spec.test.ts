/**
 * The Connect spec itself, edited the way an API team would: an enum value, a required list, a
 * description. Each gives the right classification and bump.
 */
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { SPEC_FILE } from "../../../tools/paths.ts";
import { diffDocuments } from "../../../tools/spec-diff/index.ts";

const text = readFileSync(SPEC_FILE, "utf8");
const base = parse(text);
const edit = (from: string, to: string) => {
  expect(text, `the spec contains ${JSON.stringify(from)}`).toContain(from);
  return diffDocuments(base, parse(text.replace(from, to)));
};
const ids = (result: ReturnType<typeof diffDocuments>) => result.changes.map((change) => [change.id, change.level, change.location]);

describe("edits of spec/openapi.yaml", () => {
  it("nothing changed: no change, no bump", () => {
    expect(diffDocuments(base, parse(text))).toMatchObject({ changes: [], bump: "none" });
  });

  it("a value added to an extensible response enum is non-breaking (minor)", () => {
    const result = edit("        - transferAccepted\n        - disconnecting", "        - transferAccepted\n        - parked\n        - disconnecting");
    expect(ids(result)).toEqual([["response-enum-value-added", "non-breaking", "#/components/schemas/CallConnectionStateModel"]]);
    expect(result.bump).toBe("minor");
  });

  it("a value removed from a request enum is breaking (major)", () => {
    const result = edit("        - serverCallLocator\n        - roomCallLocator\n", "        - serverCallLocator\n");
    expect(ids(result)).toEqual([["request-enum-value-removed", "breaking", "#/components/schemas/CallLocatorKind"]]);
    expect(result.bump).toBe("major");
  });

  it("a value added to an enum used both ways is judged in both directions", () => {
    // MediaStreamingContentType is sent in WebSocketMediaStreamingOptions and received in MediaStreamingSubscription.
    const result = edit("      enum:\n        - audio\n", "      enum:\n        - audio\n        - video\n");
    expect(ids(result)).toEqual([["request-enum-value-added", "non-breaking", "#/components/schemas/MediaStreamingContentType"]]);
  });

  it("a property added to the required list of the request is breaking", () => {
    const result = edit("        - callLocator\n        - callbackUri\n", "        - callLocator\n        - callbackUri\n        - operationContext\n");
    expect(ids(result)).toEqual([["request-property-became-required", "breaking", "#/components/schemas/ConnectRequest/properties/operationContext"]]);
    expect(result.bump).toBe("major");
  });

  it("a property dropped from the required list of a response schema is breaking", () => {
    const result = edit("      required:\n        - value\n", "");
    expect(ids(result)).toEqual([["response-property-became-optional", "breaking", "#/components/schemas/PhoneNumberIdentifierModel/properties/value"]]);
  });

  it("a property dropped from a required list of the request is non-breaking", () => {
    const result = edit("        - transportType\n        - locale\n", "        - transportType\n");
    expect(ids(result)).toEqual([["request-property-became-optional", "non-breaking", "#/components/schemas/TranscriptionOptions/properties/locale"]]);
    expect(result.bump).toBe("minor");
  });

  it("a description changed is docs-only (patch)", () => {
    const result = edit("description: The callback URI.\n        operationContext:", "description: Where the service posts the call's events.\n        operationContext:");
    expect(ids(result)).toEqual([["schema-description-changed", "docs", "#/components/schemas/ConnectRequest/properties/callbackUri"]]);
    expect(result.bump).toBe("patch");
  });

  it("a subtype field's type changed behind the discriminator is breaking", () => {
    const result = edit("            enableDtmfTones:\n              type: boolean", "            enableDtmfTones:\n              type: string");
    expect(ids(result)).toEqual([
      ["request-type-changed", "breaking", "#/components/schemas/WebSocketMediaStreamingOptions/allOf/1/properties/enableDtmfTones"],
    ]);
  });
});
