/** Well-known locations of the repository, resolved from this file so scripts run from anywhere. */
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const SPEC_FILE = path.join(ROOT, "spec/openapi.yaml");
export const RULESET_FILE = path.join(ROOT, ".spectral.yaml");
/** `pnpm typecheck`'s compiler: TypeScript 7's tsc, in a workspace package of its own (tools/typecheck/README.md). */
export const TYPE_CHECKER = path.join(ROOT, "tools/typecheck/node_modules/typescript/bin/tsc");

/** A path relative to the repository root, with forward slashes, for messages. */
export function relative(file: string): string {
  return path.relative(ROOT, file).split(path.sep).join("/");
}
