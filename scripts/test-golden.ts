/**
 * `pnpm test:golden [--update]`: runs the generators' golden-file tests; `--update` rewrites
 * every generators/<name>/golden/ from the current generators instead (review the diff before committing).
 */
import { spawnSync } from "node:child_process";
import { ROOT } from "../tools/paths.ts";

const update = process.argv.includes("--update");
const result = spawnSync("pnpm", ["exec", "vitest", "run", "--project", "unit", "generators/"], {
  cwd: ROOT,
  stdio: "inherit",
  env: { ...process.env, ...(update ? { UPDATE_GOLDEN: "1" } : {}) },
});
process.exitCode = result.status ?? 1;
