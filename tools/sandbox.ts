/**
 * A throw-away copy of the repository for tests that edit the spec or the generated folders:
 * sources are copied, node_modules folders are linked.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdtemp, readdir, rm, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { ROOT } from "./paths.ts";

const run = promisify(execFile);
const SKIP = new Set(["node_modules", "dist", ".git", ".tmp", "test-results"]);

export interface Sandbox {
  root: string;
  /** Runs a repository script (`scripts/<name>.ts`) with tsx; resolves even when it fails. */
  script(name: string, args?: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Starts a repository script and leaves it running. */
  start(name: string, args?: string[]): ChildProcess;
  remove(): Promise<void>;
}

export async function createSandbox(): Promise<Sandbox> {
  const root = await mkdtemp(path.join(os.tmpdir(), "acs-connect-sandbox-"));
  await cp(ROOT, root, { recursive: true, filter: (source) => !SKIP.has(path.basename(source)) });
  await symlink(path.join(ROOT, "node_modules"), path.join(root, "node_modules"));
  for (const entry of await readdir(path.join(ROOT, "packages"), { withFileTypes: true })) {
    const modules = path.join(ROOT, "packages", entry.name, "node_modules");
    if (entry.isDirectory() && existsSync(modules)) await symlink(modules, path.join(root, "packages", entry.name, "node_modules"));
  }
  // node itself with tsx's loader (not the tsx binary, which runs node as a child): one process
  // per script, so stopping it cannot orphan anything.
  const node = (script: string, args: string[]) => [process.execPath, ["--import", "tsx", script, ...args]] as const;
  const children: ChildProcess[] = [];
  return {
    root,
    async script(name, args = []) {
      try {
        const { stdout, stderr } = await run(...node(`scripts/${name}.ts`, args), { cwd: root, timeout: 60_000 });
        return { code: 0, stdout, stderr };
      } catch (error) {
        const failure = error as { code?: number; stdout?: string; stderr?: string };
        return { code: typeof failure.code === "number" ? failure.code : 1, stdout: failure.stdout ?? "", stderr: failure.stderr ?? "" };
      }
    },
    start(name, args = []) {
      const child = spawn(...node(`scripts/${name}.ts`, args), { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
      children.push(child);
      return child;
    },
    async remove() {
      for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
      await rm(root, { recursive: true, force: true });
    },
  };
}
