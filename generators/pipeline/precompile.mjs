/**
 * Runs a TypeScript entry point of the repository (and the worker entries it starts) from a
 * JavaScript build of it, so that `pnpm generate` runs on plain Node instead of under tsx.
 *
 * Why: tsx's loader hooks sit in front of every module load, the dependencies' too, and loading
 * TypeScript, Spectral, Ajv and tsdown through them costs about twice the CPU of loading them on
 * plain Node (3.3 s against 1.3 s for `typescript` alone, measured on these machines), plus
 * 0.4 s for tsx's own start. This file is JavaScript because it runs before anything could
 * compile TypeScript.
 *
 * The build is esbuild's (a root devDependency): the repository's own files bundled into ES
 * modules, dependencies left to Node (`packages: "external"`), dynamic imports kept as separate
 * chunks so that a run loads only the stages it runs. `import.meta.url`, `import.meta.dirname`
 * and `import.meta.filename` are given the values they have in the source file, so paths
 * resolved from them (tools/paths.ts's ROOT, createRequire) are the same as under tsx.
 *
 * The build is reused while it is current: its key is a hash of the content of every file it
 * was built from (as read for the build), of this file and of the esbuild and Node versions.
 * Checking it reads those files (about 40, a few hundred kB) and nothing else; any change to
 * any of them, an added import included (it changes the importing file), rebuilds. Builds live
 * in node_modules/.cache/acs-connect/compiled/ (never committed); a broken or missing entry is
 * rebuilt, never trusted.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CACHE = path.join(ROOT, "node_modules/.cache/acs-connect/compiled");
const SELF = fileURLToPath(import.meta.url);
/** A build's manifest: one per entry and repository root (sandbox copies share the cache, see keyOf). */
const manifestFile = (/** @type {string} */ name) => path.join(CACHE, `${name}-${createHash("sha256").update(ROOT).digest("hex").slice(0, 12)}.json`);

/** The names that stand for a module's import.meta values in the build (see compile). */
const META = { url: "__acsImportMetaUrl", dirname: "__acsImportMetaDirname", filename: "__acsImportMetaFilename" };

/** Where compiled entries are found at run time: source file (absolute) -> compiled file URL. */
export const COMPILED = Symbol.for("acs-connect.compiled");

/**
 * @param {readonly string[]} files absolute paths
 * @param {(file: string) => string | Buffer} read
 */
function keyOf(files, read) {
  const hash = createHash("sha256");
  const esbuild = JSON.parse(readFileSync(createRequire(import.meta.url).resolve("esbuild/package.json"), "utf8")).version;
  // The root too: sandbox copies share this cache (a linked node_modules), and a build holds absolute paths.
  hash.update(`${ROOT}\0${process.versions.node}\0${esbuild}\0`).update(readFileSync(SELF));
  for (const file of [...files].sort()) hash.update(`\0${path.relative(ROOT, file)}\0`).update(read(file));
  return hash.digest("hex").slice(0, 32);
}

/**
 * @typedef {{ key: string, dir: string, inputs: string[], outputs: Record<string, string> }} Manifest
 * `inputs` repo-relative; `outputs` maps each repo-relative entry to its file in `dir`.
 */

/** @param {string} name @returns {Promise<Manifest | undefined>} */
async function current(name) {
  try {
    /** @type {Manifest} */
    const manifest = JSON.parse(await readFile(manifestFile(name), "utf8"));
    const key = keyOf(
      manifest.inputs.map((file) => path.join(ROOT, file)),
      (file) => readFileSync(file),
    );
    if (key !== manifest.key) return undefined;
    if (!Object.values(manifest.outputs).every((file) => existsSync(path.join(CACHE, manifest.dir, file)))) return undefined;
    return manifest;
  } catch {
    return undefined;
  }
}

/**
 * Builds the entries (repo-relative .ts files) and records the build under `name`.
 * @param {string} name @param {readonly string[]} entries @returns {Promise<Manifest>}
 */
async function compile(name, entries) {
  const { build } = await import("esbuild");
  /** @type {Map<string, string>} what each repository file read for the build held */
  const read = new Map();
  const LOADERS = /** @type {const} */ ({ ".ts": "ts", ".mts": "ts", ".js": "js", ".mjs": "js", ".json": "json" });
  const staging = path.join(CACHE, `.${name}-${process.pid}-${Date.now()}`);
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [...entries],
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    outdir: staging,
    outExtension: { ".js": ".mjs" },
    entryNames: "[dir]/[name]",
    metafile: true,
    logLevel: "silent",
    // Expressions only (never text in strings or comments), unlike a search and replace.
    define: { "import.meta.url": META.url, "import.meta.dirname": META.dirname, "import.meta.filename": META.filename },
    plugins: [
      {
        name: "acs-connect:source-locations",
        setup(setup) {
          setup.onLoad({ filter: /.*/ }, async (args) => {
            if (args.path.split(path.sep).includes("node_modules")) return undefined;
            const loader = LOADERS[/** @type {keyof typeof LOADERS} */ (path.extname(args.path))];
            if (!loader) throw new Error(`${path.relative(ROOT, args.path)}: no loader for this kind of file in ${path.relative(ROOT, SELF)}`);
            const text = await readFile(args.path, "utf8");
            read.set(args.path, text);
            if (loader === "json") return { contents: text, loader };
            // Each module's own values, which `define` (below) puts where the code reads import.meta;
            // esbuild renames them apart when it joins modules, and drops those a module does not use.
            const locations =
              `const ${META.url} = ${JSON.stringify(pathToFileURL(args.path).href)}, ` +
              `${META.dirname} = ${JSON.stringify(path.dirname(args.path))}, ${META.filename} = ${JSON.stringify(args.path)};\n`;
            return { contents: `${locations}${text}`, loader };
          });
        },
      },
    ],
  });
  /** @type {Record<string, string>} */
  const outputs = {};
  for (const [output, info] of Object.entries(result.metafile.outputs)) {
    if (info.entryPoint) outputs[info.entryPoint] = path.relative(staging, path.resolve(ROOT, output));
  }
  const key = keyOf([...read.keys()], (file) => /** @type {string} */ (read.get(file)));
  const dir = `${name}-${key}`;
  const target = path.join(CACHE, dir);
  if (existsSync(target)) await rm(staging, { recursive: true, force: true });
  else await rename(staging, target).catch(async (error) => {
    // Another run finished the same build first: use that one.
    await rm(staging, { recursive: true, force: true });
    if (!existsSync(target)) throw error;
  });
  /** @type {Manifest} */
  const manifest = { key, dir, inputs: [...read.keys()].map((file) => path.relative(ROOT, file)).sort(), outputs };
  const file = manifestFile(name);
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temporary, JSON.stringify(manifest));
  await rename(temporary, file);
  // Earlier builds are no longer named by a manifest, but a long-running process (watch mode) may
  // still load chunks of one lazily: only those a day old go.
  for (const entry of await readdir(CACHE, { withFileTypes: true })) {
    // Only this entry's own earlier builds: another entry's current build may be as old.
    if (!entry.isDirectory() || entry.name === dir || !entry.name.startsWith(`${name}-`)) continue;
    const old = await stat(path.join(CACHE, entry.name)).then((info) => Date.now() - info.mtimeMs > 86_400_000, () => false);
    if (old) await rm(path.join(CACHE, entry.name), { recursive: true, force: true }).catch(() => {});
  }
  return manifest;
}

/**
 * Imports the JavaScript build of `entries[0]` (repo-relative), building it first when any file
 * it is made of changed, and resolves with its exports. The other entries (worker scripts) are built with it and can be looked
 * up through {@link COMPILED} (see workers.ts).
 * @param {string} name @param {readonly string[]} entries
 */
export async function runCompiled(name, entries) {
  await mkdir(CACHE, { recursive: true });
  const manifest = (await current(name)) ?? (await compile(name, entries));
  /** @type {Map<string, URL>} */
  const compiled = new Map();
  for (const [entry, file] of Object.entries(manifest.outputs)) compiled.set(path.join(ROOT, entry), pathToFileURL(path.join(CACHE, manifest.dir, file)));
  Object.defineProperty(globalThis, COMPILED, { value: compiled, configurable: true });
  const main = compiled.get(path.join(ROOT, /** @type {string} */ (entries[0])));
  if (!main) throw new Error(`${entries[0]} was not built`);
  return import(main.href);
}
