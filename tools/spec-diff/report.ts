/** The Markdown report of `pnpm spec:diff`, grouped by operation, schema and the rest of the document. */
import { HTTP_METHODS, segmentsOf } from "../../core/src/index.ts";
import type { Change, DiffResult, Level } from "./model.ts";

const METHODS = new Set<string>(HTTP_METHODS);
const LEVEL: Record<Level, string> = { breaking: "**breaking**", "non-breaking": "non-breaking", docs: "docs" };
const ORDER: Record<Level, number> = { breaking: 0, "non-breaking": 1, docs: 2 };

function tokens(location: string): string[] {
  return segmentsOf(location) ?? [];
}

/** Which section and heading a change belongs under, and where inside it. */
function place(change: Change): { section: "Operations" | "Schemas" | "Document"; heading: string; inside: string } {
  const parts = tokens(change.location);
  if (parts[0] === "paths" && parts[1] !== undefined) {
    if (parts[2] && METHODS.has(parts[2])) return { section: "Operations", heading: `${parts[2].toUpperCase()} ${parts[1]}`, inside: parts.slice(3).join("/") };
    return { section: "Operations", heading: parts[1], inside: parts.slice(2).join("/") };
  }
  if (parts[0] === "components" && parts[1] === "schemas" && parts[2] !== undefined) {
    return { section: "Schemas", heading: parts[2], inside: parts.slice(3).join("/") };
  }
  return { section: "Document", heading: parts[0] ?? "document", inside: parts.slice(1).join("/") };
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

export function renderMarkdown(result: DiffResult, base: string, head: string): string {
  const { summary, bump } = result;
  const lines = [`# Contract changes: \`${base}\` -> \`${head}\``, ""];
  if (result.changes.length === 0) {
    lines.push("No change to the contract.", "", "Required version bump: **none**.");
    return `${lines.join("\n")}\n`;
  }
  lines.push(
    `Required version bump: **${bump}** (${summary.breaking} breaking, ${summary.nonBreaking} non-breaking, ${summary.docs} docs-only).`,
  );
  for (const section of ["Operations", "Schemas", "Document"] as const) {
    const inSection = result.changes.map((change) => ({ change, ...place(change) })).filter((entry) => entry.section === section);
    if (inSection.length === 0) continue;
    lines.push("", `## ${section}`);
    for (const heading of [...new Set(inSection.map((entry) => entry.heading))]) {
      lines.push("", `### ${heading}`, "", "| level | change | where | rule |", "|---|---|---|---|");
      const rows = inSection
        .filter((entry) => entry.heading === heading)
        .sort((a, b) => ORDER[a.change.level] - ORDER[b.change.level]);
      for (const { change, inside } of rows) {
        lines.push(`| ${LEVEL[change.level]} | ${cell(change.message)} | ${inside ? `\`${cell(inside)}\`` : ""} | \`${change.id}\` |`);
      }
    }
  }
  return `${lines.join("\n")}\n`;
}
