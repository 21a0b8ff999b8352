/**
 * `pnpm check:generated`: regenerates in memory and fails, listing the stale files, when the
 * committed generated folders differ from what the spec and generators produce now.
 */
import { compare } from "../generators/pipeline/output.ts";
import { generateFiles } from "../generators/pipeline/index.ts";
import { OUTPUT_FOLDERS } from "../generators/pipeline/generators.ts";

const started = performance.now();
const { files } = await generateFiles();
const differences = await compare(files, OUTPUT_FOLDERS);
const seconds = ((performance.now() - started) / 1000).toFixed(2);
if (differences.length > 0) {
  console.error("check:generated: the committed generated files are stale. Run `pnpm generate` and commit the result.");
  for (const difference of differences) {
    const what = { changed: "differs from the spec", missing: "is missing", extra: "is not generated any more" }[difference.kind];
    console.error(`  ${difference.file} ${what}`);
  }
  process.exitCode = 1;
} else {
  console.log(`check:generated: ${files.size} generated files are up to date (${seconds} s)`);
}
