/**
 * The lint gate in a worker thread (started by lint-client.ts): Spectral's loading and its run
 * take one core while the generators take the other, instead of interleaving on one event loop.
 * The worker lives as long as the process, so watch mode lints with the ruleset loaded once.
 */
import { parentPort } from "node:worker_threads";
import { failing, lintText, loadRuleset } from "../../tools/lint.ts";
import type { LintRequest, LintResponse } from "./lint-client.ts";

const port = parentPort;
if (!port) throw new Error("generators/pipeline/lint-worker.ts runs as a worker thread (see lint-client.ts)");
port.on("message", (request: LintRequest) => {
  const reply = (response: LintResponse) => port.postMessage(response);
  // A warm-up (watch mode, between saves) only loads the ruleset.
  const work = request.warmUp ? loadRuleset().then(() => []) : lintText(request.text, request.file);
  work.then(
    (results) => reply({ id: request.id, results: failing(results) }),
    (error: unknown) => reply({ id: request.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});
