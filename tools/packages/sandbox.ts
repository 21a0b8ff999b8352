/**
 * A sandbox copy of the repository whose packages can be built, versioned, packed and published
 * without touching the working tree (see ../sandbox.ts).
 *
 * One adjustment makes it a faithful workspace: `createSandbox` links each package's
 * node_modules folder to the real one, whose `@acs-connect/*` entries point back at the real
 * packages. pnpm reads the version of a `workspace:*` dependency from that link when it packs or
 * publishes, so a sandbox that ran `changeset version` would publish `@acs-connect/types@0.1.0`
 * depending on the real checkout's `0.0.0`. Here each package gets its own node_modules folder:
 * third-party entries link to the real installation, workspace entries to the sandbox's packages.
 */
import { existsSync } from "node:fs";
import { cp, lstat, mkdir, readdir, readFile, realpath, rm, symlink } from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { ROOT } from "../paths.ts";
import { createSandbox, type Sandbox } from "../sandbox.ts";
import { runOk } from "./process.ts";
import { publishedPackages, SCOPE, type WorkspacePackage } from "./workspace.ts";

export interface PackageSandbox extends Sandbox {
  /** The published packages as they are in the sandbox (re-read after `changeset version`). */
  packages(): Promise<WorkspacePackage[]>;
  /** Builds every published package as `pnpm generate` does (tsdown, then the reference page); returns the time in ms. */
  build(): Promise<number>;
}

const TSDOWN = path.join(ROOT, "node_modules/tsdown/dist/run.mjs");
const DOCS_SCRIPT = "scripts/docs.ts";

export interface PackageSandboxOptions {
  /**
   * A sandbox whose packages are already built (the e2e global setup makes one): `build()`
   * copies their dist/ folders instead of building again.
   */
  prebuilt?: string | undefined;
}

export async function createPackageSandbox(options: PackageSandboxOptions = {}): Promise<PackageSandbox> {
  const sandbox = await createSandbox();
  try {
    await relinkWorkspace(sandbox.root);
  } catch (error) {
    await sandbox.remove();
    throw error;
  }
  return {
    ...sandbox,
    packages: () => publishedPackages(sandbox.root),
    async build() {
      const started = performance.now();
      const packages = await publishedPackages(sandbox.root);
      if (options.prebuilt) {
        for (const pkg of packages) {
          await cp(path.join(options.prebuilt, "packages", pkg.dir, "dist"), path.join(pkg.folder, "dist"), { recursive: true });
        }
        return performance.now() - started;
      }
      // One tsdown process per package, in parallel: what `pnpm exec tsdown` does in each folder.
      await Promise.all(packages.map((pkg) => runOk(process.execPath, [TSDOWN], { cwd: pkg.folder, timeoutMs: 120_000 })));
      // `pnpm generate` (the build `pnpm release` publishes) also renders @acs-connect/spec's
      // reference page into its dist/ after tsdown has emptied it; `pnpm docs` does that alone.
      if (existsSync(path.join(sandbox.root, DOCS_SCRIPT))) {
        await runOk(process.execPath, ["--import", "tsx", DOCS_SCRIPT], { cwd: sandbox.root, timeoutMs: 120_000 });
      }
      return performance.now() - started;
    },
  };
}

/** Gives every package of the sandbox a node_modules folder of its own (see the file comment). */
export async function relinkWorkspace(root: string): Promise<void> {
  const folders = new Map<string, string>();
  for (const entry of await readdir(path.join(root, "packages"), { withFileTypes: true })) {
    const folder = path.join(root, "packages", entry.name);
    if (entry.isDirectory() && existsSync(path.join(folder, "package.json"))) {
      const { name } = JSON.parse(await readFile(path.join(folder, "package.json"), "utf8")) as { name: string };
      folders.set(name, folder);
    }
  }
  for (const folder of folders.values()) {
    const modules = path.join(folder, "node_modules");
    const real = path.join(ROOT, path.relative(root, modules));
    if (existsSync(modules) && (await lstat(modules)).isSymbolicLink()) await rm(modules);
    if (!existsSync(real)) continue;
    await mkdir(modules, { recursive: true });
    for (const entry of await readdir(real, { withFileTypes: true })) {
      // .bin scripts locate their targets relative to the real tree; .unrun is tsdown's cache.
      if (entry.name === ".bin" || entry.name === ".unrun") continue;
      const names = entry.name.startsWith("@") ? (await readdir(path.join(real, entry.name))).map((child) => `${entry.name}/${child}`) : [entry.name];
      for (const name of names) {
        const target = name.startsWith(SCOPE) ? folders.get(name) : await realpath(path.join(real, name));
        if (!target) throw new Error(`the sandbox has no package ${name}, which ${path.relative(ROOT, real)} links to`);
        await mkdir(path.dirname(path.join(modules, name)), { recursive: true });
        await symlink(target, path.join(modules, name));
      }
    }
  }
}
