/**
 * Writing generated files: compare with what is on disk, then replace each changed output root
 * as a whole (stage it in a temporary folder, rename it into place), so that a failure never
 * leaves a half-written folder behind and unchanged folders keep their timestamps.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { ROOT } from "../../tools/paths.ts";
import type { Files } from "../lib/spec.ts";

/** Every file under a folder, relative to `base`, with forward slashes. */
export async function listFiles(folder: string, base = ROOT): Promise<string[]> {
  if (!existsSync(folder)) return [];
  const found: string[] = [];
  for (const entry of await readdir(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) {
      found.push(path.relative(base, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"));
    }
  }
  return found.sort();
}

export interface Difference {
  file: string;
  kind: "changed" | "missing" | "extra";
}

/**
 * How the files on disk (under `base`) differ from the expected ones: within the given roots
 * (where a file nobody generates any more is "extra"), and for the single generated files.
 */
export async function compare(expected: Files, roots: readonly string[], base = ROOT): Promise<Difference[]> {
  const differences: Difference[] = [];
  const onDisk = new Set((await Promise.all(roots.map((root) => listFiles(path.join(base, root), base)))).flat());
  for (const [file, content] of [...expected].sort(([a], [b]) => a.localeCompare(b))) {
    const inRoot = roots.some((root) => file.startsWith(`${root}/`));
    if (inRoot ? !onDisk.has(file) : !existsSync(path.join(base, file))) differences.push({ file, kind: "missing" });
    else if ((await readFile(path.join(base, file), "utf8")) !== content) differences.push({ file, kind: "changed" });
    onDisk.delete(file);
  }
  for (const file of onDisk) differences.push({ file, kind: "extra" });
  return differences;
}

/** The output root a generated file belongs to. */
function rootOf(file: string, roots: readonly string[]): string {
  const root = roots.find((candidate) => file.startsWith(`${candidate}/`));
  if (!root) throw new Error(`${file} is outside the generator's output folders`);
  return root;
}

/**
 * Makes the output roots hold exactly `files`. Roots without differences are left alone.
 * Returns the differences that were written.
 */
export async function commit(files: Files, roots: readonly string[], singles: readonly string[] = [], base = ROOT): Promise<Difference[]> {
  const differences = await compare(files, roots, base);
  if (differences.length === 0) return differences;
  // Single files (generated sections of hand-written READMEs) are replaced one by one, atomically.
  for (const difference of differences.filter((entry) => singles.includes(entry.file))) {
    const target = path.join(base, difference.file);
    const temporary = `${target}.${process.pid}.tmp`;
    await writeFile(temporary, files.get(difference.file) ?? "");
    await rename(temporary, target);
  }
  const changedRoots = [...new Set(differences.filter((entry) => !singles.includes(entry.file)).map((difference) => rootOf(difference.file, roots)))];
  if (changedRoots.length === 0) return differences;
  const scratch = path.join(base, ".tmp");
  await mkdir(scratch, { recursive: true });
  const staging = await mkdtemp(path.join(scratch, "generate-"));
  try {
    for (const [file, content] of files) {
      if (singles.includes(file) || !changedRoots.includes(rootOf(file, roots))) continue;
      const target = path.join(staging, "new", file);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, content);
    }
    for (const root of changedRoots) {
      const target = path.join(base, root);
      const staged = path.join(staging, "new", root);
      await mkdir(path.dirname(target), { recursive: true });
      if (!existsSync(staged)) await mkdir(staged, { recursive: true });
      if (existsSync(target)) await rename(target, path.join(staging, `old-${changedRoots.indexOf(root)}`));
      await rename(staged, target);
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return differences;
}
