/**
 * Runs the lint gate in a worker thread (lint-worker.ts), one per process, started on first use.
 * Under `pnpm generate` the worker is the precompiled JavaScript build (precompile.mjs); under
 * tsx it is the TypeScript file, which registers tsx's loader first.
 * The worker does not keep the process alive while no lint is pending.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { LintResult } from "../../tools/lint.ts";

export interface LintRequest {
  id: number;
  text: string;
  file: string;
  /** Only load the ruleset (and Spectral), lint nothing. */
  warmUp?: boolean;
}
export type LintResponse = { id: number; results: LintResult[] } | { id: number; error: string };

const SOURCE = new URL("./lint-worker.ts", import.meta.url);

let worker: Worker | undefined;
let next = 0;
const pending = new Map<number, { resolve(results: LintResult[]): void; reject(error: Error): void }>();

function start(): Worker {
  const compiled = (globalThis as Record<symbol, Map<string, URL> | undefined>)[Symbol.for("acs-connect.compiled")]?.get(path.resolve(fileURLToPath(SOURCE)));
  // Node 20 does not pass tsx's loader hooks on to a worker: the TypeScript worker registers them itself.
  const started = compiled
    ? new Worker(compiled)
    : new Worker(`import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(SOURCE.href)}); });`, { eval: true });
  started.on("message", (response: LintResponse) => {
    const waiting = pending.get(response.id);
    pending.delete(response.id);
    if (pending.size === 0) started.unref();
    if ("error" in response) waiting?.reject(new Error(`the lint gate failed: ${response.error}`));
    else waiting?.resolve(response.results);
  });
  const fail = (error: Error) => {
    worker = undefined;
    for (const waiting of pending.values()) waiting.reject(error);
    pending.clear();
  };
  started.on("error", fail);
  started.on("exit", (code) => fail(new Error(`the lint worker stopped (exit code ${code})`)));
  return started;
}

function send(request: Omit<LintRequest, "id">): Promise<LintResult[]> {
  worker ??= start();
  const id = next++;
  const result = new Promise<LintResult[]>((resolve, reject) => pending.set(id, { resolve, reject }));
  worker.ref();
  worker.postMessage({ id, ...request } satisfies LintRequest);
  return result;
}

/** The gate's failing results for a document given as text (`file` names it in results). */
export function lintInWorker(text: string, file: string): Promise<LintResult[]> {
  return send({ text, file });
}

/** Starts the worker and loads the ruleset in it, so that the next lint starts warm. */
export async function warmUpLint(): Promise<void> {
  await send({ text: "", file: "", warmUp: true });
}
