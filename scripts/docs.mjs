/**
 * `pnpm run docs`: runs scripts/docs.ts on plain Node from its cached JavaScript build, as
 * `pnpm generate` runs scripts/generate.ts (see generators/pipeline/precompile.mjs for why not
 * under tsx).
 */
import { runCompiled } from "../generators/pipeline/precompile.mjs";

await runCompiled("docs", ["scripts/docs.ts"]);
