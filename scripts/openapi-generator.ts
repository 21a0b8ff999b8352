/**
 * `pnpm openapi-generator <args>`: the OpenAPI Generator 2.x CLI wrapper, offline, with the
 * project's pinned version (generators/stubs/openapitools.json), e.g.
 * `pnpm openapi-generator config-help -g typescript-fetch`.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { ROOT } from "../tools/paths.ts";
import { WRAPPER_CONFIG, ensureWrapperStorage } from "../generators/stubs/openapi-generator.ts";

await ensureWrapperStorage();
const result = spawnSync(
  path.join(ROOT, "node_modules/.bin/openapi-generator-cli"),
  ["--openapitools", WRAPPER_CONFIG, ...process.argv.slice(2)],
  { cwd: ROOT, stdio: "inherit" },
);
process.exitCode = result.status ?? 1;
