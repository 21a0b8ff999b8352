/**
 * Ties spec changes to releases: the pending changesets must bump the fixed group of
 * @acs-connect packages at least as much as the contract change requires.
 */
import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import readChangesets from "@changesets/read";
import { ROOT } from "../paths.ts";
import { publishedPackages, SCOPE } from "../packages/workspace.ts";
import { covers, maxBump, type Bump, type DiffResult } from "./model.ts";

/** The names of the fixed group's packages (private ones, like the examples, are not in it). */
async function groupNames(root: string): Promise<string[]> {
  return (await publishedPackages(root)).map((entry) => entry.name).filter((name) => name.startsWith(SCOPE)).sort();
}

/** The largest bump the pending changesets give any package of the group, and the changesets that give it. */
export async function pendingBump(root = ROOT): Promise<{ bump: Bump; changesets: string[] }> {
  const packages = new Set(await groupNames(root));
  const read = (readChangesets as unknown as { default?: typeof readChangesets }).default ?? readChangesets;
  let bump: Bump = "none";
  const changesets: string[] = [];
  for (const changeset of await read(root)) {
    for (const release of changeset.releases) {
      if (!packages.has(release.name)) continue;
      bump = maxBump(bump, release.type as Bump);
      if (!changesets.includes(changeset.id)) changesets.push(changeset.id);
    }
  }
  return { bump, changesets };
}

export interface ChangesetOutcome {
  status: "not-needed" | "covered" | "missing" | "written";
  required: Bump;
  pending: Bump;
  file?: string;
  message: string;
}

/**
 * Checks (or, unless `check`, writes) a changeset covering `result`. A written changeset names
 * every package of the group with the required bump and lists the changes that require it.
 */
export async function ensureChangeset(result: DiffResult, base: string, options: { check: boolean; root?: string }): Promise<ChangesetOutcome> {
  const root = options.root ?? ROOT;
  const required = result.bump;
  const { bump: pending, changesets } = await pendingBump(root);
  if (required === "none") {
    return { status: "not-needed", required, pending, message: `The contract did not change since ${base}: no changeset needed.` };
  }
  if (covers(pending, required)) {
    return {
      status: "covered",
      required,
      pending,
      message: `The contract change since ${base} needs a ${required} release; pending changeset${changesets.length > 1 ? "s" : ""} ${changesets.join(", ")} give${changesets.length > 1 ? "" : "s"} ${pending}.`,
    };
  }
  const shortfall = `The contract change since ${base} needs a ${required} release, but the pending changesets give ${pending === "none" ? "nothing" : pending}.`;
  if (options.check) {
    return { status: "missing", required, pending, message: `${shortfall} Run \`pnpm spec:diff --changeset\` to add one, or \`pnpm changeset\` to write it yourself.` };
  }
  const packages = await groupNames(root);
  const listed = result.changes.filter((change) => change.level !== "docs" || required === "patch");
  const body = [
    "---",
    ...packages.map((name) => `"${name}": ${required}`),
    "---",
    "",
    `Contract changes since ${base} (from \`pnpm spec:diff\`):`,
    "",
    ...listed.map((change) => `- ${change.level}: ${change.message} (\`${change.location}\`)`),
    "",
  ].join("\n");
  const id = `spec-${createHash("sha256").update(body).digest("hex").slice(0, 10)}`;
  const file = path.join(root, ".changeset", `${id}.md`);
  await writeFile(file, body);
  return { status: "written", required, pending, file, message: `${shortfall} Wrote .changeset/${id}.md with a ${required} bump; review and commit it.` };
}
