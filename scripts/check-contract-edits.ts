/**
 * `pnpm check:contract-edits`: edits spec/openapi.yaml alone in a sandbox (an enum value, an
 * optional request property, a description, a new schema), runs `pnpm generate`,
 * `pnpm spec:diff --changeset` and the contract's tests there, and fails when any of them fails
 * or when another file would have needed a hand edit. See tools/contract-edits.ts.
 */
import { checkContractEdits, EDITS } from "../tools/contract-edits.ts";

console.log(`check:contract-edits: ${EDITS.map((edit) => edit.name).join("; ")}`);
const result = await checkContractEdits();
for (const step of result.steps) console.log(`  ${step.code === 0 ? "ok  " : "FAIL"} ${step.command} (${(step.ms / 1000).toFixed(1)} s)${step.code === 0 ? "" : `\n${step.output.replace(/^/gm, "      ")}`}`);
console.log(`  regenerated: ${result.regenerated.join(", ") || "nothing"}`);
for (const edit of EDITS) console.log(`  ${edit.name}: reached ${result.reached[edit.name]?.join(", ") || "no regenerated file"}`);
if (result.handEdited.length > 0) console.error(`  edited by something other than the tools: ${result.handEdited.join(", ")}`);
process.exitCode = result.steps.every((step) => step.code === 0) && result.handEdited.length === 0 ? 0 : 1;
