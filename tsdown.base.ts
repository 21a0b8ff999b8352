/**
 * The build every @acs-connect package shares: ESM first plus a CommonJS build for consumers
 * that still `require()`, each with its own declarations (.mjs/.d.mts, .cjs/.d.cts), as the
 * packages' `exports` maps name them.
 */
import type { UserConfig } from "tsdown";

export const base = {
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  fixedExtension: true,
  platform: "neutral",
  target: "node20.19",
  // Declarations from oxc's isolated-declarations transform: no type-checker run, ~10x faster.
  // rolldown-plugin-dts bundles them; patches/README.md says why two of its parts are patched.
  dts: { oxc: true },
  clean: true,
  logLevel: "warn",
  // The CommonJS build is deliberate (see above), so the advice to drop it is noise; plugin timing
  // warnings fire whenever the builds share the CPU with the other generate stages.
  checks: { legacyCjs: false, pluginTimings: false },
  outputOptions: { exports: "named" },
} satisfies UserConfig;
