/**
 * Builds every workspace package that has a tsdown config, in one process and in parallel:
 * declarations come from oxc's isolated-declarations transform, so no package waits for
 * another's types.
 */
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { build } from "tsdown";
import { ROOT } from "../paths.ts";

export interface BuiltPackage {
  name: string;
  folder: string;
}

/** Workspace packages with a tsdown.config.ts, sorted by folder. */
export async function buildablePackages(): Promise<BuiltPackage[]> {
  const packagesDir = path.join(ROOT, "packages");
  const found: BuiltPackage[] = [];
  for (const entry of (await readdir(packagesDir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const folder = path.join(packagesDir, entry.name);
    if (!entry.isDirectory() || !existsSync(path.join(folder, "tsdown.config.ts"))) continue;
    const manifest = JSON.parse(await readFile(path.join(folder, "package.json"), "utf8"));
    found.push({ name: manifest.name, folder });
  }
  return found;
}

export async function buildPackages(packages?: BuiltPackage[]): Promise<BuiltPackage[]> {
  const targets = packages ?? (await buildablePackages());
  await Promise.all(targets.map((target) => build({ cwd: target.folder, logLevel: "warn" })));
  return targets;
}
