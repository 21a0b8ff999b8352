/**
 * `pnpm generate`: lint, the generators (generators.ts), write, build, API reports, reference
 * page. A lint failure stops it before anything is written; generated folders are replaced
 * whole and single generated files atomically (output.ts).
 *
 * Every stage is keyed by a hash of its inputs (cache.ts): when nothing it depends on changed,
 * its last result is reused without loading its code. The generators start alongside the lint
 * gate, which runs in a worker thread (lint-client.ts) so that the two use both cores; the JVM
 * of the stubs generator is started before the others load their modules, and their output is
 * discarded if the gate fails. Once the gate has passed, each generator's files are written as
 * soon as it ends (so the fast stages do not wait for the JVM; a generator that fails leaves the
 * others' files written). The reference page renders in a child process from the bundle while
 * the rest runs, the gate included (the child is stopped if the gate fails), and is written
 * after the builds (a build empties dist/).
 */
import diagnostics from "node:diagnostics_channel";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { setFlagsFromString } from "node:v8";
import type { LintResult } from "../../tools/lint.ts";
import { ROOT, RULESET_FILE, SPEC_FILE, relative } from "../../tools/paths.ts";
import { config as referenceConfig } from "../reference/config.ts";
import { frozen, type Files, type Spec, type StageOutput } from "../lib/spec.ts";
import { buildChanged, type BuildReport } from "./build.ts";
import { CACHE_DIR, cacheKey, newHashRun, readCache, writeCache } from "./cache.ts";
import { GENERATORS, type RegisteredGenerator } from "./generators.ts";
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
  const { lintInWorker } = await import("./lint-client.ts");
  const results = await lintInWorker(spec.text, spec.file);
  await writeCache("lint", key, results);
  return { results, cached: false };
}

let parseYaml: ((text: string) => unknown) | undefined;

/**
 * The spec as generators/lib/spec.ts's readSpec reads it, except that the YAML is parsed when a
 * generator first reads `doc` (after {@link loadYaml}): a run whose stages all come from the
 * cache never parses it (a fifth of such a run's time).
 */
async function readSpecLazily(file: string): Promise<Spec> {
  const text = await readFile(file, "utf8");
  let doc: unknown;
  return {
    file,
    text,
    get doc() {
      if (doc === undefined) {
        if (!parseYaml) throw new Error("the spec's document was read before the YAML parser was loaded (loadYaml)");
        doc = frozen(parseYaml(text));
      }
      return doc;
    },
  };
}

async function loadYaml(): Promise<void> {
  parseYaml ??= (await import("yaml")).parse;
}

interface CachedStage {
  files: Array<[string, string]>;
  summary: string;
  jvmMs?: number;
}

const cachedStage = (output: StageOutput): CachedStage => ({ files: [...output.files], summary: output.summary, ...(output.jvmMs !== undefined ? { jvmMs: output.jvmMs } : {}) });

/** One generator's output, from the cache or by running it. */
export async function runGenerator(generator: RegisteredGenerator, spec: Spec): Promise<StageOutput & { cached: boolean }> {
  const { config } = generator;
  const code = [`generators/${config.name}`, "generators/lib", ...(config.inputs ?? [])];
  // Keyed by the spec's text first (a hit needs no YAML parse), then, for a generator that reads
  // only part of the document, by that part. A generator with `complete` keeps its rendering of
  // that part apart from its files, which `complete` makes from the rendering and the spec.
  const byText = await cacheKey([spec.text, relative(spec.file), config.name], code);
  const cached = await readCache<CachedStage>(config.name, byText);
  if (cached) return { files: new Map(cached.files), summary: cached.summary, cached: true };
  await loadYaml();
  const byPart = config.reads ? await cacheKey([JSON.stringify(config.reads(spec.doc) ?? null), relative(spec.file), config.name], code) : undefined;
  const renderings = `${config.name}-rendered`;
  if (byPart !== undefined) {
    const part = await readCache<CachedStage>(config.complete ? renderings : config.name, byPart);
    if (part) {
      const files = config.complete ? await config.complete(new Map(part.files), spec) : new Map(part.files);
      // Recorded with the rendering's own summary: a later run that reuses these files says `(unchanged)` and no more.
      await writeCache(config.name, byText, { ...part, files: [...files] });
      return { files, summary: config.complete ? `${part.summary} (descriptions filled into the last rendering)` : part.summary, cached: !config.complete };
    }
  }
  const module = await generator.load();
  let output: StageOutput;
  if (config.complete) {
    if (!module.renderProjection) throw new Error(`generators/${config.name} has a complete step in its config but exports no renderProjection`);
    const rendered = await module.renderProjection(spec);
    if (byPart !== undefined) await writeCache(renderings, byPart, cachedStage(rendered));
    output = { ...rendered, files: await config.complete(rendered.files, spec) };
  } else {
    output = await module.generate(spec);
    if (byPart !== undefined) await writeCache(config.name, byPart, cachedStage(output));
  }
  await writeCache(config.name, byText, cachedStage(output));
  return { ...output, cached: false };
}

/** Every generated file of the spec, in memory, with the report of each stage that made it. */
export async function generateFiles(
  file = SPEC_FILE,
  onStage: (report: StageReport) => void = () => {},
  spec?: Spec,
  /** Called with each generator's output as soon as it is made, in any order. */
  onOutput: (generator: RegisteredGenerator, output: StageOutput) => void = () => {},
): Promise<{ files: Files; stages: StageReport[] }> {
  if (!spec) newHashRun();
  const source = spec ?? (await readSpecLazily(file));
  const started = performance.now();
  // One after another, in the order of GENERATORS, those whose output starts a child process
  // first (the bundle, which the reference page renders from, then the stubs' JVM): each starts
  // when the one before has started its child process or is done. They share this thread, so
  // side by side they would all end late; one by one, each stage's files are written as soon as
  // it ends, and the children start before the others load TypeScript (a second on this thread).
  const order = [...GENERATORS.keys()].sort((a, b) => Number(Boolean(GENERATORS[b]!.startsProcess)) - Number(Boolean(GENERATORS[a]!.startsProcess)));
  const runs: Array<Promise<{ value: StageOutput & { cached: boolean }; ms: number }>> = [];
  let previous: Promise<unknown> = Promise.resolve();
  for (const index of order) {
    const generator = GENERATORS[index]!;
    // A stage that fails does not hold up the next.
    const ready = previous.catch(() => {});
    const run = ready.then(() => timed(() => runGenerator(generator, source)));
    runs[index] = run;
    previous = generator.startsProcess ? ready.then(() => childStarted([run])) : run;
  }
  for (const [index, run] of runs.entries()) run.then(({ value }) => onOutput(GENERATORS[index]!, value), () => {});
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

/**
 * Loads what a regeneration after an edit needs (every generator's module, the YAML parser,
 * tsdown, TypeScript for the API reports, Spectral and the ruleset in the lint worker) without
 * running anything: watch mode calls it after its first run, which may have come wholly from
 * the cache and loaded none of it, so that the first save is as fast as the next ones.
 */
export async function warmUp(): Promise<void> {
  const { warmUpLint } = await import("./lint-client.ts");
  await Promise.all([
    warmUpLint(),
    loadYaml(),
    ...GENERATORS.map((generator) => generator.load()),
    import("tsdown"),
    import("../lib/typescript.ts"),
  ]);
}

/** Resolves when a child process is created or the given runs have all settled, whichever comes first. */
function childStarted(runs: Promise<unknown>[]): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      diagnostics.unsubscribe("child_process", done);
      resolve();
    };
    diagnostics.subscribe("child_process", done);
    void Promise.allSettled(runs).then(done);
  });
}

export async function runPipeline(options: PipelineOptions = {}): Promise<PipelineResult> {
  const started = performance.now();
  const stages: StageReport[] = [];
  const onStage = (report: StageReport) => {
    stages.push(report);
    options.onStage?.(report);
  };
  newHashRun();
  const spec = await readSpecLazily(options.file ?? SPEC_FILE);

  // The generators run while the gate lints; their reports wait for the gate's verdict. Once the
  // gate has passed, each generator's output is written as soon as it is made (its folders and
  // files are its own), so the fast stages do not wait for the JVM; and the reference page starts
  // rendering as soon as the bundle is made.
  const build = options.build !== false;
  const lint = timed(() => lintSpec(spec));
  const passed = lint.then(({ value }) => value.results.length === 0, () => false);
  const writes: Array<Promise<Difference[]>> = [];
  let docs: Promise<RenderedPage> | undefined;
  const onOutput = (generator: RegisteredGenerator, output: StageOutput) => {
    const { folders = [], files = [] } = generator.config.outputs;
    writes.push(passed.then((ok) => (ok ? commit(output.files, folders, files) : [])));
    const bundled = output.files.get(BUNDLED_DOCUMENT);
    if (build && bundled !== undefined) {
      // Rendered without waiting for the gate (into the cache only; the page is written after
      // the build), and stopped if the gate fails.
      docs = renderDocs(bundled, rendering.signal);
      // Awaited (and its failure reported) after the build; a run stopped before that must not see it as unhandled.
      docs.catch(() => {});
    }
  };
  const rendering = new AbortController();
  const pending: StageReport[] = [];
  const generated = generateFiles(spec.file, (report) => pending.push(report), spec, onOutput);
  generated.catch(() => {});
  // The build's modules load while the gate still runs (this thread is idle once the generators are done).
  const builder = build ? generated.then(() => import("tsdown")).catch(() => undefined) : undefined;
  const gate = await lint.catch((error: unknown) => {
    rendering.abort();
    throw error;
  });
  if (gate.value.results.length > 0) {
    rendering.abort();
    await Promise.allSettled([generated, docs, builder]);
    throw new LintFailure(gate.value.results);
  }
  onStage({ stage: "lint", ms: gate.ms, summary: `${relative(spec.file)} passes the gate`, cached: gate.value.cached });
  let files: Files;
  try {
    files = (await generated).files;
  } finally {
    // Whatever happens to a stage, no write is left running after the run.
    await Promise.allSettled(writes);
  }
  for (const report of pending) onStage(report);

  const write = await timed(async () => (await Promise.all(writes)).flat().sort((a, b) => a.file.localeCompare(b.file)));
  const writtenMs = performance.now() - started;
  onStage({ stage: "write", ms: write.ms, summary: describeWrite(write.value, files.size) });

  if (build) {
    // The write changed files that the build's keys read.
    newHashRun();
    const built = await timed(() => buildChanged());
    onStage({ stage: "build", ms: built.ms, summary: describeBuild(built.value), cached: built.value.built.length === 0 });
    if (built.value.built.length > 0) {
      const reports = await timed(() => refreshApiReports(built.value.built));
      onStage({ stage: "api", ms: reports.ms, summary: reports.value });
    }
    if (!docs) throw new Error("the bundle stage produced no openapi.json to render the reference page from");
    const page = await docs;
    const current = existsSync(REFERENCE_PAGE) ? sha256(await readFile(REFERENCE_PAGE)) : undefined;
    // The renderer's module (and the page's text, from the cache) only when the page on disk is not the one wanted.
    if (current !== page.sha256) await (await import("../reference/index.ts")).writeReference(await page.html());
    onStage({
      stage: "docs",
      ms: page.ms,
      summary: `${relative(REFERENCE_PAGE)} (${formatSize(page.bytes)}, self-contained${page.cached ? "" : "; rendered alongside the stages above"})`,
      cached: page.cached,
    });
  }
  return { stages, written: write.value, totalMs: performance.now() - started, writtenMs };
}

/** The bundle stage's JSON document, which the reference page is rendered from. */
const BUNDLED_DOCUMENT = "packages/spec/src/generated/openapi.json";

/** The reference page's file (the reference generator's one output), as generators/reference/index.ts's REFERENCE_FILE. */
const REFERENCE_PAGE = path.join(ROOT, referenceConfig.outputs.files![0]!);

/** "2.5 MB", as generators/reference/index.ts's formatSize writes it (without loading that module). */
const formatSize = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.round(bytes / 1024)} kB`);

const sha256 = (content: string | Buffer) => createHash("sha256").update(content).digest("hex");

export interface RenderedPage {
  /** The page's text (read from the cache when it came from there). */
  html(): Promise<string>;
  sha256: string;
  bytes: number;
  ms: number;
  cached: boolean;
}

/**
 * The reference page for the bundle, from the cache or rendered by Redocly. The cache keeps the
 * page (2.5 MB) in a file of its own beside a small entry with its hash, so that a run where the
 * page on disk is already the right one reads no more than that page.
 */
export async function renderDocs(bundled: string, signal?: AbortSignal): Promise<RenderedPage> {
  const started = performance.now();
  const key = await cacheKey([bundled], [`generators/${referenceConfig.name}`, ...(referenceConfig.inputs ?? [])]);
  const pageFile = path.join(CACHE_DIR, `${referenceConfig.name}-${key}.html`);
  const cached = await readCache<{ sha256: string; bytes: number }>(`${referenceConfig.name}-page`, key);
  const render = async () => (await import("../reference/index.ts")).renderReference(JSON.parse(bundled), signal ? { signal } : {});
  if (cached && existsSync(pageFile)) {
    const html = async () => {
      const text = await readFile(pageFile, "utf8").catch(() => undefined);
      // A damaged entry is a miss, never a failure.
      return text !== undefined && sha256(text) === cached.sha256 ? text : (await render()).html;
    };
    return { html, sha256: cached.sha256, bytes: cached.bytes, ms: performance.now() - started, cached: true };
  }
  const { html, ms } = await render();
  const page = { sha256: sha256(html), bytes: Buffer.byteLength(html) };
  // The page first, under a unique name renamed into place; the entry naming it after.
  await mkdir(CACHE_DIR, { recursive: true });
  const temporary = `${pageFile}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temporary, html);
  await rename(temporary, pageFile);
  await writeCache(`${referenceConfig.name}-page`, key, page);
  return { html: async () => html, ...page, ms, cached: false };
}

/**
 * Rewrites the committed API report of every rebuilt package whose public surface changed. API
 * Extractor takes seconds per package, so a report is keyed by what of the declarations it shows
 * (tools/packages/surface.ts): a description edit changes the text of the declarations' JSDoc but
 * not that, and reuses the report.
 */
async function refreshApiReports(built: BuildReport["built"]): Promise<string> {
  const { apiReportPath } = await import("../../tools/packages/workspace.ts");
  const { declarationSurface } = await import("../../tools/packages/surface.ts");
  const lines: string[] = [];
  for (const pkg of built) {
    const declarations = await readFile(path.join(pkg.folder, "dist/index.d.mts"), "utf8").catch(() => "");
    const key = await cacheKey([pkg.name, declarationSurface(declarations)], ["tools/packages/api-report.ts", "tools/packages/surface.ts"]);
    let report = (await readCache<{ report: string }>(`api-${pkg.dir}`, key))?.report;
    if (report === undefined) {
      // API Extractor (a second or more to load) only when the surface changed. It runs the
      // TypeScript compiler for seconds: that gains from V8's optimizing compiler, which
      // `pnpm generate` starts without (scripts/generate.mjs says why), so it is switched on.
      setFlagsFromString("--turbofan");
      const { extractApi } = await import("../../tools/packages/api-report.ts");
      const extracted = await extractApi(pkg.folder, pkg.dir);
      for (const problem of extracted.problems) console.warn(`  ${pkg.name}: ${problem}`);
      report = extracted.report;
      if (extracted.problems.length === 0) await writeCache(`api-${pkg.dir}`, key, { report });
    }
    // As tools/packages/api-report.ts's compareReport compares (without loading API Extractor).
    const file = apiReportPath(pkg.dir);
    if ((existsSync(file) ? await readFile(file, "utf8") : undefined) !== report) {
      await writeFile(file, report);
      lines.push(`${relative(file)} updated`);
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
