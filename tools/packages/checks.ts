/**
 * The checks of one packed package: the project's own manifest rules, publint and
 * arethetypeswrong. Each returns a list of problems, empty when the package is fine; any problem
 * fails `pnpm check:packages` and the packaging test.
 */
import { realpathSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { builtinModules, createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { publint } from "publint";
import { formatMessage } from "publint/utils";
import { ROOT } from "../paths.ts";
import type { PackedPackage } from "./tarball.ts";
import { NODE_ENGINE, REPOSITORY_URL, SCOPE, type Manifest } from "./workspace.ts";

/** Files any package may ship besides its build output and what its exports name. */
const METADATA_FILES = new Set(["package.json", "README.md", "CHANGELOG.md", "LICENSE", "LICENSE.md", "LICENSE.txt"]);
/** Extensions TypeScript and Node resolve as modules; other export targets are plain assets. */
const MODULE_EXTENSIONS = /\.(?:[cm]?js|json|d\.[cm]?ts)$/;
const BUILTINS = new Set(builtinModules);

/** Every file path an `exports` value names (conditions and nesting flattened). */
export function exportTargets(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(exportTargets);
  if (value && typeof value === "object") return Object.values(value).flatMap(exportTargets);
  return [];
}

/** The subpaths of `exports` whose targets are assets (YAML, HTML, ...) rather than modules. */
export function assetSubpaths(manifest: Manifest): string[] {
  if (!manifest.exports || typeof manifest.exports !== "object") return [];
  return Object.entries(manifest.exports as Record<string, unknown>)
    .filter(([, value]) => exportTargets(value).every((target) => !MODULE_EXTENSIONS.test(target)))
    .map(([subpath]) => subpath);
}

const strip = (target: string) => target.replace(/^\.\//, "");

function binTargets(manifest: Manifest): string[] {
  if (typeof manifest.bin === "string") return [manifest.bin];
  return Object.values(manifest.bin ?? {});
}

/**
 * The project's rules for a published manifest and its files, beyond what publint knows: the
 * metadata every package carries, the dual ESM/CJS `exports` shape, exactly the right files
 * shipped, real version ranges, and every import of the build output declared as a dependency.
 */
export function manifestProblems(packed: Pick<PackedPackage, "manifest" | "entries">, dir: string): string[] {
  const { manifest, entries } = packed;
  const problems: string[] = [];
  const expect = (ok: boolean, message: string) => {
    if (!ok) problems.push(message);
  };

  expect(manifest.name === `${SCOPE}${dir}`, `name is ${JSON.stringify(manifest.name)}, expected "${SCOPE}${dir}" (the folder's name)`);
  expect(/^\d+\.\d+\.\d+(?:-[\w.]+)?$/.test(manifest.version ?? ""), `version ${JSON.stringify(manifest.version)} is not a semantic version`);
  expect(manifest.license === "MIT", `license is ${JSON.stringify(manifest.license)}, expected "MIT"`);
  expect(Boolean(manifest.description?.trim()), "description is missing");
  expect(Boolean(manifest.author), "author is missing");
  expect(Array.isArray(manifest.keywords) && manifest.keywords.length > 0, "keywords are missing");
  expect(manifest.type === "module", `type is ${JSON.stringify(manifest.type)}, expected "module"`);
  expect(manifest.sideEffects === false, `sideEffects is ${JSON.stringify(manifest.sideEffects)}, expected false (no module of the package runs anything on import)`);
  expect(manifest.engines?.node === NODE_ENGINE, `engines.node is ${JSON.stringify(manifest.engines?.node)}, expected "${NODE_ENGINE}"`);
  expect(manifest.publishConfig?.access === "public", 'publishConfig.access must be "public" (scoped packages are private on npm otherwise)');
  const repository = typeof manifest.repository === "object" ? manifest.repository : undefined;
  expect(
    repository?.type === "git" && repository.url === REPOSITORY_URL && repository.directory === `packages/${dir}`,
    `repository must be { "type": "git", "url": "${REPOSITORY_URL}", "directory": "packages/${dir}" }, got ${JSON.stringify(manifest.repository)}`,
  );
  expect(typeof manifest.homepage === "string" && manifest.homepage.startsWith("https://"), "homepage is missing");
  expect(typeof manifest.bugs === "object" && Boolean(manifest.bugs.url), "bugs.url is missing");
  expect(entries.has("README.md"), "README.md is not in the package");
  expect(entries.has("LICENSE"), "LICENSE is not in the package (npm ships it from the package folder)");

  // exports: the root entry has an ESM and a CJS branch, each with its own declarations first.
  const exportsMap = manifest.exports && typeof manifest.exports === "object" ? (manifest.exports as Record<string, unknown>) : undefined;
  const root = exportsMap?.["."] as Record<string, Record<string, string> | undefined> | undefined;
  for (const [condition, extension] of [
    ["import", "mjs"],
    ["require", "cjs"],
  ] as const) {
    const branch = root?.[condition];
    const keys = branch ? Object.keys(branch) : [];
    expect(
      keys[0] === "types" && keys.at(-1) === "default" && branch?.types?.endsWith(`.d.${extension.replace("js", "ts")}`) === true && branch.default?.endsWith(`.${extension}`) === true,
      `exports["."].${condition} must be { "types": "./dist/<entry>.d.${extension.replace("js", "ts")}", "default": "./dist/<entry>.${extension}" }, got ${JSON.stringify(branch)}`,
    );
  }
  expect(exportsMap?.["./package.json"] === "./package.json", 'exports must include "./package.json": "./package.json"');

  // Every file an entry point names is shipped.
  const named = new Set<string>();
  for (const target of [...exportTargets(manifest.exports), manifest.main, manifest.module, manifest.types, ...binTargets(manifest)]) {
    if (!target) continue;
    named.add(strip(target));
    expect(entries.has(strip(target)), `${target} is named by package.json but is not in the package (is it missing from "files", or not built?)`);
  }
  for (const target of binTargets(manifest)) {
    const entry = entries.get(strip(target));
    if (!entry) continue;
    expect(entry.data.subarray(0, 19).toString() === "#!/usr/bin/env node", `bin ${target} does not start with "#!/usr/bin/env node"`);
    expect((entry.mode & 0o111) !== 0, `bin ${target} is not executable in the tarball`);
  }

  // Nothing else: no sources, tests or configuration.
  for (const file of entries.keys()) {
    const allowed = METADATA_FILES.has(file) || named.has(file) || (file.startsWith("dist/") && !/\.(?:test|spec)\.|\.map$/.test(file));
    expect(allowed, `${file} is shipped but is neither build output (dist/), an exported file nor package metadata`);
  }

  // Real version ranges: the fixed group publishes every internal dependency at this very version.
  const dependencies = { ...manifest.dependencies, ...manifest.peerDependencies, ...manifest.optionalDependencies };
  for (const [name, range] of Object.entries(dependencies)) {
    expect(!/^(?:workspace|link|file|catalog):/.test(range), `dependency ${name} has the range "${range}", which npm cannot install`);
    if (name.startsWith(SCOPE)) expect(range === manifest.version, `internal dependency ${name}@"${range}" is not the shared version ${manifest.version}`);
  }

  // Every package the shipped code or declarations import is a declared dependency.
  for (const [file, entry] of entries) {
    if (!/\.(?:[cm]?js|d\.[cm]?ts)$/.test(file)) continue;
    for (const specifier of importedPackages(entry.data.toString("utf8"))) {
      if (specifier === manifest.name || dependencies[specifier] !== undefined) continue;
      expect(false, `${file} imports "${specifier}", which is not in dependencies`);
    }
  }
  return [...new Set(problems)];
}

/** Bare package names imported by a module or declaration file (comments ignored). */
export function importedPackages(source: string): Set<string> {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const names = new Set<string>();
  const patterns = [/\bfrom\s*["']([^"']+)["']/g, /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g, /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g, /^\s*import\s*["']([^"']+)["']/gm];
  for (const pattern of patterns) {
    for (const [, specifier] of code.matchAll(pattern)) {
      if (!specifier || specifier.startsWith(".") || specifier.startsWith("/") || specifier.startsWith("node:") || BUILTINS.has(specifier)) continue;
      const parts = specifier.split("/");
      names.add(specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!);
    }
  }
  return names;
}

/** publint on the tarball, strict (warnings count as errors) and with suggestions: any message is a problem. */
export async function publintProblems(packed: Pick<PackedPackage, "bytes">): Promise<string[]> {
  const tarball = packed.bytes.buffer.slice(packed.bytes.byteOffset, packed.bytes.byteOffset + packed.bytes.byteLength) as ArrayBuffer;
  const { messages, pkg } = await publint({ pack: { tarball }, level: "suggestion", strict: true });
  return messages.map((message) => `${message.type} ${message.code}: ${formatMessage(message, pkg, { color: false }) ?? message.code}`);
}

export interface AttwResult {
  problems: string[];
  /** The entry points attw resolved, e.g. ".", "./openapi.json". */
  entrypoints: string[];
  /** Asset subpaths left out (see below). */
  excluded: string[];
}

interface AttwProblem {
  kind: string;
  entrypoint?: string;
  resolutionKind?: string;
  [detail: string]: unknown;
}

const ATTW_BIN = path.join(ROOT, "node_modules/@arethetypeswrong/cli/dist/index.js");
/** What each attw problem means, in one line (from the attw documentation). */
const ATTW_KINDS: Record<string, string> = {
  NoResolution: "the entry point does not resolve at all",
  UntypedResolution: "the entry point resolves to JavaScript without declarations",
  FalseCJS: "the declarations say CommonJS but the JavaScript is ESM",
  FalseESM: "the declarations say ESM but the JavaScript is CommonJS",
  CJSResolvesToESM: "require() of this entry point gets an ES module",
  FallbackCondition: "resolved through a fallback condition",
  CJSOnlyExportsDefault: "CommonJS declarations only export a default",
  NamedExports: "named exports in the declarations do not exist in the CommonJS module",
  FalseExportDefault: "the declarations export a default the JavaScript does not have",
  MissingExportEquals: "the declarations lack `export =` for a CommonJS module",
  UnexpectedModuleSyntax: "a file's syntax does not match its module format",
  InternalResolutionError: "an import inside the declarations does not resolve",
};

/**
 * @arethetypeswrong/core, the library the attw CLI runs, taken from the CLI's own dependencies
 * (the version it pins), and loaded once per process: each CLI start loaded TypeScript again,
 * about 2 s of CPU per package checked.
 */
interface AttwCore {
  createPackageFromTarballData(tarball: Uint8Array): unknown;
  checkPackage(pkg: unknown, options: { excludeEntrypoints?: string[] }): Promise<{ types: unknown; entrypoints?: Record<string, unknown>; problems?: AttwProblem[] }>;
}
interface AttwUtils {
  groupProblemsByKind(problems: AttwProblem[]): Record<string, AttwProblem[]>;
}
let attwCore: Promise<[AttwCore, AttwUtils]> | undefined;
function loadAttwCore(): Promise<[AttwCore, AttwUtils]> {
  // From the CLI's real folder in pnpm's store, where its dependencies are linked.
  const cli = createRequire(realpathSync(ATTW_BIN));
  const load = <T>(specifier: string) => import(pathToFileURL(cli.resolve(specifier)).href) as Promise<T>;
  attwCore ??= Promise.all([load<AttwCore>("@arethetypeswrong/core"), load<AttwUtils>("@arethetypeswrong/core/utils")]);
  return attwCore;
}

/**
 * arethetypeswrong on the tarball with the "node16" profile: Node 16+ resolution from ESM and
 * from CJS, and bundlers (node10 is ignored: `engines` needs Node 20.19). Every problem fails.
 * Entry points that are plain assets (`./openapi.yaml`, `./reference.html`) are excluded: they
 * are files to read (`import.meta.resolve`/`require.resolve` and fs), not modules, so TypeScript
 * can never resolve them and attw would report NoResolution for a correct package. The manifest
 * check above still requires those files to be in the tarball.
 *
 * The analysis is what `attw <tarball> --format json` prints (its `analysis` and its
 * `problems`, grouped by kind), made in this process by the CLI's library.
 */
export async function attwProblems(packed: Pick<PackedPackage, "tarball" | "manifest">): Promise<AttwResult> {
  const excluded = assetSubpaths(packed.manifest);
  let parsed: { analysis?: { entrypoints?: Record<string, unknown> }; problems?: Record<string, AttwProblem[]> };
  try {
    const [core, utils] = await loadAttwCore();
    const pkg = core.createPackageFromTarballData(new Uint8Array(await readFile(packed.tarball)));
    const analysis = await core.checkPackage(pkg, excluded.length > 0 ? { excludeEntrypoints: excluded } : {});
    parsed = { analysis, ...(analysis.types ? { problems: utils.groupProblemsByKind(analysis.problems ?? []) } : {}) };
  } catch (error) {
    return { problems: [`attw could not check ${packed.tarball}: ${error instanceof Error ? error.message : String(error)}`], entrypoints: [], excluded };
  }
  // The JSON lists every resolution; the node16 profile leaves node10 out of the verdict.
  const problems = Object.values(parsed.problems ?? {})
    .flat()
    .filter((problem) => problem.resolutionKind !== "node10")
    .map(({ kind, entrypoint, resolutionKind, ...details }) => {
      const where = [entrypoint && `"${entrypoint}"`, resolutionKind && `(${resolutionKind})`].filter(Boolean).join(" ");
      // The files involved, relative to the package (attw names them /node_modules/<name>/...).
      const files = Object.entries(details)
        .filter((entry): entry is [string, string] => /FileName$/.test(entry[0]) && typeof entry[1] === "string")
        .map(([key, file]) => `${key.replace(/FileName$/, "")}: ${file.replace(`/node_modules/${packed.manifest.name}/`, "")}`);
      const meaning = ATTW_KINDS[kind] ?? "see https://github.com/arethetypeswrong/arethetypeswrong.github.io";
      return `${kind}${where ? ` at ${where}` : ""}: ${meaning}${files.length > 0 ? ` (${files.join(", ")})` : ""}`;
    });
  return { problems, entrypoints: Object.keys(parsed.analysis?.entrypoints ?? {}), excluded };
}
