/**
 * A small line diff (longest common subsequence) for showing what changed in an API report.
 * Reports are a few hundred lines, so the quadratic table is cheap.
 */

/** `-`/`+` lines with `context` unchanged lines around each change; `...` stands for lines left out. */
export function lineDiff(before: string, after: string, context = 2): string {
  const a = before.split("\n");
  const b = after.split("\n");
  // lengths[i][j]: length of the LCS of a[i..] and b[j..].
  const width = b.length + 1;
  const lengths = new Uint32Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lengths[i * width + j] = a[i] === b[j] ? lengths[(i + 1) * width + j + 1]! + 1 : Math.max(lengths[(i + 1) * width + j]!, lengths[i * width + j + 1]!);
    }
  }
  const lines: { mark: " " | "-" | "+"; text: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      lines.push({ mark: " ", text: a[i]! });
      i++;
      j++;
    } else if (i < a.length && (j >= b.length || lengths[(i + 1) * width + j]! >= lengths[i * width + j + 1]!)) {
      lines.push({ mark: "-", text: a[i]! });
      i++;
    } else {
      lines.push({ mark: "+", text: b[j]! });
      j++;
    }
  }
  const keep = lines.map((line, index) => lines.slice(Math.max(0, index - context), index + context + 1).some((near) => near.mark !== " "));
  const out: string[] = [];
  let skipped = false;
  lines.forEach((line, index) => {
    if (!keep[index]) {
      skipped = true;
      return;
    }
    if (skipped) out.push("...");
    skipped = false;
    out.push(`${line.mark} ${line.text}`);
  });
  if (skipped) out.push("...");
  return out.join("\n");
}
