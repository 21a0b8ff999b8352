/**
 * Builds every workspace package that has a tsdown config, in one process and in parallel:
 * declarations come from oxc's isolated-declarations transform, so no package waits for
 * another's types.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { build } from "tsdown";
import { publishedPackages } from "../packages/workspace.ts";

export interface BuiltPackage {
  name: string;
  folder: string;
}

/** The published workspace packages that have a tsdown.config.ts, sorted by folder. */
export async function buildablePackages(): Promise<BuiltPackage[]> {
  return (await publishedPackages()).filter((entry) => existsSync(path.join(entry.folder, "tsdown.config.ts")));
}

export async function buildPackages(packages?: BuiltPackage[]): Promise<BuiltPackage[]> {
  const targets = packages ?? (await buildablePackages());
  await Promise.all(targets.map((target) => build({ cwd: target.folder, logLevel: "warn" })));
  return targets;
}
