/**
 * `pnpm pack` a package and read the tarball back: the checks look at exactly the bytes that
 * would be published (pnpm rewrites `workspace:` ranges and applies `files` while packing).
 */
import { readFile } from "node:fs/promises";
import { gunzipSync } from "node:zlib";
import { runOk } from "./process.ts";
import type { Manifest } from "./workspace.ts";

export interface TarEntry {
  /** Path inside the package, without the tarball's leading `package/`. */
  path: string;
  /** Unix permission bits. */
  mode: number;
  data: Buffer;
}

export interface PackedPackage {
  tarball: string;
  /** The tarball's bytes, for publint. */
  bytes: Buffer;
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

export async function readPacked(tarball: string): Promise<PackedPackage> {
  const bytes = await readFile(tarball);
  const entries = readTar(gunzipSync(bytes));
  const manifestEntry = entries.get("package.json");
  if (!manifestEntry) throw new Error(`${tarball} has no package.json`);
  return { tarball, bytes, entries, manifest: JSON.parse(manifestEntry.data.toString("utf8")) as Manifest };
}

/**
 * A minimal reader of the ustar archives npm and pnpm write: regular files only, with PAX `path`
 * records for long names. Enough for checking a package, not a general tar implementation.
 */
export function readTar(archive: Buffer): Map<string, TarEntry> {
  const entries = new Map<string, TarEntry>();
  const text = (start: number, length: number) => {
    const raw = archive.subarray(start, start + length);
    const end = raw.indexOf(0);
    return raw.subarray(0, end === -1 ? raw.length : end).toString("utf8");
  };
  const octal = (start: number, length: number) => Number.parseInt(text(start, length).trim() || "0", 8);
  let offset = 0;
  let paxPath: string | undefined;
  while (offset + 512 <= archive.length) {
    if (archive.subarray(offset, offset + 512).every((byte) => byte === 0)) break;
    const name = text(offset, 100);
    const mode = octal(offset + 100, 8);
    const size = octal(offset + 124, 12);
    const type = String.fromCharCode(archive[offset + 156] ?? 0);
    const prefix = archive.subarray(offset + 257, offset + 262).toString("latin1") === "ustar" ? text(offset + 345, 155) : "";
    const data = archive.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === "x") {
      paxPath = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString("utf8"))?.[1];
      continue;
    }
    if (type !== "0" && type !== "\0") {
      paxPath = undefined;
      continue;
    }
    const full = paxPath ?? (prefix ? `${prefix}/${name}` : name);
    paxPath = undefined;
    const inside = full.replace(/^[^/]+\//, "");
    entries.set(inside, { path: inside, mode, data: Buffer.from(data) });
  }
  return entries;
}
