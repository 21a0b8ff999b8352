/**
 * `pnpm generate` and `pnpm dev`: runs scripts/generate.ts (where the command is) on plain Node
 * from its cached JavaScript build, rebuilt whenever a file it is made of changes; see
 * generators/pipeline/precompile.mjs for why not under tsx.
 *
 * package.json starts `pnpm generate` with V8's `--no-turbofan` (Node 20 to 24 know it): a run
 * lasts a few seconds and runs most of its code once, and the optimizing compiler's work on
 * background threads cost more CPU than it saved (measured: about 0.6 s of 6 s, on a machine
 * with 2 cores that the lint worker, the reference page's renderer and this thread share).
 * `pnpm dev` keeps it: a watch process runs the same code again on every save.
 */
import { runCompiled } from "../generators/pipeline/precompile.mjs";

await runCompiled("generate", ["scripts/generate.ts", "generators/pipeline/lint-worker.ts"]);
