/**
 * `pnpm pack` a package and read the tarball back: the checks look at exactly the bytes that
 * would be published (pnpm rewrites `workspace:` ranges and applies `files` while packing).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { Parser, type ReadEntry } from "tar";
import { runOk } from "./process.ts";
import type { Manifest } from "./workspace.ts";

/** One regular file of a packed package. */
export interface TarEntry {
  /** Path inside the package, without the tarball's leading `package/`. */
  path: string;
  /** Unix permission bits. */
  mode: number;
  /** The file's contents. */
  data: Buffer;
}

/** A packed package as the registry would receive it. */
export interface PackedPackage {
  /** Where the tarball was written. */
  tarball: string;
  /** The tarball's bytes, for publint. */
  bytes: Buffer;
  /** The package's files by path (without the leading `package/`). */
  entries: Map<string, TarEntry>;
  /** package.json as published. */
  manifest: Manifest;
}

/** Packs the package in `folder` into `destination` with pnpm and reads the result. */
export async function packPackage(folder: string, destination: string, env?: NodeJS.ProcessEnv): Promise<PackedPackage> {
  const { stdout } = await runOk("pnpm", ["pack", "--pack-destination", destination, "--json"], { cwd: folder, env, timeoutMs: 60_000 });
  // pnpm may print warnings before the JSON document; the document is the last `{...}` block.
  const json = stdout.slice(stdout.indexOf("{"));
  const { filename } = JSON.parse(json) as { filename: string };
  return readPacked(filename);
}

/**
 * Packs the packages in `folders` (of the workspace at `root`) into `destination` with one
 * `pnpm --recursive pack` (one pnpm start instead of one per package); results in the order of
 * `folders`.
 */
export async function packPackages(root: string, folders: readonly string[], destination: string, env?: NodeJS.ProcessEnv): Promise<PackedPackage[]> {
  if (folders.length === 0) return [];
  const filters = folders.flatMap((folder) => ["--filter", `./${path.relative(root, folder)}`]);
  const { stdout } = await runOk("pnpm", ["--recursive", ...filters, "pack", "--pack-destination", destination, "--json"], { cwd: root, env, timeoutMs: 120_000 });
  // pnpm may print warnings before the JSON document; the document is the last `[...]` block.
  const written = JSON.parse(stdout.slice(stdout.indexOf("["))) as Array<{ filename: string }>;
  const packed = await Promise.all(written.map(({ filename }) => readPacked(filename)));
  return Promise.all(
    folders.map(async (folder) => {
      const { name } = JSON.parse(await readFile(path.join(folder, "package.json"), "utf8")) as { name: string };
      const found = packed.find((item) => item.manifest.name === name);
      if (!found) throw new Error(`pnpm pack wrote no tarball of ${name} (${folder}):\n${stdout}`);
      return found;
    }),
  );
}

/** Reads a tarball written by `pnpm pack` (or `npm pack`): its bytes, its files and its manifest. */
export async function readPacked(tarball: string): Promise<PackedPackage> {
  const bytes = await readFile(tarball);
  const entries = await readTar(bytes);
  const manifestEntry = entries.get("package.json");
  if (!manifestEntry) throw new Error(`${tarball} has no package.json`);
  return { tarball, bytes, entries, manifest: JSON.parse(manifestEntry.data.toString("utf8")) as Manifest };
}

/** Entry types that hold a regular file's bytes ("OldFile" is the pre-POSIX `\0` type flag). */
const FILE_TYPES = new Set(["File", "OldFile", "ContiguousFile"]);

/**
 * The regular files of a tar archive, gzipped or not, keyed by their path inside the package.
 * node-tar (the reader npm itself uses) handles the PAX and GNU long-name records; `strict`
 * turns its warnings (bad checksum, truncated archive) into a rejection, so a damaged tarball
 * fails the check instead of yielding a partial file list.
 */
export function readTar(archive: Buffer): Promise<Map<string, TarEntry>> {
  return new Promise((resolve, reject) => {
    const entries = new Map<string, TarEntry>();
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        // The parser waits for each entry to be read to its end, so folders and links are drained.
        if (!FILE_TYPES.has(entry.type)) return void entry.resume();
        const chunks: Buffer[] = [];
        entry.on("data", (chunk: Buffer) => chunks.push(chunk));
        entry.on("end", () => {
          // npm and pnpm put everything under one top folder (`package/`); checks name files without it.
          const inside = entry.path.replace(/^[^/]+\//, "");
          entries.set(inside, { path: inside, mode: entry.mode ?? 0, data: Buffer.concat(chunks) });
        });
      },
    });
    parser.on("error", reject);
    parser.on("end", () => resolve(entries));
    parser.end(archive);
  });
}
