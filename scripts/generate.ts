/**
 * `pnpm generate [--watch] [--no-build]`
 *
 * Turns spec/openapi.yaml into every generated artifact, builds the packages, refreshes their
 * API reports and renders the reference page, printing each stage with its time. `--watch`
 * (also `pnpm dev`) stays running and regenerates on every save of an input.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { LintFailure, formatLintFailure, formatStage, runPipeline, warmUp } from "../generators/pipeline/index.ts";
import { watchInputs } from "../generators/pipeline/watch.ts";
import { ROOT, RULESET_FILE, SPEC_FILE } from "../tools/paths.ts";

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

/**
 * A run in a fresh process: after an edit of the generators, the rules or the core, this
 * process still holds the old modules.
 */
let child: ChildProcess | undefined;
function fresh(): Promise<boolean> {
  return new Promise((resolve) => {
    child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...(build ? [] : ["--no-build"])], { stdio: "inherit" });
    child.on("exit", (code) => {
      child = undefined;
      resolve(code === 0);
    });
  });
}

/**
 * Stops the watch and the run it started: a signal to this process (pnpm and tsx pass SIGINT and
 * SIGTERM on), or its parent going away without passing anything on (a wrapper killed by PID),
 * must not leave a generation running on its own.
 */
function stopWith(code: number): void {
  child?.kill("SIGTERM");
  process.exit(code);
}

if (!args.has("--watch")) {
  process.exitCode = (await once()) ? 0 : 1;
} else {
  process.once("SIGINT", () => stopWith(130));
  process.once("SIGTERM", () => stopWith(143));
  const parent = process.ppid;
  setInterval(() => process.ppid !== parent && stopWith(1), 250).unref();
  const targets = [
    { path: SPEC_FILE },
    { path: RULESET_FILE },
    { path: path.join(ROOT, "spec/rules") },
    { path: path.join(ROOT, "core/src") },
    { path: path.join(ROOT, "generators"), ignore: ["test", "golden", "fixtures"] },
  ];
  let running = false;
  let lastText: string | undefined = await readFile(SPEC_FILE, "utf8");
  let pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;

  const run = async () => {
    if (running) return;
    running = true;
    const changed = [...pending];
    pending = new Set();
    const specOnly = changed.every((file) => file === SPEC_FILE);
    // An editor may report one save as several events; a spec whose text did not change needs no run.
    const text = specOnly ? await readFile(SPEC_FILE, "utf8").catch(() => undefined) : undefined;
    if (specOnly && text === lastText) {
      running = false;
      if (pending.size > 0) void run();
      return;
    }
    lastText = text ?? lastText;
    const started = performance.now();
    console.log(`\n[${new Date().toLocaleTimeString()}] ${changed.map((file) => path.relative(ROOT, file)).join(", ")} changed`);
    const ok = specOnly ? await once() : await fresh();
    console.log(ok ? `watch: regenerated in ${((performance.now() - started) / 1000).toFixed(2)} s; waiting for changes` : "watch: waiting for a fix");
    running = false;
    if (pending.size > 0) void run();
  };

  await watchInputs(targets, (file) => {
    // Editors' temporary and backup files are not inputs; the rename that follows is.
    if (/(~|\.sw[a-p]|\.tmp|___jb_\w+___|\.\d+\.tmp)$/.test(file) || path.basename(file).startsWith(".#")) return;
    pending.add(file);
    clearTimeout(timer);
    timer = setTimeout(() => void run(), 25);
  });
  await once();
  // Between saves: load what the next run needs (a run started meanwhile simply shares the loads).
  const warming = performance.now();
  warmUp().then(
    () => console.log(`watch: generators, linter and builder loaded for the next save (${((performance.now() - warming) / 1000).toFixed(2)} s)`),
    (error: unknown) => console.error(`watch: could not load the generators ahead of the next save: ${error instanceof Error ? error.message : String(error)}`),
  );
  console.log(`watch: watching ${targets.map((target) => path.relative(ROOT, target.path)).join(", ")}; Ctrl-C to stop`);
}
