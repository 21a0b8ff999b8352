/**
 * The lint gate: Spectral with the repository ruleset, run in-process so that `pnpm lint`,
 * `pnpm generate` and the rule tests share one loader (and generation does not pay for a
 * second Node start-up).
 */
import fs from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import spectralCore, { type ISpectralDiagnostic, type Ruleset } from "@stoplight/spectral-core";
import spectralParsers from "@stoplight/spectral-parsers";
import bundlerLoader from "@stoplight/spectral-ruleset-bundler/with-loader";
import { transformSync } from "esbuild";
// rollup is the Spectral bundler's own dependency; only its plugin shape is used here.
type Plugin = NonNullable<Parameters<typeof bundleAndLoadRuleset>[2]>[number];
import { RULESET_FILE, relative } from "./paths.ts";

// These packages are CommonJS without static export hints; take their members off the default.
const { Document, Spectral } = spectralCore;
const { Yaml } = spectralParsers;
const { bundleAndLoadRuleset } = bundlerLoader;

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

async function load(rulesetFile: string): Promise<Ruleset> {
  const offline = async (url: string): Promise<never> => {
    throw new Error(`The lint ruleset tried to fetch ${url}; rulesets must be local.`);
  };
  return bundleAndLoadRuleset(rulesetFile, { fs, fetch: offline as never }, [typescriptFunctions()]);
}

/**
 * The rule functions (spec/rules/*.ts) and the OpenAPI core they import are TypeScript, while
 * Spectral names a function `<functionsDir>/<name>.js` and bundles it with rollup. This plugin
 * resolves such a name to the `.ts` file beside it and strips the types with esbuild, so the
 * ruleset stays a plain .spectral.yaml and the rules stay typed.
 */
function typescriptFunctions(): Plugin {
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
      return id.endsWith(".ts") ? fs.readFileSync(id, "utf8") : null;
    },
    transform(code, id) {
      if (!id.endsWith(".ts")) return null;
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
