/**
 * `pnpm generate`: lint, the generators (generators.ts), write, build, API reports, reference
 * page. A lint failure stops it before anything is written; generated folders are replaced
 * whole and single generated files atomically (output.ts).
 *
 * Every stage is keyed by a hash of its inputs (cache.ts): when nothing it depends on changed,
 * its last result is reused without loading its code. The generators start alongside the lint
 * gate (the JVM of the stubs generator is the longest of them) and their output is discarded
 * if the gate fails. The reference page renders in a child process from the bundle while the
 * rest runs, and is written after the builds (a build empties dist/).
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import type { LintResult } from "../../tools/lint.ts";
import { RULESET_FILE, SPEC_FILE, relative } from "../../tools/paths.ts";
import { config as referenceConfig } from "../reference/config.ts";
import { readSpec, type Files, type Spec, type StageOutput } from "../lib/spec.ts";
import { buildChanged, type BuildReport } from "./build.ts";
import { cacheKey, readCache, writeCache } from "./cache.ts";
import { GENERATORS, OUTPUT_FILES, OUTPUT_FOLDERS, type RegisteredGenerator } from "./generators.ts";
import { commit, type Difference } from "./output.ts";

export interface StageReport {
  stage: string;
  ms: number;
  summary: string;
  jvmMs?: number;
  /** The result came from the cache: nothing was recomputed. */
  cached?: boolean;
}

export class LintFailure extends Error {
  constructor(readonly results: LintResult[]) {
    super(`the lint gate found ${results.length} problem(s)`);
  }
}

export interface PipelineOptions {
  /** Build the packages, refresh the API reports and render the reference page after writing (default true). */
  build?: boolean;
  /** Called as each stage ends, for live reporting. */
  onStage?: (report: StageReport) => void;
  /** The spec file (default spec/openapi.yaml). */
  file?: string;
}

export interface PipelineResult {
  stages: StageReport[];
  written: Difference[];
  totalMs: number;
  /** From start until the generated files were on disk. */
  writtenMs: number;
}

async function timed<T>(work: () => T | Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

/** What the lint gate depends on. */
const LINT_INPUTS = [relative(RULESET_FILE), "spec/rules", "core/src", "tools/lint.ts"];

/** The lint gate's failing results for the spec, from the cache when nothing it reads changed. */
export async function lintSpec(spec: Spec): Promise<{ results: LintResult[]; cached: boolean }> {
  const key = await cacheKey([spec.text, relative(spec.file)], LINT_INPUTS);
  const cached = await readCache<LintResult[]>("lint", key);
  if (cached) return { results: cached, cached: true };
  const { failing, lintText } = await import("../../tools/lint.ts");
  const results = failing(await lintText(spec.text, spec.file));
  await writeCache("lint", key, results);
  return { results, cached: false };
}

interface CachedStage {
  files: Array<[string, string]>;
  summary: string;
  jvmMs?: number;
}

/** One generator's output, from the cache or by running it. */
export async function runGenerator(generator: RegisteredGenerator, spec: Spec): Promise<StageOutput & { cached: boolean }> {
  const { config } = generator;
  const key = await cacheKey([spec.text, relative(spec.file), config.name], [`generators/${config.name}`, "generators/lib", ...(config.inputs ?? [])]);
  const cached = await readCache<CachedStage>(config.name, key);
  if (cached) return { files: new Map(cached.files), summary: cached.summary, cached: true };
  const output = await (await generator.load()).generate(spec);
  await writeCache(config.name, key, { files: [...output.files], summary: output.summary, ...(output.jvmMs !== undefined ? { jvmMs: output.jvmMs } : {}) });
  return { ...output, cached: false };
}

/** Every generated file of the spec, in memory, with the report of each stage that made it. */
export async function generateFiles(
  file = SPEC_FILE,
  onStage: (report: StageReport) => void = () => {},
  spec?: Spec,
): Promise<{ files: Files; stages: StageReport[] }> {
  const source = spec ?? (await readSpec(file));
  const started = performance.now();
  // Started together: each reports when it ends, in the order of GENERATORS.
  const runs = GENERATORS.map((generator) => timed(() => runGenerator(generator, source)));
  const stages: StageReport[] = [];
  const files: Files = new Map();
  for (const [index, run] of runs.entries()) {
    const { value, ms } = await run;
    const report: StageReport = {
      stage: GENERATORS[index]!.config.name,
      ms: Math.min(ms, performance.now() - started),
      summary: value.summary,
      cached: value.cached,
      ...(value.jvmMs !== undefined && !value.cached ? { jvmMs: value.jvmMs } : {}),
    };
    stages.push(report);
    onStage(report);
    for (const [path, content] of value.files) files.set(path, content);
  }
  return { files, stages };
}

export async function runPipeline(options: PipelineOptions = {}): Promise<PipelineResult> {
  const started = performance.now();
  const stages: StageReport[] = [];
  const onStage = (report: StageReport) => {
    stages.push(report);
    options.onStage?.(report);
  };
  const spec = await readSpec(options.file ?? SPEC_FILE);

  // The generators run while the gate lints; their reports wait for the gate's verdict.
  const pending: StageReport[] = [];
  const generated = generateFiles(spec.file, (report) => pending.push(report), spec);
  generated.catch(() => {});
  const lint = await timed(() => lintSpec(spec));
  if (lint.value.results.length > 0) {
    await generated.catch(() => {});
    throw new LintFailure(lint.value.results);
  }
  onStage({ stage: "lint", ms: lint.ms, summary: `${relative(spec.file)} passes the gate`, cached: lint.value.cached });
  const { files } = await generated;
  for (const report of pending) onStage(report);

  const build = options.build !== false;
  const bundled = files.get("packages/spec/src/generated/openapi.json");
  const docs = build && bundled !== undefined ? renderDocs(spec, bundled) : undefined;
  docs?.catch(() => {});

  const write = await timed(() => commit(files, OUTPUT_FOLDERS, OUTPUT_FILES));
  const writtenMs = performance.now() - started;
  onStage({ stage: "write", ms: write.ms, summary: describeWrite(write.value, files.size) });

  if (build) {
    const built = await timed(() => buildChanged());
    onStage({ stage: "build", ms: built.ms, summary: describeBuild(built.value), cached: built.value.built.length === 0 });
    if (built.value.built.length > 0) {
      const reports = await timed(() => refreshApiReports(built.value.built));
      onStage({ stage: "api", ms: reports.ms, summary: reports.value });
    }
    if (!docs) throw new Error("the bundle stage produced no openapi.json to render the reference page from");
    const page = await docs;
    const { writeReference, REFERENCE_FILE, formatSize } = await import("../reference/index.ts");
    const current = existsSync(REFERENCE_FILE) ? await readFile(REFERENCE_FILE, "utf8") : undefined;
    if (current !== page.html) await writeReference(page.html);
    onStage({
      stage: "docs",
      ms: page.ms,
      summary: `${relative(REFERENCE_FILE)} (${formatSize(Buffer.byteLength(page.html))}, self-contained${page.cached ? "" : "; rendered alongside the stages above"})`,
      cached: page.cached,
    });
  }
  return { stages, written: write.value, totalMs: performance.now() - started, writtenMs };
}

/** The reference page for the bundle, from the cache or rendered by Redocly. */
async function renderDocs(spec: Spec, bundled: string): Promise<{ html: string; ms: number; cached: boolean }> {
  const started = performance.now();
  const key = await cacheKey([bundled], [`generators/${referenceConfig.name}`, ...(referenceConfig.inputs ?? [])]);
  const cached = await readCache<{ html: string }>(referenceConfig.name, key);
  if (cached) return { html: cached.html, ms: performance.now() - started, cached: true };
  const { renderReference } = await import("../reference/index.ts");
  const { html, ms } = await renderReference(JSON.parse(bundled));
  await writeCache(referenceConfig.name, key, { html });
  return { html, ms, cached: false };
}

/**
 * Rewrites the committed API report of every rebuilt package whose public surface changed. API
 * Extractor takes seconds per package, so a report is keyed by the package's declarations with
 * comments and whitespace removed: a description edit changes the declarations' JSDoc but not
 * the surface, and reuses the report.
 */
async function refreshApiReports(built: BuildReport["built"]): Promise<string> {
  const { compareReport, extractApi } = await import("../../tools/packages/api-report.ts");
  const { default: ts } = await import("typescript");
  const { writeFile } = await import("node:fs/promises");
  const lines: string[] = [];
  for (const pkg of built) {
    const declarations = await readFile(path.join(pkg.folder, "dist/index.d.mts"), "utf8").catch(() => "");
    const scanner = ts.createScanner(ts.ScriptTarget.Latest, true, ts.LanguageVariant.Standard, declarations);
    const tokens: string[] = [];
    while (scanner.scan() !== ts.SyntaxKind.EndOfFileToken) tokens.push(scanner.getTokenText());
    const key = await cacheKey([pkg.name, tokens.join(" ")], ["tools/packages/api-report.ts"]);
    let report = (await readCache<{ report: string }>(`api-${pkg.dir}`, key))?.report;
    if (report === undefined) {
      const extracted = await extractApi(pkg.folder, pkg.dir);
      for (const problem of extracted.problems) console.warn(`  ${pkg.name}: ${problem}`);
      report = extracted.report;
      if (extracted.problems.length === 0) await writeCache(`api-${pkg.dir}`, key, { report });
    }
    const comparison = await compareReport(pkg.dir, report);
    if (comparison.changed) {
      await writeFile(comparison.file, report);
      lines.push(`${relative(comparison.file)} updated`);
    }
  }
  return lines.length > 0 ? `${lines.join(", ")}; review and commit` : `${built.map((pkg) => pkg.name).join(", ")}: reports up to date`;
}

function describeWrite(differences: Difference[], total: number): string {
  if (differences.length === 0) return `${total} files, all up to date`;
  const counts = (kind: Difference["kind"]) => differences.filter((difference) => difference.kind === kind).length;
  const parts = [
    counts("changed") && `${counts("changed")} changed`,
    counts("missing") && `${counts("missing")} added`,
    counts("extra") && `${counts("extra")} removed`,
  ].filter(Boolean);
  return `${parts.join(", ")} of ${total} files: ${differences.map((difference) => difference.file).join(", ")}`;
}

function describeBuild(report: BuildReport): string {
  if (report.built.length === 0) return `${report.upToDate.map((pkg) => pkg.name).join(", ")}: dist/ up to date`;
  const fresh = report.upToDate.length > 0 ? `; ${report.upToDate.length} up to date` : "";
  return `${report.built.map((pkg) => pkg.name).join(", ")} -> dist/ (ESM + CJS + .d.ts)${fresh}`;
}

export function formatStage(report: StageReport): string {
  const seconds = `${(report.ms / 1000).toFixed(2)} s`;
  const jvm = report.jvmMs !== undefined ? ` (JVM ${(report.jvmMs / 1000).toFixed(2)} s)` : "";
  return `  ${report.stage.padEnd(10)} ${seconds.padStart(7)}  ${report.cached ? "(unchanged) " : ""}${report.summary}${jvm}`;
}

/** `file:line:column severity code message`, as tools/lint.ts prints it (without loading Spectral for a cached result). */
const formatResult = (result: LintResult) => `${result.file}:${result.line}:${result.column} ${result.severity} ${result.code} ${result.message}`;

export function formatLintFailure(failure: LintFailure): string {
  return [...failure.results.map(formatResult), "generate: stopped by the lint gate; nothing was written."].join("\n");
}
