/**
 * `pnpm test:golden [--update]`: runs the generators' golden-file tests; `--update` rewrites
 * generators/test/golden/ from the current templates instead (review the diff before committing).
 */
import { spawnSync } from "node:child_process";
import { ROOT } from "./lib/paths.ts";

const update = process.argv.includes("--update");
const result = spawnSync("pnpm", ["exec", "vitest", "run", "generators/test/golden.test.ts"], {
  cwd: ROOT,
  stdio: "inherit",
  env: { ...process.env, ...(update ? { UPDATE_GOLDEN: "1" } : {}) },
});
process.exitCode = result.status ?? 1;
