/**
 * The published packages of the workspace (`packages/*` without `"private": true`) and the
 * metadata every one of them must carry.
 */
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { ROOT } from "../paths.ts";

/** The subset of package.json the scripts read. */
export interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  description?: string;
  license?: string;
  type?: string;
  author?: string;
  homepage?: string;
  keywords?: string[];
  sideEffects?: boolean | string[];
  repository?: { type?: string; url?: string; directory?: string } | string;
  bugs?: { url?: string } | string;
  engines?: Record<string, string>;
  publishConfig?: Record<string, unknown>;
  exports?: unknown;
  main?: string;
  module?: string;
  types?: string;
  bin?: string | Record<string, string>;
  files?: string[];
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

export interface WorkspacePackage {
  name: string;
  /** The folder name under packages/, e.g. "client". */
  dir: string;
  /** Absolute path of the package folder. */
  folder: string;
  manifest: Manifest;
}

export const SCOPE = "@acs-connect/";
export const REPOSITORY_URL = "git+https://github.com/acs-connect/acs-connect.git";
export const NODE_ENGINE = ">=20.19";

/** Every non-private package under `<root>/packages`, sorted by folder. */
export async function publishedPackages(root = ROOT): Promise<WorkspacePackage[]> {
  const packagesDir = path.join(root, "packages");
  const found: WorkspacePackage[] = [];
  const entries = (await readdir(packagesDir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    const folder = path.join(packagesDir, entry.name);
    const file = path.join(folder, "package.json");
    if (!entry.isDirectory() || !existsSync(file)) continue;
    const manifest = JSON.parse(await readFile(file, "utf8")) as Manifest;
    if (manifest.private) continue;
    found.push({ name: manifest.name, dir: entry.name, folder, manifest });
  }
  return found;
}

/** Where a package's committed API report lives: `packages/<dir>/review/<dir>.api.md`. */
export function apiReportPath(dir: string, root = ROOT): string {
  return path.join(root, "packages", dir, "review", `${dir}.api.md`);
}
