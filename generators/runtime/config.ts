import type { GeneratorConfig } from "../lib/spec.ts";

/**
 * The core's run-time part (core/src/runtime.ts: string formats, validator errors to target and
 * message), written into each published package that needs it, so that the server and the
 * client check exactly what the lint gate checks.
 */
export const config: GeneratorConfig = {
  name: "runtime",
  outputs: { folders: ["packages/server/src/generated/runtime", "packages/client/src/generated/runtime", "packages/callbacks/src/generated/runtime"] },
  inputs: ["core/src/runtime.ts"],
  // A copy of core/src/runtime.ts: no part of the spec but its file name (in the header).
  reads: () => null,
};

/** The core module that is copied, repo-relative. */
export const SOURCE = "core/src/runtime.ts";
