/**
 * A throw-away copy of the repository for tests that edit the spec or the generated folders:
 * sources are copied, node_modules folders are linked.
 *
 * The root node_modules is a folder of links to the repository's entries rather than one link,
 * because of the stage cache in node_modules/.cache: a sandbox's `pnpm generate` records the
 * state of the sandbox's dist/ under the same keys as the repository's, and through a shared
 * cache it would tell the repository's next `pnpm generate` (or a test's `pnpm dev`) that its
 * packages are stale, so that they are rebuilt while other tests read them. The sandbox gets the
 * cache's entries as hard links (a hit is still a hit); the pipeline writes an entry as a new
 * file renamed into place, so what the sandbox records stays in the sandbox.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, cp, link, mkdir, mkdtemp, readdir, readFile, rm, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { ROOT } from "./paths.ts";

const run = promisify(execFile);
const SKIP = new Set(["node_modules", "dist", ".git", ".tmp", "test-results"]);

export interface Sandbox {
  root: string;
  /**
   * Runs a repository script with node, as package.json does: `scripts/<name>` on plain node
   * when the name ends in `.mjs`; else its compiled entry `scripts/<name>.mjs` when there is one
   * (as for `generate`, `lint` or `docs`), or `scripts/<name>.ts` with tsx's loader. Resolves
   * even when it fails.
   */
  script(name: string, args?: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Starts a repository script (named as for `script`) and leaves it running. */
  start(name: string, args?: string[]): ChildProcess;
  remove(): Promise<void>;
}

/** The caches under node_modules that runs write to: per sandbox (see the file comment). */
const CACHES = new Set([".cache", ".vite", ".vite-temp"]);

async function linkModules(real: string, modules: string): Promise<void> {
  await mkdir(modules);
  for (const entry of await readdir(real)) {
    if (!CACHES.has(entry)) await symlink(path.join(real, entry), path.join(modules, entry));
  }
  if (existsSync(path.join(real, ".cache"))) await hardLinkTree(path.join(real, ".cache"), path.join(modules, ".cache"));
}

/** A copy of a folder whose files are hard links (copies where linking fails, e.g. across file systems). */
async function hardLinkTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) await hardLinkTree(source, target);
    else if (entry.isFile()) await link(source, target).catch(() => copyFile(source, target));
  }
}

/**
 * A root package.json script of the form `node <args>` as the command pnpm would run, with
 * `extra` appended: `[node, args]`, to run without pnpm (whose start costs about a second of CPU
 * and adds nothing in a test). Throws for a script of any other form.
 */
export async function nodeScript(root: string, name: string, extra: readonly string[] = []): Promise<[string, string[]]> {
  const scripts = JSON.parse(await readFile(path.join(root, "package.json"), "utf8")).scripts as Record<string, string>;
  const line = /^node((?: [^\s&|;<>$`'"\\]+)+)$/.exec(scripts[name] ?? "");
  if (!line) throw new Error(`package.json's ${name} script is \`${scripts[name]}\`, expected \`node <args>\``);
  return [process.execPath, [...line[1]!.trim().split(" "), ...extra]];
}

export async function createSandbox(): Promise<Sandbox> {
  const root = await mkdtemp(path.join(os.tmpdir(), "acs-connect-sandbox-"));
  await cp(ROOT, root, { recursive: true, filter: (source) => !SKIP.has(path.basename(source)) });
  await linkModules(path.join(ROOT, "node_modules"), path.join(root, "node_modules"));
  // The other workspace packages' node_modules: the published packages' and the type checker's (tools/typecheck).
  const packages = (await readdir(path.join(ROOT, "packages"), { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => `packages/${entry.name}`);
  for (const folder of [...packages, "tools/typecheck"]) {
    const modules = path.join(ROOT, folder, "node_modules");
    if (existsSync(modules)) await symlink(modules, path.join(root, folder, "node_modules"));
  }
  // node itself (not the tsx binary, which runs node as a child): one process per script, so
  // stopping it cannot orphan anything.
  const node = (name: string, args: string[]): readonly [string, string[]] => {
    if (name.endsWith(".mjs")) return [process.execPath, [`scripts/${name}`, ...args]];
    // A command that runs compiled has its entry beside its source (scripts/generate.mjs for scripts/generate.ts).
    if (existsSync(path.join(root, "scripts", `${name}.mjs`))) return [process.execPath, [`scripts/${name}.mjs`, ...args]];
    return [process.execPath, ["--import", "tsx", `scripts/${name}.ts`, ...args]];
  };
  const children: ChildProcess[] = [];
  return {
    root,
    async script(name, args = []) {
      try {
        const { stdout, stderr } = await run(...node(name, args), { cwd: root, timeout: 60_000 });
        return { code: 0, stdout, stderr };
      } catch (error) {
        const failure = error as { code?: number; stdout?: string; stderr?: string };
        return { code: typeof failure.code === "number" ? failure.code : 1, stdout: failure.stdout ?? "", stderr: failure.stderr ?? "" };
      }
    },
    start(name, args = []) {
      const child = spawn(...node(name, args), { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
      children.push(child);
      return child;
    },
    async remove() {
      for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
      await rm(root, { recursive: true, force: true });
    },
  };
}
