/**
 * `pnpm generate [--watch] [--no-build]`
 *
 * Turns spec/openapi.yaml into every generated artifact and builds the packages, printing each
 * stage with its time. `--watch` (also `pnpm dev`) stays running and regenerates on every save
 * under spec/, in .spectral.yaml or in the stub templates.
 */
import { watch } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { reloadRuleset } from "./lib/lint.ts";
import { ROOT } from "./lib/paths.ts";
import { LintFailure, formatLintFailure, formatStage, runPipeline } from "./lib/generate/pipeline.ts";

const args = new Set(process.argv.slice(2));
const unknown = [...args].filter((arg) => !["--watch", "--no-build"].includes(arg));
if (unknown.length > 0) {
  console.error(`generate: unknown option ${unknown.join(" ")}; usage: pnpm generate [--watch] [--no-build]`);
  process.exit(2);
}
const build = !args.has("--no-build");

async function once(): Promise<boolean> {
  try {
    const result = await runPipeline({ build, onStage: (report) => console.log(formatStage(report)) });
    console.log(`generate: done in ${(result.totalMs / 1000).toFixed(2)} s (files written after ${(result.writtenMs / 1000).toFixed(2)} s)`);
    return true;
  } catch (error) {
    if (error instanceof LintFailure) console.error(formatLintFailure(error));
    else console.error(`generate failed: ${error instanceof Error ? error.message : String(error)}`);
    return false;
  }
}

if (!args.has("--watch")) {
  process.exitCode = (await once()) ? 0 : 1;
} else {
  const watched = [
    { target: path.join(ROOT, "spec"), recursive: true },
    { target: path.join(ROOT, ".spectral.yaml"), recursive: false },
    { target: path.join(ROOT, "generators/server-stubs"), recursive: true },
  ];
  let running = false;
  let pending: string[] = [];
  let timer: NodeJS.Timeout | undefined;

  const run = async () => {
    if (running) return;
    running = true;
    const changed = pending;
    pending = [];
    // Rule functions and the ruleset are bundled when loaded; a change to them needs a reload.
    if (changed.some((file) => file.includes(`${path.sep}rules${path.sep}`) || file.endsWith(".spectral.yaml"))) reloadRuleset();
    const started = performance.now();
    console.log(`\n[${new Date().toLocaleTimeString()}] ${changed.map((file) => path.relative(ROOT, file)).join(", ")} changed`);
    const ok = await once();
    console.log(ok ? `watch: regenerated in ${((performance.now() - started) / 1000).toFixed(2)} s; waiting for changes` : "watch: waiting for a fix");
    running = false;
    if (pending.length > 0) void run();
  };

  for (const { target, recursive } of watched) {
    watch(target, { recursive }, (_event, name) => {
      const file = name ? (recursive ? path.join(target, name.toString()) : target) : target;
      // Tests and their fixtures live under spec/ but are not inputs of generation.
      if (file.includes(`${path.sep}test${path.sep}`)) return;
      if (!pending.includes(file)) pending.push(file);
      clearTimeout(timer);
      timer = setTimeout(() => void run(), 25);
    });
  }
  await once();
  console.log(`watch: watching ${watched.map(({ target }) => path.relative(ROOT, target)).join(", ")}; Ctrl-C to stop`);
}
