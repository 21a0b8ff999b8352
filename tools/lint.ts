/**
 * The lint gate: Spectral with the repository ruleset, run in-process so that `pnpm lint`,
 * `pnpm generate` and the rule tests share one loader (and generation does not pay for a
 * second Node start-up).
 *
 * Spectral bundles a ruleset with rollup before it can run it. The bundle of the repository
 * ruleset is kept in node_modules/.cache/acs-connect/lint/ with the list of files rollup read
 * for it; while none of them (nor this file, nor the lockfile) changed, the cached code is
 * evaluated as Spectral's own loader would, and rollup and esbuild are not even loaded.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import spectralCore, { type ISpectralDiagnostic, type Ruleset } from "@stoplight/spectral-core";
import spectralParsers from "@stoplight/spectral-parsers";
import type bundlerLoader from "@stoplight/spectral-ruleset-bundler/with-loader";
// rollup is the Spectral bundler's own dependency; only its plugin shape is used here.
type Plugin = NonNullable<Parameters<(typeof bundlerLoader)["bundleAndLoadRuleset"]>[2]>[number];
import { ROOT, RULESET_FILE, relative } from "./paths.ts";

// These packages are CommonJS without static export hints; take their members off the default.
const { Document, Spectral, Ruleset: RulesetClass } = spectralCore;
const { Yaml } = spectralParsers;

const SEVERITY = ["error", "warning", "info", "hint"] as const;

export interface LintResult {
  code: string;
  message: string;
  severity: (typeof SEVERITY)[number];
  /** JSON path of the offending node. */
  path: (string | number)[];
  /** 1-based, as editors show them. */
  line: number;
  column: number;
  file: string;
}

let cached: Promise<Ruleset> | undefined;

/** Loads (and caches) the ruleset; the ruleset never fetches anything over the network. */
export function loadRuleset(rulesetFile = RULESET_FILE): Promise<Ruleset> {
  if (rulesetFile !== RULESET_FILE) return load(rulesetFile);
  cached ??= load(rulesetFile);
  return cached;
}

/** Forgets the cached ruleset, so the next lint re-reads .spectral.yaml and spec/rules/. */
export function reloadRuleset(): void {
  cached = undefined;
}

const RULESET_CACHE = path.join(ROOT, "node_modules/.cache/acs-connect/lint");
const require = createRequire(import.meta.url);

/** The bundled ruleset as cached: rollup's output and the files it was made of. */
interface CachedRuleset {
  key: string;
  files: string[];
  code: string;
}

/** A hash of the given files' contents, the ruleset's path, this file and the lockfile (rollup, esbuild and Spectral versions). */
function rulesetKey(rulesetFile: string, files: readonly string[], read: (file: string) => string | Buffer): string {
  const hash = createHash("sha256").update(`${path.resolve(rulesetFile)}\0`);
  for (const file of [rulesetFile, fileURLToPath(import.meta.url), path.join(ROOT, "pnpm-lock.yaml"), ...[...files].sort()]) {
    hash.update(`\0${file}\0`).update(read(file));
  }
  return hash.digest("hex");
}

const cacheFileOf = (rulesetFile: string) => path.join(RULESET_CACHE, `ruleset-${createHash("sha256").update(path.resolve(rulesetFile)).digest("hex").slice(0, 16)}.json`);

async function load(rulesetFile: string): Promise<Ruleset> {
  const cacheFile = cacheFileOf(rulesetFile);
  const cached = await readFile(cacheFile, "utf8").then((text) => JSON.parse(text) as CachedRuleset, () => undefined);
  if (cached && process.env.ACS_CONNECT_NO_CACHE !== "1") {
    let key: string | undefined;
    try {
      key = rulesetKey(rulesetFile, cached.files, (file) => fs.readFileSync(file));
    } catch {
      // A file of the bundle is gone: bundle again.
    }
    if (key === cached.key) return evaluate(cached.code, rulesetFile);
  }
  const offline = async (url: string): Promise<never> => {
    throw new Error(`The lint ruleset tried to fetch ${url}; rulesets must be local.`);
  };
  // What rollup read for the bundle, as it read it (so the key matches the code even if a file changes meanwhile).
  const read = new Map<string, string>();
  let code: string | undefined;
  const capture: Plugin = {
    name: "acs-connect:capture",
    generateBundle(_options, bundle) {
      for (const output of Object.values(bundle)) if (output.type === "chunk" && output.isEntry) code = output.code;
    },
  };
  // CommonJS: its members are on the default export (and, depending on the loader, on the namespace).
  const bundler = (await import("@stoplight/spectral-ruleset-bundler/with-loader")) as unknown as typeof bundlerLoader & { default?: typeof bundlerLoader };
  const { bundleAndLoadRuleset } = bundler.default ?? bundler;
  const ruleset = await bundleAndLoadRuleset(rulesetFile, { fs, fetch: offline as never }, [typescriptFunctions(read), capture]);
  if (code !== undefined) {
    const files = [...read.keys()];
    const entry: CachedRuleset = { key: rulesetKey(rulesetFile, files, (file) => read.get(file) ?? fs.readFileSync(file)), files, code };
    await mkdir(RULESET_CACHE, { recursive: true });
    const temporary = `${cacheFile}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(temporary, JSON.stringify(entry));
    await rename(temporary, cacheFile);
  }
  return ruleset;
}

/**
 * Runs a bundled ruleset's CommonJS code as the bundler's Node loader does
 * (@stoplight/spectral-ruleset-bundler/dist/loader/node.js): `require` resolves from the
 * ruleset's folder, then from the bundler's.
 */
function evaluate(code: string, rulesetFile: string): Ruleset {
  const loader = path.dirname(require.resolve("@stoplight/spectral-ruleset-bundler/with-loader"));
  const resolveFrom = createRequire(rulesetFile);
  const paths = [path.dirname(rulesetFile), loader];
  const module: { exports?: unknown } = {};
  Function("module, require", code)(module, (id: string) => resolveFrom(resolveFrom.resolve(id, { paths })));
  if (typeof module.exports !== "object" || module.exports === null) throw new Error(`the cached bundle of ${relative(rulesetFile)} exports nothing`);
  return new RulesetClass(module.exports as never, { severity: "recommended", source: rulesetFile });
}

/**
 * The rule functions (spec/rules/*.ts) and the OpenAPI core they import are TypeScript, while
 * Spectral names a function `<functionsDir>/<name>.js` and bundles it with rollup. This plugin
 * resolves such a name to the `.ts` file beside it and strips the types with esbuild, so the
 * ruleset stays a plain .spectral.yaml and the rules stay typed.
 */
function typescriptFunctions(read: Map<string, string>): Plugin {
  let transformSync: typeof import("esbuild").transformSync | undefined;
  return {
    name: "acs-connect:typescript",
    resolveId(source, importer) {
      if (!importer || !(source.startsWith(".") || path.isAbsolute(source))) return null;
      const file = path.resolve(path.dirname(importer), source);
      if (file.endsWith(".ts")) return file;
      if (file.endsWith(".js") && !fs.existsSync(file) && fs.existsSync(`${file.slice(0, -3)}.ts`)) return `${file.slice(0, -3)}.ts`;
      return null;
    },
    load(id) {
      // Every file of the bundle is read here (the others are Spectral's own), so the cache knows them all.
      if (!path.isAbsolute(id) || !fs.existsSync(id)) return null;
      const text = fs.readFileSync(id, "utf8");
      read.set(id, text);
      return text;
    },
    async transform(code, id) {
      if (!id.endsWith(".ts")) return null;
      transformSync ??= (await import("esbuild")).transformSync;
      return { code: transformSync(code, { loader: "ts", format: "esm", sourcefile: id, target: "node20" }).code, map: null };
    },
  };
}

/** Lints a document given as text; `file` names it in results. */
export async function lintText(text: string, file: string, ruleset?: Ruleset): Promise<LintResult[]> {
  const spectral = new Spectral();
  spectral.setRuleset(ruleset ?? (await loadRuleset()));
  const diagnostics = await spectral.run(new Document(text, Yaml, path.resolve(file)));
  return diagnostics.map((diagnostic) => toResult(diagnostic, file)).sort(compareResults);
}

/** Lints a file on disk. */
export async function lintFile(file: string, ruleset?: Ruleset): Promise<LintResult[]> {
  return lintText(await readFile(file, "utf8"), file, ruleset);
}

function toResult(diagnostic: ISpectralDiagnostic, file: string): LintResult {
  return {
    code: String(diagnostic.code),
    message: diagnostic.message,
    severity: SEVERITY[diagnostic.severity] ?? "error",
    path: diagnostic.path.map((segment) => segment),
    line: diagnostic.range.start.line + 1,
    column: diagnostic.range.start.character + 1,
    file: path.isAbsolute(file) ? relative(file) : file,
  };
}

function compareResults(a: LintResult, b: LintResult): number {
  return a.line - b.line || a.column - b.column || a.code.localeCompare(b.code);
}

/** `file:line:column severity code message`, the form editors and CI annotations link. */
export function formatResult(result: LintResult): string {
  return `${result.file}:${result.line}:${result.column} ${result.severity} ${result.code} ${result.message}`;
}

/** Results that fail the gate: everything above info. */
export function failing(results: LintResult[]): LintResult[] {
  return results.filter((result) => result.severity === "error" || result.severity === "warning");
}
