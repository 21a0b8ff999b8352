/**
 * `pnpm api:report [--check]`
 *
 * Builds every published package from the current sources in a sandbox, runs API Extractor on
 * its declarations and writes the report to `packages/<dir>/review/<dir>.api.md` when it
 * changed (the equivalent of `api-extractor run --local`). Commit the reports: a change to a
 * package's public surface then shows up in review, and the packaging test fails while a report
 * is stale. `--check` writes nothing and exits 1, showing the changes, when a report is stale.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { compareReport, describeReportChange, extractApi } from "../tools/packages/api-report.ts";
import { createPackageSandbox } from "../tools/packages/sandbox.ts";
import { relative } from "../tools/paths.ts";

const args = process.argv.slice(2);
const unknown = args.filter((arg) => arg !== "--check");
if (unknown.length > 0) {
  console.error(`api:report: unknown argument ${unknown.join(" ")}; usage: pnpm api:report [--check]`);
  process.exit(2);
}
const check = args.includes("--check");

const sandbox = await createPackageSandbox();
let failures = 0;
try {
  await sandbox.build();
  for (const pkg of await sandbox.packages()) {
    const { report, problems } = await extractApi(pkg.folder, pkg.dir);
    const comparison = await compareReport(pkg.dir, report);
    for (const problem of problems) console.error(`  ${pkg.name}: ${problem}`);
    // API Extractor's warnings (a forgotten export, a declaration that does not compile) make
    // a report misleading, so they fail the command even when the report was written.
    if (problems.length > 0) failures++;
    if (!comparison.changed) {
      console.log(`api:report: ${relative(comparison.file)} is up to date`);
    } else if (check) {
      failures++;
      console.error(describeReportChange(pkg.name, comparison));
    } else {
      await mkdir(path.dirname(comparison.file), { recursive: true });
      await writeFile(comparison.file, report);
      console.log(`api:report: ${relative(comparison.file)} ${comparison.committed === undefined ? "created" : "updated"}; review and commit it`);
      if (comparison.committed !== undefined) console.log(comparison.diff.replace(/^/gm, "    "));
    }
  }
} catch (error) {
  failures++;
  console.error(`api:report failed: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await sandbox.remove();
}
process.exitCode = failures === 0 ? 0 : 1;
