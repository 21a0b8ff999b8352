/**
 * `pnpm spec:diff`: runs scripts/spec-diff.ts on plain Node from its cached JavaScript build, as
 * `pnpm generate` runs scripts/generate.ts (see generators/pipeline/precompile.mjs for why not
 * under tsx).
 */
import { runCompiled } from "../generators/pipeline/precompile.mjs";

// scripts/spec-diff.ts runs itself only when it is the process's entry (it is also imported for its `main`).
const { main } = await runCompiled("spec-diff", ["scripts/spec-diff.ts"]);
process.exitCode = await main(process.argv.slice(2));
