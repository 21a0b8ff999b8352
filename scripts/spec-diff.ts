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
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureChangeset } from "../tools/spec-diff/changeset.ts";
import { diffDocuments } from "../tools/spec-diff/index.ts";
import { lastReleaseTag, loadSide, RELEASE_TAG_PATTERN } from "../tools/spec-diff/load.ts";
import { renderMarkdown } from "../tools/spec-diff/report.ts";

const USAGE = "usage: pnpm spec:diff [<base file or git ref>] [<head file or git ref>] [--json] [--changeset [--check]]";

/** Where the command writes: the process's streams, or a test's buffers. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

const processOutput: Output = { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) };

/** Runs the command with `argv` (the arguments after the script) and resolves to its exit code. */
export async function main(argv: string[], io: Output = processOutput): Promise<number> {
  const flags = new Set(argv.filter((arg) => arg.startsWith("--")));
  const sides = argv.filter((arg) => !arg.startsWith("--"));
  const unknown = [...flags].filter((flag) => !["--json", "--changeset", "--check", "--help"].includes(flag));
  if (flags.has("--help")) {
    io.out(`${USAGE}\n`);
    return 0;
  }
  if (unknown.length > 0 || sides.length > 2 || (flags.has("--check") && !flags.has("--changeset"))) {
    io.err(`spec:diff: ${unknown.length ? `unknown option ${unknown.join(" ")}` : sides.length > 2 ? "at most two sides" : "--check goes with --changeset"}\n${USAGE}\n`);
    return 2;
  }

  try {
    let base = sides[0];
    if (base === undefined) {
      base = await lastReleaseTag();
      if (base === undefined) {
        if (flags.has("--changeset")) {
          io.out(`spec:diff: nothing is released yet (no ${RELEASE_TAG_PATTERN} tag), so no changeset is required.\n`);
          return 0;
        }
        io.err(`spec:diff: nothing is released yet (no ${RELEASE_TAG_PATTERN} tag); name the base to compare with.\n${USAGE}\n`);
        return 2;
      }
    }
    const [from, to] = await Promise.all([loadSide(base), loadSide(sides[1])]);
    const result = diffDocuments(from.doc, to.doc);

    if (flags.has("--changeset")) {
      const outcome = await ensureChangeset(result, from.label, { check: flags.has("--check") });
      if (flags.has("--json")) io.out(`${JSON.stringify({ ...result, changeset: outcome }, null, 2)}\n`);
      else io.out(`spec:diff: ${outcome.message}\n`);
      return outcome.status === "missing" ? 1 : 0;
    }
    if (flags.has("--json")) io.out(`${JSON.stringify(result, null, 2)}\n`);
    else io.out(renderMarkdown(result, from.label, to.label));
    return result.summary.breaking > 0 ? 1 : 0;
  } catch (error) {
    io.err(`spec:diff: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
}

// Run as the command (not imported, as the tests do to run it in their own process).
if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
