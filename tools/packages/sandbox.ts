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
import { copyFile, cp, lstat, mkdir, readdir, readFile, realpath, rm, symlink } from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { ROOT } from "../paths.ts";
import { createSandbox, nodeScript, type Sandbox } from "../sandbox.ts";
import { runOk } from "./process.ts";
import { publishedPackages, SCOPE, type WorkspacePackage } from "./workspace.ts";

export interface PackageSandbox extends Sandbox {
  /** The published packages as they are in the sandbox (re-read after `changeset version`). */
  packages(): Promise<WorkspacePackage[]>;
  /** Builds every published package as `pnpm generate` does (tsdown, then the reference page); returns the time in ms. */
  build(): Promise<number>;
}

const PAGE = "packages/spec/dist/reference.html";
const BUNDLE = "packages/spec/src/generated/openapi.json";

/**
 * Builds the package folders given as arguments with tsdown's API, all in one Node process and
 * in parallel, as `pnpm generate` builds them: one start of Node and tsdown instead of one per
 * package. Each build reads the tsdown.config.ts of its folder.
 */
const BUILD_ALL = 'const { build } = await import("tsdown"); await Promise.all(process.argv.slice(1).map((cwd) => build({ cwd, logLevel: "warn" })));';

export interface PackageSandboxOptions {
  /**
   * A checkout or sandbox whose packages are already built (the e2e global setup's sandbox, or
   * the working tree once its builds are up to date): `build()` copies their dist/ folders
   * instead of building again (and, with `pageFrom`, makes sure of the reference page as below).
   */
  prebuilt?: string | undefined;
  /**
   * A sandbox whose reference page was rendered in this run (the e2e global setup's): `build()`
   * copies that page instead of rendering it again when it embeds the same document as this
   * sandbox's bundle would give (a version bump changes the packages, not the spec).
   */
  pageFrom?: string | undefined;
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
        if (!options.pageFrom) return performance.now() - started;
      } else {
        await runOk(process.execPath, ["--input-type=module", "--eval", BUILD_ALL, ...packages.map((pkg) => pkg.folder)], { cwd: sandbox.root, timeoutMs: 180_000 });
      }
      // `pnpm generate` (the build `pnpm release` publishes) also renders @acs-connect/spec's
      // reference page into its dist/ after tsdown has emptied it; `pnpm docs` does that alone.
      if (options.pageFrom && (await samePage(options.pageFrom, sandbox.root))) {
        await copyFile(path.join(options.pageFrom, PAGE), path.join(sandbox.root, PAGE));
      } else {
        await runOk(...(await nodeScript(sandbox.root, "docs")), { cwd: sandbox.root, timeoutMs: 120_000 });
      }
      return performance.now() - started;
    },
  };
}

/**
 * Whether the reference page in `from` shows what `pnpm run docs` would render in `root`: the
 * spec, the generator that renders it and the tools' versions (the lockfile) are the same, and
 * the document the page embeds is the one made from `root`'s bundle.
 */
async function samePage(from: string, root: string): Promise<boolean> {
  const { embeddedDefinition, referenceDocument } = await import("../../generators/reference/index.ts");
  const read = (base: string, file: string) => readFile(path.join(base, file), "utf8").catch(() => undefined);
  const [page, bundle] = await Promise.all([read(from, PAGE), read(root, BUNDLE)]);
  if (page === undefined || bundle === undefined) return false;
  for (const file of ["spec/openapi.yaml", "generators/reference/index.ts", "generators/reference/config.ts", "pnpm-lock.yaml"]) {
    if ((await read(from, file)) !== (await read(root, file))) return false;
  }
  return JSON.stringify(embeddedDefinition(page)) === JSON.stringify(referenceDocument(JSON.parse(bundle)));
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
