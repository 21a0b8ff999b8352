/**
 * `pnpm generate`: lint, bundle, types, server stubs (OpenAPI Generator) and validators, write,
 * build, docs. A lint failure stops it before anything is written; the generated folders are
 * replaced whole (see output.ts). The reference page (docs) is rendered by a child process
 * from the bundle as soon as the bundle exists, so it overlaps the JVM and the builds, and is
 * written into packages/spec/dist after the builds (tsdown empties dist/ first).
 */
import { performance } from "node:perf_hooks";
import { failing, formatResult, lintFile, type LintResult } from "../lint.ts";
import { SPEC_FILE, relative } from "../paths.ts";
import { REFERENCE_FILE, formatSize, renderReference, writeReference, type RenderedReference } from "../docs/reference.ts";
import { buildPackages } from "./build.ts";
import { commit, type Difference } from "./output.ts";
import { OUTPUT_ROOTS, bundleStage, readSpec, stubsStage, typesStage, validatorsStage, type Files, type StageOutput } from "./stages.ts";

export interface StageReport {
  stage: string;
  ms: number;
  summary: string;
  jvmMs?: number;
}

export class LintFailure extends Error {
  constructor(readonly results: LintResult[]) {
    super(`the lint gate found ${results.length} problem(s)`);
  }
}

export interface PipelineOptions {
  /** Build the packages and render the reference page after writing (default true). */
  build?: boolean;
  /** Called as each stage ends, for live reporting. */
  onStage?: (report: StageReport) => void;
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

/** Every generated file of the spec, in memory, with the report of each stage that made it. */
export async function generateFiles(
  file = SPEC_FILE,
  onStage: (report: StageReport) => void = () => {},
  /** Called with each stage's files as soon as the stage ends (the docs start from the bundle's). */
  onFiles: (stage: string, files: Files) => void = () => {},
): Promise<{ files: Files; stages: StageReport[] }> {
  const spec = await readSpec(file);
  const stages: StageReport[] = [];
  const files: Files = new Map();
  const report = (stage: string, { value, ms }: { value: StageOutput; ms: number }) => {
    const entry: StageReport = { stage, ms, summary: value.summary, ...(value.jvmMs !== undefined ? { jvmMs: value.jvmMs } : {}) };
    stages.push(entry);
    onStage(entry);
    for (const [path, content] of value.files) files.set(path, content);
    onFiles(stage, value.files);
  };
  // The JVM runs while the in-process stages work; each stage still reports its own time.
  const stubs = timed(() => stubsStage(spec));
  report("bundle", await timed(() => bundleStage(spec)));
  report("types", await timed(() => typesStage(spec)));
  report("stubs", await stubs);
  report("validators", await timed(() => validatorsStage(spec)));
  return { files, stages };
}

export async function runPipeline(options: PipelineOptions = {}): Promise<PipelineResult> {
  const started = performance.now();
  const stages: StageReport[] = [];
  const onStage = (report: StageReport) => {
    stages.push(report);
    options.onStage?.(report);
  };

  const lint = await timed(() => lintFile(SPEC_FILE));
  const problems = failing(lint.value);
  if (problems.length > 0) throw new LintFailure(problems);
  onStage({ stage: "lint", ms: lint.ms, summary: `${relative(SPEC_FILE)} passes the gate` });

  const build = options.build !== false;
  // Started from the bundle, awaited after the builds; its failure is reported there (the
  // no-op catch only keeps an early rejection from counting as unhandled meanwhile).
  let docs: Promise<RenderedReference> | undefined;
  const onFiles = (stage: string, stageFiles: Files) => {
    const bundled = stageFiles.get(`${OUTPUT_ROOTS.spec}/openapi.json`);
    if (!build || stage !== "bundle" || bundled === undefined) return;
    docs = renderReference(JSON.parse(bundled));
    docs.catch(() => {});
  };
  const { files } = await generateFiles(SPEC_FILE, onStage, onFiles);

  const write = await timed(() => commit(files, Object.values(OUTPUT_ROOTS)));
  const writtenMs = performance.now() - started;
  onStage({ stage: "write", ms: write.ms, summary: describeWrite(write.value, files.size) });

  if (build) {
    const built = await timed(() => buildPackages());
    onStage({
      stage: "build",
      ms: built.ms,
      summary: `${built.value.map((target) => target.name).join(", ")} -> dist/ (ESM + CJS + .d.ts)`,
    });
    if (!docs) throw new Error("the bundle stage produced no openapi.json to render the reference page from");
    const { html, ms } = await docs;
    await writeReference(html);
    onStage({ stage: "docs", ms, summary: `${relative(REFERENCE_FILE)} (${formatSize(Buffer.byteLength(html))}, self-contained; rendered alongside the stages above)` });
  }
  return { stages, written: write.value, totalMs: performance.now() - started, writtenMs };
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

export function formatStage(report: StageReport): string {
  const seconds = `${(report.ms / 1000).toFixed(2)} s`;
  const jvm = report.jvmMs !== undefined ? ` (JVM ${(report.jvmMs / 1000).toFixed(2)} s)` : "";
  return `  ${report.stage.padEnd(10)} ${seconds.padStart(7)}  ${report.summary}${jvm}`;
}

export function formatLintFailure(failure: LintFailure): string {
  return [...failure.results.map(formatResult), "generate: stopped by the lint gate; nothing was written."].join("\n");
}
