/**
 * Stage results keyed by a hash of everything they depend on (the spec's text, the generator's
 * folder, generators/lib, the inputs its config names, and the lockfile for tool versions), so
 * that a regeneration where nothing changed loads no generator, no linter and no JVM. Entries
 * live in node_modules/.cache/acs-connect/ (never committed); a corrupt or missing entry is a
 * miss, never a failure. ACS_CONNECT_NO_CACHE=1 recomputes every stage (results are still recorded).
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { ROOT } from "../../tools/paths.ts";

export const CACHE_DIR = path.join(ROOT, "node_modules/.cache/acs-connect/generate");

const enabled = () => process.env.ACS_CONNECT_NO_CACHE !== "1";

/** Every file under the given repo-relative files and folders, sorted. */
async function filesOf(entries: readonly string[], root: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of entries) {
    const full = path.join(root, entry);
    if (!existsSync(full)) continue;
    const listed = await readdir(full, { withFileTypes: true, recursive: true }).catch(() => undefined);
    if (!listed) {
      found.push(entry);
      continue;
    }
    for (const item of listed) {
      if (!item.isFile()) continue;
      const file = path.relative(root, path.join(item.parentPath, item.name));
      // Tests and their goldens are not inputs of generation.
      if (!file.split(path.sep).some((part) => part === "test" || part === "golden" || part === "node_modules")) found.push(file);
    }
  }
  return [...new Set(found)].sort();
}

/**
 * Each file's digest, read once per run: the stages' keys share most of their files (the
 * lockfile, core/src, generators/lib), and a run is one snapshot of them. Never kept from one
 * run to the next (watch mode), so an edit is always read.
 */
let digests = new Map<string, Promise<string>>();

/** Starts a run: files are read again. */
export function newHashRun(): void {
  digests = new Map();
}

function digestOf(file: string): Promise<string> {
  let digest = digests.get(file);
  if (!digest) {
    digest = readFile(file).then((content) => createHash("sha256").update(content).digest("hex"));
    digests.set(file, digest);
  }
  return digest;
}

/** A hash of `texts` and the contents of the given repo-relative files and folders. */
export async function cacheKey(texts: readonly string[], entries: readonly string[], root = ROOT): Promise<string> {
  const hash = createHash("sha256");
  for (const text of texts) hash.update(`${text.length}:${text}`);
  const files = await filesOf([...entries, "pnpm-lock.yaml"], root);
  const fileDigests = await Promise.all(files.map((file) => digestOf(path.join(root, file))));
  for (const [index, file] of files.entries()) hash.update(`${file}\0${fileDigests[index]}\0`);
  return hash.digest("hex").slice(0, 32);
}

export async function readCache<T>(name: string, key: string): Promise<T | undefined> {
  if (!enabled()) return undefined;
  try {
    return JSON.parse(await readFile(path.join(CACHE_DIR, `${name}-${key}.json`), "utf8")) as T;
  } catch {
    return undefined;
  }
}

export async function writeCache(name: string, key: string, value: unknown): Promise<void> {
  await mkdir(CACHE_DIR, { recursive: true });
  const file = path.join(CACHE_DIR, `${name}-${key}.json`);
  // A unique temporary name and a rename: concurrent runs never see half an entry.
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temporary, JSON.stringify(value));
  await rename(temporary, file);
}
