/**
 * Builds the published workspace packages that have a tsdown config, in one process and in
 * parallel (declarations come from oxc's isolated-declarations transform, so no package waits
 * for another's types). A package is rebuilt only when its sources, manifest or build config
 * changed since its last build, or its dist/ is not what that build wrote.
 */
import { existsSync } from "node:fs";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { publishedPackages, type WorkspacePackage } from "../../tools/packages/workspace.ts";
import { config as referenceConfig } from "../reference/config.ts";
import { cacheKey, readCache, writeCache } from "./cache.ts";

export type BuiltPackage = Pick<WorkspacePackage, "name" | "dir" | "folder">;

/** The published workspace packages that have a tsdown.config.ts, sorted by folder. */
export async function buildablePackages(): Promise<BuiltPackage[]> {
  return (await publishedPackages()).filter((entry) => existsSync(path.join(entry.folder, "tsdown.config.ts")));
}

/**
 * Files that are written into a dist/ after its build rather than by it: the reference page
 * (the reference generator's output; the docs stage, `pnpm run docs`). tsdown empties dist/
 * before it builds, so a rebuild outside `pnpm generate` (the test suite's set-up, after a
 * source or the lockfile changed) would leave @acs-connect/spec without its page; a rebuild
 * keeps them instead.
 */
const WRITTEN_AFTER_BUILD = (referenceConfig.outputs.files ?? []).map((file) => path.basename(file));

/** Builds the given packages (default: all) unconditionally. */
export async function buildPackages(packages?: BuiltPackage[]): Promise<BuiltPackage[]> {
  const targets = packages ?? (await buildablePackages());
  const { build } = await import("tsdown");
  await Promise.all(
    targets.map(async (target) => {
      const kept = WRITTEN_AFTER_BUILD.map((name) => path.join(target.folder, "dist", name)).filter((file) => existsSync(file));
      const contents = await Promise.all(kept.map((file) => readFile(file)));
      await build({ cwd: target.folder, logLevel: "warn" });
      await Promise.all(kept.map((file, index) => (existsSync(file) ? undefined : writeFile(file, contents[index]!))));
    }),
  );
  return targets;
}

/** What a build left in dist/: each file's size and modification time. */
async function distState(folder: string): Promise<Record<string, [number, number]>> {
  const dist = path.join(folder, "dist");
  if (!existsSync(dist)) return {};
  const state: Record<string, [number, number]> = {};
  for (const entry of await readdir(dist, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (WRITTEN_AFTER_BUILD.includes(entry.name)) continue;
    const info = await stat(file);
    state[path.relative(dist, file)] = [info.size, Math.round(info.mtimeMs)];
  }
  return state;
}

/** The inputs of one package's build. */
function buildKey(pkg: BuiltPackage): Promise<string> {
  const base = path.relative(path.resolve(pkg.folder, "../.."), pkg.folder);
  // The folder too: sandbox copies share the cache (a linked node_modules), and each has its own dist/.
  return cacheKey([pkg.name, pkg.folder], [`${base}/src`, `${base}/package.json`, `${base}/tsdown.config.ts`, "tsdown.base.ts"]);
}

export interface BuildReport {
  built: BuiltPackage[];
  upToDate: BuiltPackage[];
}

/** Builds the packages whose inputs changed or whose dist/ was touched since their last build. */
export async function buildChanged(): Promise<BuildReport> {
  const packages = await buildablePackages();
  const checks = await Promise.all(
    packages.map(async (pkg) => {
      const key = await buildKey(pkg);
      const recorded = await readCache<Record<string, [number, number]>>(`build-${pkg.dir}`, key);
      const fresh = recorded !== undefined && Object.keys(recorded).length > 0 && JSON.stringify(recorded) === JSON.stringify(await distState(pkg.folder));
      return { pkg, key, fresh };
    }),
  );
  const stale = checks.filter((check) => !check.fresh);
  if (stale.length > 0) await buildPackages(stale.map((check) => check.pkg));
  await Promise.all(stale.map(async ({ pkg, key }) => writeCache(`build-${pkg.dir}`, key, await distState(pkg.folder))));
  return { built: stale.map((check) => check.pkg), upToDate: checks.filter((check) => check.fresh).map((check) => check.pkg) };
}
