/**
 * What changed in an API report, shown as the hunks of a unified diff (jsdiff's `structuredPatch`):
 * the format `git diff` prints, so a reviewer reads it without learning a new one.
 */
import { structuredPatch } from "diff";

/**
 * The hunks from `before` to `after`, each an `@@ -line,count +line,count @@` header followed by
 * its lines marked `-` (removed), `+` (added) or ` ` (unchanged, `context` of them around each
 * change). Lines further from any change are left out. Empty when the texts are equal.
 */
export function lineDiff(before: string, after: string, context = 2): string {
  const { hunks } = structuredPatch("", "", before, after, undefined, undefined, { context });
  return hunks
    .flatMap((hunk) => [`@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`, ...hunk.lines])
    .join("\n");
}
