/**
 * A contract change is an edit of the spec and nothing else: tools/contract-edits.ts applies the
 * four edits an API team makes most, in a sandbox, and runs the pipeline and the contract's tests.
 */
import { describe, expect, it } from "vitest";
import { checkContractEdits, EDITS } from "../../tools/contract-edits.ts";

describe("editing spec/openapi.yaml alone", () => {
  it("an enum value, an optional property, a description and a new schema: generate, spec:diff --changeset and the tests pass", async () => {
    const result = await checkContractEdits();
    for (const step of result.steps) expect(step.code, `${step.command}\n${step.output}`).toBe(0);
    expect(result.steps.map((step) => step.command)).toEqual([
      "pnpm generate",
      "pnpm spec:diff --changeset",
      "pnpm check:generated",
      "pnpm spec:diff --changeset --check",
      "vitest --project unit",
    ]);
    expect(result.handEdited).toEqual([]);
    // The edits reach the generated types, the bundle and the README sections.
    expect(result.regenerated).toEqual(expect.arrayContaining(["packages/types/src/generated/schemas.gen.ts", "packages/spec/src/generated/openapi.json", "packages/types/README.md"]));
    // Each edit on its own reached the bundled document and the generated types: none of the
    // four was lost among the others.
    for (const edit of EDITS) {
      expect(result.reached[edit.name], edit.name).toContain("packages/spec/src/generated/openapi.json");
      expect(result.reached[edit.name]!.some((file) => file.startsWith("packages/types/src/generated/")), `${edit.name}: ${result.reached[edit.name]!.join(", ")}`).toBe(true);
    }
  }, 600_000);
});
