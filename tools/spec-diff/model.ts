/**
 * What `pnpm spec:diff` reports: a list of contract changes, each classified, and the version
 * bump they require together.
 */

/** How a change affects the people who use the API. */
export type Level = "breaking" | "non-breaking" | "docs";

/** Which way data flows through a schema (the OpenAPI core's definition). */
export type { Direction } from "../../core/src/index.ts";

export interface Change {
  /** Stable rule id, e.g. `request-property-became-required`. */
  id: string;
  level: Level;
  /** JSON Pointer (RFC 6901) into the document where the change is (the head side, or the base side for removals). */
  location: string;
  /** One line: what changed and why it has this level. */
  message: string;
}

export type Bump = "major" | "minor" | "patch" | "none";

export interface DiffResult {
  changes: Change[];
  summary: { breaking: number; nonBreaking: number; docs: number };
  bump: Bump;
}

const ORDER: Record<Bump, number> = { none: 0, patch: 1, minor: 2, major: 3 };

/** The larger of two bumps. */
export function maxBump(a: Bump, b: Bump): Bump {
  return ORDER[a] >= ORDER[b] ? a : b;
}

/** Whether `have` is at least `need`. */
export function covers(have: Bump, need: Bump): boolean {
  return ORDER[have] >= ORDER[need];
}

/** Summary counts and the bump a set of changes requires: breaking major, non-breaking minor, docs patch. */
export function summarize(changes: Change[]): DiffResult {
  const summary = {
    breaking: changes.filter((change) => change.level === "breaking").length,
    nonBreaking: changes.filter((change) => change.level === "non-breaking").length,
    docs: changes.filter((change) => change.level === "docs").length,
  };
  const bump: Bump = summary.breaking ? "major" : summary.nonBreaking ? "minor" : summary.docs ? "patch" : "none";
  return { changes, summary, bump };
}

/** JSON Pointer locations, from the OpenAPI core. */
export { pointer } from "../../core/src/index.ts";
