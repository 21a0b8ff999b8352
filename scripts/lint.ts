/**
 * `pnpm lint [file...]`: runs the lint gate (.spectral.yaml) over the spec, prints one
 * `file:line:column` line per finding and exits 1 when anything fails the gate.
 */
import path from "node:path";
import { performance } from "node:perf_hooks";
import { failing, formatResult, lintFile, loadRuleset } from "../tools/lint.ts";
import { SPEC_FILE, relative } from "../tools/paths.ts";

const files = process.argv.slice(2).map((file) => path.resolve(file));
if (files.length === 0) files.push(SPEC_FILE);

const started = performance.now();
const ruleset = await loadRuleset();
let failed = 0;
for (const file of files) {
  const results = await lintFile(file, ruleset);
  for (const result of results) console.log(formatResult(result));
  failed += failing(results).length;
}
const seconds = ((performance.now() - started) / 1000).toFixed(2);
const names = files.map(relative).join(", ");
if (failed > 0) {
  console.error(`lint: ${failed} problem(s) in ${names} (${seconds} s)`);
  process.exitCode = 1;
} else {
  const enabled = Object.values(ruleset.rules).filter((rule) => rule.enabled).length;
  console.log(`lint: ${names} passes ${enabled} rules (${seconds} s)`);
}
