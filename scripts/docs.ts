/**
 * `pnpm run docs [--out <file>]` (with `run`: pnpm hands a bare `pnpm docs` to npm, whose `docs`
 * command opens the package's web page)
 *
 * Renders the API reference, a self-contained HTML page, from the bundled document of the
 * current spec (the same bundle `pnpm generate` writes to packages/spec/src/generated/) into
 * packages/spec/dist/reference.html, which @acs-connect/spec ships as
 * `@acs-connect/spec/reference.html`. `pnpm generate` renders it too, beside the package builds,
 * and both keep the page in the stage cache: a page for the same bundled document is not
 * rendered again (`ACS_CONNECT_NO_CACHE=1` renders it anyway).
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { renderDocs } from "../generators/pipeline/index.ts";
import { REFERENCE_FILE, formatSize, writeReference } from "../generators/reference/index.ts";
import { generate as bundle } from "../generators/bundle/index.ts";
import { readSpec } from "../generators/lib/spec.ts";
import { relative } from "../tools/paths.ts";

const USAGE = "usage: pnpm run docs [--out <file>]";

let values: { out?: string; help?: boolean };
try {
  ({ values } = parseArgs({ options: { out: { type: "string" }, help: { type: "boolean", short: "h" } }, strict: true, allowPositionals: false }));
} catch (error) {
  console.error(`docs: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  console.log(`${USAGE}\n\nRenders the API reference of spec/openapi.yaml into ${relative(REFERENCE_FILE)} (or <file>).`);
  process.exit(0);
}

const target = values.out ? path.resolve(values.out) : REFERENCE_FILE;
try {
  const spec = await readSpec();
  const bundled = bundle(spec).files.get("packages/spec/src/generated/openapi.json");
  if (bundled === undefined) throw new Error("the bundle stage produced no openapi.json");
  const page = await renderDocs(bundled);
  await writeReference(await page.html(), target);
  console.log(`docs: ${relative(target)} (${formatSize(page.bytes)}, self-contained) from ${relative(spec.file)} in ${(page.ms / 1000).toFixed(2)} s`);
  if (page.cached) console.log("  (the page rendered earlier for this same document, from the stage cache)");
  console.log(`  open ${pathToFileURL(target).href}`);
} catch (error) {
  console.error(`docs failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
