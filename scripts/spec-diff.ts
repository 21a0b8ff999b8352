/**
 * `pnpm spec:diff [<base>] [<head>] [--json] [--changeset [--check]]`
 *
 * Compares two versions of the spec and prints every contract change, classified breaking,
 * non-breaking or docs-only, with the version bump they require. Each side is a file or a git
 * ref (the spec as committed there); head defaults to the working tree, base to the last
 * release tag. Exit code 1 when anything is breaking.
 *
 * `--changeset` makes sure a pending changeset bumps the packages at least as much as the
 * changes require, writing one if not; with `--check` it only checks (CI). In this mode the
 * exit code says whether the release is covered, not whether the change is breaking.
 */
import { ensureChangeset } from "../tools/spec-diff/changeset.ts";
import { diffDocuments } from "../tools/spec-diff/index.ts";
import { lastReleaseTag, loadSide, RELEASE_TAG_PATTERN } from "../tools/spec-diff/load.ts";
import { renderMarkdown } from "../tools/spec-diff/report.ts";

const USAGE = "usage: pnpm spec:diff [<base file or git ref>] [<head file or git ref>] [--json] [--changeset [--check]]";
const flags = new Set(process.argv.slice(2).filter((arg) => arg.startsWith("--")));
const sides = process.argv.slice(2).filter((arg) => !arg.startsWith("--"));
const unknown = [...flags].filter((flag) => !["--json", "--changeset", "--check", "--help"].includes(flag));
if (flags.has("--help")) {
  console.log(USAGE);
  process.exit(0);
}
if (unknown.length > 0 || sides.length > 2 || (flags.has("--check") && !flags.has("--changeset"))) {
  console.error(`spec:diff: ${unknown.length ? `unknown option ${unknown.join(" ")}` : sides.length > 2 ? "at most two sides" : "--check goes with --changeset"}\n${USAGE}`);
  process.exit(2);
}

try {
  let base = sides[0];
  if (base === undefined) {
    base = await lastReleaseTag();
    if (base === undefined) {
      if (flags.has("--changeset")) {
        console.log(`spec:diff: nothing is released yet (no ${RELEASE_TAG_PATTERN} tag), so no changeset is required.`);
        process.exit(0);
      }
      console.error(`spec:diff: nothing is released yet (no ${RELEASE_TAG_PATTERN} tag); name the base to compare with.\n${USAGE}`);
      process.exit(2);
    }
  }
  const [from, to] = await Promise.all([loadSide(base), loadSide(sides[1])]);
  const result = diffDocuments(from.doc, to.doc);

  if (flags.has("--changeset")) {
    const outcome = await ensureChangeset(result, from.label, { check: flags.has("--check") });
    if (flags.has("--json")) console.log(JSON.stringify({ ...result, changeset: outcome }, null, 2));
    else console.log(`spec:diff: ${outcome.message}`);
    process.exitCode = outcome.status === "missing" ? 1 : 0;
  } else {
    if (flags.has("--json")) console.log(JSON.stringify(result, null, 2));
    else process.stdout.write(renderMarkdown(result, from.label, to.label));
    process.exitCode = result.summary.breaking > 0 ? 1 : 0;
  }
} catch (error) {
  console.error(`spec:diff: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
}
