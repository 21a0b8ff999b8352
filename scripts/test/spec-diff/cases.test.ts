/**
 * Every row of the classification table, each with a case in cases/<name>.patch.yaml: a JSON Patch
 * on base.yaml (a small API whose ThingRequest is only sent and whose Thing is only received), see
 * cases.ts.
 */
import { describe, expect, it } from "vitest";
import { diffDocuments } from "../../../tools/spec-diff/index.ts";
import type { Bump, Level } from "../../../tools/spec-diff/model.ts";
import { caseNames, loadBase, loadCase, patched } from "./cases.ts";

type Expected = [id: string, level: Level, location: string];

/** Row of the table -> case -> the changes and bump it must give. */
const table: Record<string, Record<string, { bump: Bump; changes: Expected[] }>> = {
  "operation, path or method removed; operationId changed; response status removed: breaking": {
    "operation-removed": { bump: "major", changes: [["operation-removed", "breaking", "#/paths/~1things/get"]] },
    "path-removed": { bump: "major", changes: [["path-removed", "breaking", "#/paths/~1health"]] },
    "operation-id-changed": { bump: "major", changes: [["operation-id-changed", "breaking", "#/paths/~1things/post/operationId"]] },
    "response-status-removed": { bump: "major", changes: [["response-status-removed", "breaking", "#/paths/~1things/post/responses/404"]] },
  },
  "request: required parameter/property added; optional made required; type/format changed; enum value removed; constraint tightened: breaking": {
    "request-parameter-added-required": { bump: "major", changes: [["request-parameter-added-required", "breaking", "#/paths/~1things/post/parameters/2"]] },
    "request-property-added-required": {
      bump: "major",
      changes: [["request-property-added-required", "breaking", "#/components/schemas/ThingRequest/properties/kind"]],
    },
    "request-parameter-became-required": {
      bump: "major",
      changes: [["request-parameter-became-required", "breaking", "#/paths/~1things/post/parameters/1/required"]],
    },
    "request-property-became-required": {
      bump: "major",
      changes: [["request-property-became-required", "breaking", "#/components/schemas/ThingRequest/properties/note"]],
    },
    "request-type-changed": { bump: "major", changes: [["request-type-changed", "breaking", "#/components/schemas/ThingRequest/properties/name"]] },
    "request-format-changed": { bump: "major", changes: [["request-format-changed", "breaking", "#/components/schemas/ThingRequest/properties/note"]] },
    "request-enum-value-removed": {
      bump: "major",
      changes: [["request-enum-value-removed", "breaking", "#/components/schemas/ThingRequest/properties/color"]],
    },
    "request-constraint-tightened": {
      bump: "major",
      changes: [["request-constraint-tightened", "breaking", "#/components/schemas/ThingRequest/properties/name"]],
    },
  },
  "response: property removed; required made optional; type changed; new enum value on a CLOSED enum: breaking": {
    "response-property-removed": { bump: "major", changes: [["response-property-removed", "breaking", "#/components/schemas/Thing/properties/label"]] },
    "response-property-became-optional": {
      bump: "major",
      changes: [["response-property-became-optional", "breaking", "#/components/schemas/Thing/properties/id"]],
    },
    "response-type-changed": { bump: "major", changes: [["response-type-changed", "breaking", "#/components/schemas/Thing/properties/id"]] },
    "response-enum-value-added-closed": {
      bump: "major",
      changes: [["response-enum-value-added-closed", "breaking", "#/components/schemas/Thing/properties/state"]],
    },
  },
  "security requirement added or changed; server variable removed: breaking": {
    "security-requirement-added": { bump: "major", changes: [["security-requirement-added", "breaking", "#/paths/~1health/get/security"]] },
    "security-requirement-changed": {
      bump: "major",
      changes: [
        ["security-scheme-added", "non-breaking", "#/components/securitySchemes/Bearer"],
        ["security-requirement-changed", "breaking", "#/paths/~1things/get/security"],
        ["security-requirement-changed", "breaking", "#/paths/~1things/post/security"],
        ["security-requirement-changed", "breaking", "#/paths/~1health/get/security"],
      ],
    },
    "server-variable-removed": { bump: "major", changes: [["server-variable-removed", "breaking", "#/servers/0/variables/endpoint"]] },
  },
  "request: optional parameter/property added; enum value added; constraint loosened: non-breaking": {
    "request-parameter-added-optional": {
      bump: "minor",
      changes: [["request-parameter-added-optional", "non-breaking", "#/paths/~1things/post/parameters/2"]],
    },
    "request-property-added-optional": {
      bump: "minor",
      changes: [["request-property-added-optional", "non-breaking", "#/components/schemas/ThingRequest/properties/size"]],
    },
    "request-enum-value-added": {
      bump: "minor",
      changes: [["request-enum-value-added", "non-breaking", "#/components/schemas/ThingRequest/properties/color"]],
    },
    "request-constraint-loosened": {
      bump: "minor",
      changes: [["request-constraint-loosened", "non-breaking", "#/components/schemas/ThingRequest/properties/name"]],
    },
  },
  "response: property added; new value on an EXTENSIBLE enum: non-breaking": {
    "response-property-added": { bump: "minor", changes: [["response-property-added", "non-breaking", "#/components/schemas/Thing/properties/createdAt"]] },
    "response-enum-value-added": { bump: "minor", changes: [["response-enum-value-added", "non-breaking", "#/components/schemas/Thing/properties/mode"]] },
  },
  "new operation; new response status; new schema: non-breaking": {
    "operation-added": { bump: "minor", changes: [["operation-added", "non-breaking", "#/paths/~1health/head"]] },
    "path-added": { bump: "minor", changes: [["path-added", "non-breaking", "#/paths/~1things~1{id}"]] },
    "response-status-added": { bump: "minor", changes: [["response-status-added", "non-breaking", "#/paths/~1things/post/responses/409"]] },
    "schema-added": { bump: "minor", changes: [["schema-added", "non-breaking", "#/components/schemas/ThingSummary"]] },
  },
  "a path parameter renamed (same URL on the wire): reported as a rename, breaking for generated clients": {
    "path-parameter-renamed": { bump: "major", changes: [["path-parameter-renamed", "breaking", "#/paths/~1things~1{thingRawId}"]] },
  },
  "callback payloads are judged like responses: property or extensible enum value added non-breaking, removed breaking; a callback added non-breaking": {
    "callback-payload-property-added": { bump: "minor", changes: [["response-property-added", "non-breaking", "#/components/schemas/ThingEvent/properties/thingId"]] },
    "callback-payload-property-removed": { bump: "major", changes: [["response-property-removed", "breaking", "#/components/schemas/ThingEvent/properties/kind"]] },
    "callback-payload-enum-value-added": { bump: "minor", changes: [["response-enum-value-added", "non-breaking", "#/components/schemas/ThingEvent/properties/kind"]] },
    "callback-added": {
      bump: "minor",
      changes: [
        ["callback-added", "non-breaking", "#/paths/~1things/post/callbacks/ThingEvents"],
        ["schema-added", "non-breaking", "#/components/schemas/ThingEvent"],
      ],
    },
  },
  "a schema no operation or callback reaches: judged both ways (the stricter verdict)": {
    "unreachable-schema-property-removed": { bump: "major", changes: [["request-property-removed", "breaking", "#/components/schemas/Orphan/properties/value"]] },
  },
  "new properties on a formerly closed response object, named or by lifting additionalProperties: false: non-breaking, one rule": {
    "response-additional-properties-allowed": { bump: "minor", changes: [["response-additional-properties-allowed", "non-breaking", "#/components/schemas/Thing"]] },
    "response-property-added-to-closed": { bump: "minor", changes: [["response-property-added", "non-breaking", "#/components/schemas/Thing/properties/createdAt"]] },
  },
  "description, summary, example, title only: docs": {
    "description-changed": { bump: "patch", changes: [["schema-description-changed", "docs", "#/components/schemas/Thing/properties/label"]] },
    "summary-changed": { bump: "patch", changes: [["operation-docs-changed", "docs", "#/paths/~1things/post/summary"]] },
    "example-changed": {
      bump: "patch",
      changes: [["response-example-changed", "docs", "#/paths/~1things/post/responses/200/content/application~1json/examples"]],
    },
    "title-changed": { bump: "patch", changes: [["schema-title-changed", "docs", "#/components/schemas/ThingRequest"]] },
  },
};

describe("the classification table", () => {
  for (const [row, cases] of Object.entries(table)) {
    describe(row, () => {
      for (const [name, want] of Object.entries(cases)) {
        it(name, async () => {
          const { before, after } = await loadCase(name);
          const result = diffDocuments(before, after);
          expect(result.changes.map((change) => [change.id, change.level, change.location])).toEqual(want.changes);
          expect(result.bump).toBe(want.bump);
          for (const change of result.changes) expect(change.message).toMatch(/^.+: .+$/);
        });
      }
    });
  }

  it("covers every fixture case", async () => {
    expect(Object.values(table).flatMap((cases) => Object.keys(cases)).sort()).toEqual(await caseNames());
  });

  it("says which direction a schema no operation or callback reaches was judged in", async () => {
    const { before, after } = await loadCase("unreachable-schema-property-removed");
    const [change] = diffDocuments(before, after).changes;
    expect(change?.message).toContain("Orphan is used by no operation or callback, so it was judged as both request and response");
  });

  it("compares the operations under a renamed path, with the renamed parameter matched", async () => {
    const { before, after } = await loadCase("path-parameter-renamed");
    const ids = diffDocuments(before, after).changes.map((change) => change.id);
    expect(ids).not.toContain("path-removed");
    expect(ids).not.toContain("request-parameter-removed");
    expect(ids).not.toContain("request-parameter-added-required");
  });

  it("finds nothing between a document and itself", async () => {
    const doc = await loadBase();
    expect(diffDocuments(doc, structuredClone(doc))).toEqual({ changes: [], summary: { breaking: 0, nonBreaking: 0, docs: 0 }, bump: "none" });
  });
});

describe("fixture patches", () => {
  it("fail, naming the file and the operation, when an operation does not apply", async () => {
    const base = await loadBase();
    expect(() => patched(base, [{ op: "remove", path: "/paths/~1nowhere" }], "cases/x.patch.yaml")).toThrow(
      /^cases\/x\.patch\.yaml: operation 0 \(remove \/paths\/~1nowhere\) failed: /,
    );
    expect(() => patched(base, [{ op: "test", path: "/info/title", value: "Other" }], "cases/x.patch.yaml")).toThrow(/operation 0 \(test \/info\/title\)/);
  });

  it("leave the base document as it was", async () => {
    const base = await loadBase();
    patched(base, [{ op: "remove", path: "/paths" }], "cases/x.patch.yaml");
    expect(base).toEqual(await loadBase());
  });
});
