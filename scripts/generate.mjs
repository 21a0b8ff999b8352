/**
 * `pnpm generate` and `pnpm dev`: runs scripts/generate.ts (where the command is) on plain Node
 * from its cached JavaScript build, rebuilt whenever a file it is made of changes; see
 * generators/pipeline/precompile.mjs for why not under tsx.
 */
import { runCompiled } from "../generators/pipeline/precompile.mjs";

await runCompiled("generate", ["scripts/generate.ts", "generators/pipeline/lint-worker.ts"]);
