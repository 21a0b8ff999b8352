/**
 * The registry has no uplinks, so everything a consumer installs must be published to it first:
 * besides our packages, their third-party dependencies (openapi-fetch and what it depends on)
 * and the consumer's own @types/node. They are packed from the workspace's node_modules, at
 * exactly the versions the workspace was tested with.
 */
import { existsSync } from "node:fs";
import { cp, readFile, realpath } from "node:fs/promises";
import path from "node:path";
import { runOk } from "../../tools/packages/process.ts";

export interface InstalledPackage {
  name: string;
  version: string;
  folder: string;
}

/** Node's lookup: `<dir>/node_modules/<name>` in `from` and each of its ancestors. */
function locate(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (path.basename(dir) !== "node_modules") {
      const candidate = path.join(dir, "node_modules", name);
      if (existsSync(path.join(candidate, "package.json"))) return candidate;
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * `names` as installed for `from` (a package folder), with all their dependencies, transitively.
 * Workspace packages (`@acs-connect/*`) are left out: they are published from the sandbox.
 */
export async function dependencyClosure(names: Iterable<string>, from: string): Promise<InstalledPackage[]> {
  const found = new Map<string, InstalledPackage>();
  const queue = [...names].map((name) => ({ name, from }));
  while (queue.length > 0) {
    const { name, from: start } = queue.shift()!;
    if (name.startsWith("@acs-connect/")) continue;
    const located = locate(name, start);
    if (!located) throw new Error(`${name} is not installed where ${start} would find it; run pnpm install`);
    const folder = await realpath(located);
    const manifest = JSON.parse(await readFile(path.join(folder, "package.json"), "utf8")) as {
      version: string;
      dependencies?: Record<string, string>;
    };
    const key = `${name}@${manifest.version}`;
    if (found.has(key)) continue;
    found.set(key, { name, version: manifest.version, folder });
    for (const dependency of Object.keys(manifest.dependencies ?? {})) queue.push({ name: dependency, from: folder });
  }
  return [...found.values()];
}

/** `npm pack` the packages from (copies of) their installed folders, then `npm publish` each tarball to the registry in `env`. */
export async function publishInstalled(packages: InstalledPackage[], workDir: string, env: NodeJS.ProcessEnv): Promise<void> {
  // pnpm's store hard-links files with equal contents (index.d.mts and index.d.ts, say); npm
  // pack records the second as a tar hard-link entry, which npm install then drops. A copy
  // has one inode per file.
  const copies = await Promise.all(
    packages.map(async (pkg) => {
      const copy = path.join(workDir, "sources", pkg.name.replace("/", "__"));
      await cp(pkg.folder, copy, { recursive: true, filter: (source) => path.basename(source) !== "node_modules" });
      return copy;
    }),
  );
  // One npm for all the tarballs. Lifecycle scripts are off: these are built packages, and their
  // scripts expect their own repositories.
  const { stdout } = await runOk("npm", ["pack", ...copies, "--pack-destination", workDir, "--ignore-scripts", "--json"], { cwd: workDir, env, timeoutMs: 120_000 });
  const tarballs = (JSON.parse(stdout) as Array<{ filename: string }>).map((item) => item.filename);
  if (tarballs.length !== packages.length) throw new Error(`npm pack wrote ${tarballs.length} tarballs for ${packages.length} packages:\n${stdout}`);
  await Promise.all(
    tarballs.map((filename) =>
      runOk("npm", ["publish", path.join(workDir, filename), "--ignore-scripts", "--access", "public", "--tag", "latest", "--provenance=false"], {
        cwd: workDir,
        env,
        timeoutMs: 60_000,
      }),
    ),
  );
}
