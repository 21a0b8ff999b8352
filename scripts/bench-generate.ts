/**
 * `pnpm bench:generate [--runs N]`: medians of the generation pipeline on this machine.
 *
 * - `pnpm generate` as a user runs it (wall time, including pnpm and Node start-up) after a
 *   description edit of the spec, and each stage as the pipeline reports it;
 * - the same with the stage cache off (everything recomputed), and with nothing changed;
 * - watch mode (warm: after it has loaded the generators, which it does after its first run):
 *   from saving spec/openapi.yaml until the regenerated types are on disk (each stage's files
 *   are written when it ends), and until the run has written every generated file;
 * - the JVM's share, and the 2.x wrapper against the direct `java -jar` run (same JAR).
 *
 * Runs in a sandbox copy of the repository, so the working tree is never touched. Beside each
 * wall time it prints the CPU time (user + sys) the run cost, read from /proc: on a machine that
 * other work loads, wall times vary with the load while CPU times mostly do not.
 */
import { execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { WRAPPER_CONFIG, ensureWrapperStorage, runOpenApiGenerator } from "../generators/stubs/openapi-generator.ts";
import { ROOT } from "../tools/paths.ts";
import { createSandbox } from "../tools/sandbox.ts";

const exec = promisify(execFile);
const runsFlag = process.argv.indexOf("--runs");
const RUNS = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 5;
if (!Number.isInteger(RUNS) || RUNS < 1 || RUNS > 50) {
  console.error("bench:generate: --runs takes a whole number from 1 to 50");
  process.exit(2);
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** CPU time (user + sys, ms) of a process's own threads and of the children it has waited for. */
function cpuMs(pid: number | "self" = "self"): number {
  try {
    // Fields after "(comm) ": state is 0, utime 11, stime 12, cutime 13, cstime 14, in clock ticks (100 Hz on Linux).
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
    return (fields[11]! + fields[12]! + fields[13]! + fields[14]!) * 10;
  } catch {
    return Number.NaN;
  }
}
/** Runs `work` and returns its wall and CPU time; CPU is that of the children waited for meanwhile. */
async function measured(work: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const cpu = cpuMs();
  const started = performance.now();
  await work();
  return { wall: performance.now() - started, cpu: cpuMs() - cpu };
}

// Part of every edit, so that no run finds its output in the stage cache from an earlier benchmark.
const nonce = Date.now().toString(36);
const sandbox = await createSandbox();
try {
  // One untimed run creates the JVM's class-data archive, as any first run on a machine does.
  await exec("pnpm", ["generate"], { cwd: sandbox.root });

  const specFile = path.join(sandbox.root, "spec/openapi.yaml");
  const original = await readFile(specFile, "utf8");
  const DESCRIBED = "description: The callback URI.\n";
  if (!original.includes(DESCRIBED)) throw new Error(`bench:generate edits "${DESCRIBED.trim()}", which the spec no longer has`);
  const edited = (marker: string) => original.replace(DESCRIBED, `description: ${marker}\n`);

  const wall: number[] = [];
  const cold: number[] = [];
  const unchanged: number[] = [];
  const wallCpu: number[] = [];
  const coldCpu: number[] = [];
  const unchangedCpu: number[] = [];
  const stages = new Map<string, number[]>();
  const jvm: number[] = [];
  /** How many of the edit runs reused each stage's output (its input did not change). */
  const reused = new Map<string, number>();
  for (let run = 0; run < RUNS; run++) {
    // Nothing cached: every stage recomputed.
    await writeFile(specFile, edited(`Cold run ${run} (${nonce}).`));
    const coldRun = await measured(() => exec("pnpm", ["generate"], { cwd: sandbox.root, env: { ...process.env, ACS_CONNECT_NO_CACHE: "1" } }));
    cold.push(coldRun.wall);
    coldCpu.push(coldRun.cpu);
    // Nothing changed since: every stage from the cache.
    const unchangedRun = await measured(() => exec("pnpm", ["generate"], { cwd: sandbox.root }));
    unchanged.push(unchangedRun.wall);
    unchangedCpu.push(unchangedRun.cpu);
    // A description edit, as an API team makes them.
    await writeFile(specFile, edited(`Edited description ${run} (${nonce}).`));
    let stdout = "";
    const editRun = await measured(async () => ({ stdout } = await exec("pnpm", ["generate"], { cwd: sandbox.root })));
    wall.push(editRun.wall);
    wallCpu.push(editRun.cpu);
    for (const match of stdout.matchAll(/^ {2}(\w+)\s+([\d.]+) s {2}(\(unchanged\) )?.*?(?:\(JVM ([\d.]+) s\))?$/gm)) {
      stages.set(match[1]!, [...(stages.get(match[1]!) ?? []), Number(match[2]) * 1000]);
      if (match[3]) reused.set(match[1]!, (reused.get(match[1]!) ?? 0) + 1);
      if (match[4]) jvm.push(Number(match[4]) * 1000);
    }
    const done = /generate: done in ([\d.]+) s/.exec(stdout);
    if (done) stages.set("pipeline", [...(stages.get("pipeline") ?? []), Number(done[1]) * 1000]);
  }

  // Watch mode: save, then poll until the regenerated types are on disk.
  const watchLatency: number[] = [];
  const watchCpu: number[] = [];
  const watchAllWritten: number[] = [];
  // What `pnpm dev` runs (package.json), without pnpm in between.
  const dev = /^node (\S+)((?: \S+)*)$/.exec(JSON.parse(await readFile(path.join(sandbox.root, "package.json"), "utf8")).scripts.dev);
  if (!dev) throw new Error("bench:generate runs the dev script as `node <file> [args]`; package.json's dev script is not of that form");
  const child = spawn(process.execPath, [dev[1]!, ...dev[2]!.trim().split(" ").filter(Boolean)], {
    cwd: sandbox.root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const until = async (condition: () => boolean | Promise<boolean>, ms: number, what: string) => {
    const deadline = performance.now() + ms;
    while (!(await condition())) {
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}; output:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  const typesFile = path.join(sandbox.root, "packages/types/src/generated/openapi.gen.ts");
  const bundleFile = path.join(sandbox.root, "packages/spec/src/generated/openapi.json");
  await writeFile(specFile, original);
  try {
    await until(() => output.includes("watch: watching"), 60_000, "watch mode to start");
    // Watch mode loads the generators between saves; the figures are those of a warm watcher.
    await until(() => /watch: generators, linter and builder loaded|could not load the generators/.test(output), 60_000, "watch mode to load the generators");
    for (let run = 0; run < RUNS; run++) {
      const marker = `Benchmark edit ${run} (${nonce}).`;
      const regenerations = output.split("watch: regenerated").length;
      const cpu = cpuMs(child.pid!);
      const started = performance.now();
      await writeFile(specFile, edited(marker));
      // The folder is replaced by a rename: the file can be missing for an instant.
      await until(async () => (await readFile(typesFile, "utf8").catch(() => "")).includes(marker), 30_000, "regenerated types");
      watchLatency.push(performance.now() - started);
      // Every file the edit changes: the types and the bundled document (the other stages' output does not change).
      await until(async () => (await readFile(bundleFile, "utf8").catch(() => "")).includes(marker), 30_000, "the regenerated bundle");
      watchAllWritten.push(performance.now() - started);
      // Let the run (and its build) finish before the next save.
      await until(() => output.split("watch: regenerated").length > regenerations, 30_000, "the watch run to finish");
      watchCpu.push(cpuMs(child.pid!) - cpu);
    }
  } finally {
    child.kill("SIGTERM");
    await writeFile(specFile, original);
  }

  // Baseline for the JVM stage: the 2.x wrapper, same JAR, same templates.
  await ensureWrapperStorage();
  const wrapper: number[] = [];
  const direct: number[] = [];
  const config = path.join(ROOT, "generators/stubs/config.yaml");
  const templates = path.join(ROOT, "generators/stubs/templates");
  for (let run = 0; run < RUNS; run++) {
    const out = await mkdtemp(path.join(os.tmpdir(), "acs-connect-bench-"));
    const started = performance.now();
    await exec(path.join(ROOT, "node_modules/.bin/openapi-generator-cli"), ["--openapitools", WRAPPER_CONFIG, "generate", "-c", config, "-t", templates, "-i", specFile, "-o", out], { cwd: ROOT });
    wrapper.push(performance.now() - started);
    await rm(out, { recursive: true, force: true });
    direct.push((await runOpenApiGenerator({ spec: specFile, config, templates })).jvmMs);
  }

  const pipeline = median(stages.get("pipeline") ?? [0]);
  const cpu = (values: number[]) => `CPU ${seconds(median(values))}`;
  const rows: Array<[string, string, string]> = [
    ["`pnpm generate` after a description edit (wall, incl. pnpm + Node start-up)", seconds(median(wall)), `${cpu(wallCpu)}; goal < 4 s: ${median(wall) < 4000 ? "met" : "MISSED"}`],
    ["`pnpm generate`, cache off: every stage recomputed (wall)", seconds(median(cold)), cpu(coldCpu)],
    ["`pnpm generate`, nothing changed (wall)", seconds(median(unchanged)), `${cpu(unchangedCpu)}; goal < 1.5 s: ${median(unchanged) < 1500 ? "met" : "MISSED"}`],
    ["  pipeline (in-process total)", seconds(pipeline), ""],
    ...[...stages].filter(([name]) => name !== "pipeline").map(([name, values]): [string, string, string] => [
      `  ${name}`,
      seconds(median(values)),
      name === "types" ? `goal < 1 s: ${median(values) < 1000 ? "met" : "MISSED"}` : reused.get(name) === RUNS ? "reused: the part of the spec it reads did not change" : "",
    ]),
    jvm.length > 0
      ? ["  JVM (inside stubs)", seconds(median(jvm)), `${((median(jvm) / pipeline) * 100).toFixed(0)}% of the pipeline`]
      : ["  JVM (inside stubs)", "-", "not started: the stubs were reused"],
    ["watch: save -> files written", seconds(median(watchLatency)), `goal < 1 s: ${median(watchLatency) < 1000 ? "met" : "MISSED"}`],
    ["  watch: save -> every changed file written (types and bundle)", seconds(median(watchAllWritten)), ""],
    ["  watch: CPU of the whole run (incl. JVM, build, docs)", seconds(median(watchCpu)), ""],
    ["stubs via 2.x wrapper (baseline)", seconds(median(wrapper)), ""],
    ["stubs via java -jar + AppCDS (used)", seconds(median(direct)), `${(median(wrapper) / median(direct)).toFixed(1)}x faster than the wrapper`],
  ];
  console.log(`bench:generate: medians of ${RUNS} runs, ${os.cpus().length} cores, Node ${process.versions.node}, load average ${os.loadavg()[0]!.toFixed(1)}\n`);
  const width = Math.max(...rows.map(([name]) => name.length));
  for (const [name, value, note] of rows) console.log(`${name.padEnd(width)}  ${value.padStart(7)}  ${note}`);
} finally {
  await sandbox.remove();
}
