/**
 * The registry has no uplinks, so everything a consumer installs must be published to it first:
 * besides our packages, their third-party dependencies (openapi-fetch and what it depends on)
 * and the consumer's own @types/node. They are packed from the workspace's node_modules, at
 * exactly the versions the workspace was tested with.
 */
import { existsSync } from "node:fs";
import { cp, readdir, readFile, realpath } from "node:fs/promises";
import path from "node:path";
import { create as createTar } from "tar";
import { readPacked } from "../../tools/packages/tarball.ts";
import type { Registry } from "./verdaccio.ts";

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

/**
 * Packs the packages from (copies of) their installed folders and publishes each tarball to the
 * registry through its HTTP API (the request `npm publish` makes), without starting npm: one npm
 * process per package cost about a second of CPU each.
 */
export async function publishInstalled(packages: InstalledPackage[], workDir: string, registry: Pick<Registry, "publish">): Promise<void> {
  // pnpm's store hard-links files with equal contents (index.d.mts and index.d.ts, say); a tar
  // writer records the second as a hard-link entry, which npm install then drops. A copy has one
  // inode per file.
  await Promise.all(
    packages.map(async (pkg) => {
      const copy = path.join(workDir, "sources", pkg.name.replace("/", "__"));
      await cp(pkg.folder, copy, { recursive: true, filter: (source) => path.basename(source) !== "node_modules" });
      // What npm pack writes: every file under one top folder, package/. An installed folder
      // holds exactly the files its published tarball had (node_modules left out above).
      const tarball = path.join(workDir, `${pkg.name.replace("@", "").replace("/", "-")}-${pkg.version}.tgz`);
      await createTar({ gzip: true, cwd: copy, prefix: "package", portable: true, file: tarball }, await readdir(copy));
      const packed = await readPacked(tarball);
      if (packed.manifest.name !== pkg.name || packed.manifest.version !== pkg.version) {
        throw new Error(`${tarball} holds ${packed.manifest.name}@${packed.manifest.version}, not ${pkg.name}@${pkg.version}`);
      }
      await registry.publish(packed);
    }),
  );
}
