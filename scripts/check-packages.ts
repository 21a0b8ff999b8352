/**
 * `pnpm check:packages`
 *
 * Builds every published package from the current sources in a sandbox copy (so the working
 * tree's dist/ is neither used nor touched), packs each with pnpm and checks the tarball: the
 * project's manifest rules, publint, arethetypeswrong (node16 from ESM and CJS, bundler) and the
 * committed API report. Prints one block per package; exits 1 on any problem.
 */
import { performance } from "node:perf_hooks";
import { CHECK_NAMES, checkPackages, problemsOf, type PackageCheck } from "../tools/packages/check.ts";
import { createPackageSandbox } from "../tools/packages/sandbox.ts";
import { relative } from "../tools/paths.ts";

const unknown = process.argv.slice(2);
if (unknown.length > 0) {
  console.error(`check:packages: unknown argument ${unknown.join(" ")}; usage: pnpm check:packages`);
  process.exit(2);
}

const started = performance.now();
const sandbox = await createPackageSandbox();
let failed = 0;
try {
  const buildMs = await sandbox.build();
  console.log(`check:packages: built ${(await sandbox.packages()).length} packages from the current sources in a sandbox (${seconds(buildMs)})`);
  for (const check of await checkPackages(sandbox)) {
    console.log(`\n${formatHeader(check)}`);
    for (const name of CHECK_NAMES) {
      const problems = problemsOf(check, name);
      if (problems.length > 0) failed++;
      console.log(`  ${name.padEnd(11)} ${problems.length === 0 ? `ok${detail(check, name)}` : `FAILED (${problems.length})`}`);
      for (const problem of problems) console.log(indent(problem, "    - ", "      "));
    }
  }
} catch (error) {
  failed++;
  console.error(`\ncheck:packages failed: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await sandbox.remove();
}
console.log(`\ncheck:packages: ${failed === 0 ? "all packages pass" : `${failed} failing check(s)`} (${seconds(performance.now() - started)})`);
process.exitCode = failed === 0 ? 0 : 1;

function formatHeader({ pkg, packed }: PackageCheck): string {
  const kb = (packed.bytes.length / 1024).toFixed(1);
  return `${pkg.name}@${packed.manifest.version}  ${packed.entries.size} files, ${kb} kB packed`;
}

function detail(check: PackageCheck, name: (typeof CHECK_NAMES)[number]): string {
  switch (name) {
    case "manifest":
      return `  (metadata, exports, files: ${[...check.packed.entries.keys()].filter((file) => file !== "package.json").sort().join(" ")})`;
    case "publint":
      return "  (strict, suggestions included)";
    case "attw": {
      const excluded = check.attw.excluded.length > 0 ? `; assets not checked: ${check.attw.excluded.join(", ")}` : "";
      return `  (node16 from CJS and ESM, bundler: ${check.attw.entrypoints.join(", ")}${excluded})`;
    }
    case "api report":
      return `  (${relative(check.api.comparison.file)} is up to date)`;
  }
}

function indent(text: string, first: string, rest: string): string {
  return text
    .split("\n")
    .map((line, index) => (index === 0 ? first : rest) + line)
    .join("\n");
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
