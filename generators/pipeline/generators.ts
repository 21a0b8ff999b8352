/**
 * The generators `pnpm generate` runs, in order, each by its config (cheap to load) and a loader
 * for its code (loaded only when its cached output is stale).
 */
import { config as bundle } from "../bundle/config.ts";
import type { GeneratorConfig, Spec, StageOutput } from "../lib/spec.ts";
import { config as readme } from "../readme/config.ts";
import { config as runtime } from "../runtime/config.ts";
import { config as stubs } from "../stubs/config.ts";
import { config as types } from "../types/config.ts";
import { config as validators } from "../validators/config.ts";

export interface RegisteredGenerator {
  config: GeneratorConfig;
  load(): Promise<{
    generate(spec: Spec): StageOutput | Promise<StageOutput>;
    /** For a config with `complete`: the output for `config.reads`' projection, before `complete`. */
    renderProjection?(spec: Spec): StageOutput | Promise<StageOutput>;
  }>;
  /**
   * Its output starts a child process: the JVM of the stubs, or the reference page's renderer,
   * which renders the bundle. The pipeline runs these first, before the others load their
   * modules, which hold this thread for a second (TypeScript) and would delay the child.
   */
  startsProcess?: boolean;
}

/** Generators whose output is committed (src/generated folders and README sections). */
export const GENERATORS: readonly RegisteredGenerator[] = [
  { config: bundle, load: () => import("../bundle/index.ts"), startsProcess: true },
  { config: types, load: () => import("../types/index.ts") },
  { config: stubs, load: () => import("../stubs/index.ts"), startsProcess: true },
  { config: runtime, load: () => import("../runtime/index.ts") },
  { config: validators, load: () => import("../validators/index.ts") },
  { config: readme, load: () => import("../readme/index.ts") },
];

/** Every folder a generator owns wholly. */
export const OUTPUT_FOLDERS: readonly string[] = GENERATORS.flatMap((generator) => generator.config.outputs.folders ?? []);
/** Every single file a generator rewrites. */
export const OUTPUT_FILES: readonly string[] = GENERATORS.flatMap((generator) => generator.config.outputs.files ?? []);
