import os from "node:os";
import path from "node:path";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";
import { TYPE_CHECKER } from "./tools/paths.ts";

const here = import.meta.dirname;

// Workspace packages resolve to their sources (as in tsconfig.json's paths): tests need no build.
// The subpath first: an alias also matches the paths under its name.
const alias = {
  "@acs-connect/server/redis": path.join(here, "packages/server/src/redis.ts"),
  "@acs-connect/spec": path.join(here, "packages/spec/src/index.ts"),
  "@acs-connect/types": path.join(here, "packages/types/src/index.ts"),
  "@acs-connect/server": path.join(here, "packages/server/src/index.ts"),
  "@acs-connect/client": path.join(here, "packages/client/src/index.ts"),
  "@acs-connect/callbacks": path.join(here, "packages/callbacks/src/index.ts"),
};

/** Tests that start processes, servers or sandboxes of the repository (seconds each). */
const INTEGRATION = [
  "**/*.integration.test.ts",
  "scripts/test/generate.test.ts",
  "scripts/test/docs.test.ts",
  "scripts/test/readme.test.ts",
  "scripts/test/spec-diff/cli.test.ts",
  "generators/test/wrapper.test.ts",
  "packages/server/test/cli.test.ts",
  "examples/test/**/*.test.ts",
];

/** Tests of what is published: packed tarballs, a registry, a browser. They share one build (e2e/setup.ts). */
const E2E = ["e2e/**/*.test.ts", "scripts/test/packages.test.ts", "packages/spec/test/reference.browser.test.ts"];

/**
 * The files that take longest, longest first. All projects share one pool, so the run ends when
 * its last file does: these start first and the short files fill in around them. Vitest orders
 * by the durations it recorded in the last run (node_modules/.vite); this list orders a fresh
 * clone's first run, and only the order depends on it.
 */
const SLOW_FIRST = [
  "scripts/test/contract-edits.integration.test.ts",
  "e2e/registry.test.ts",
  "packages/server/test/hostile.integration.test.ts",
  "scripts/test/readme.test.ts",
  "packages/spec/test/reference.browser.test.ts",
  "scripts/test/generate.test.ts",
  "packages/server/test/cli.test.ts",
  "packages/server/test/mock-controls.integration.test.ts",
];

class SlowFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const recorded = (spec: TestSpecification) => this.ctx.cache.getFileTestResults(`${spec.project.name}:${path.relative(here, spec.moduleId)}`)?.duration;
    const rank = (spec: TestSpecification) => {
      const listed = SLOW_FIRST.indexOf(path.relative(here, spec.moduleId));
      if (listed >= 0) return listed;
      return spec.project.name === "unit" ? SLOW_FIRST.length + 1 : SLOW_FIRST.length;
    };
    if (files.every((spec) => recorded(spec) !== undefined)) return [...files].sort((a, b) => recorded(b)! - recorded(a)!);
    return [...files].sort((a, b) => rank(a) - rank(b));
  }
}

/**
 * Workers: one per core (Vitest's default on 2 cores is a single worker). The integration and
 * e2e files wait for the processes they start, so a third worker on 2 cores left no core idle,
 * but the suite then cost a fifth more CPU than the idle time it saved (more unit threads that
 * each load the tests' modules, more processes competing): measured on 2 cores, 285-308 s of
 * CPU and 158-170 s with two workers against 321-379 s and 165-194 s with three.
 */
const WORKERS = Math.max(2, os.availableParallelism());

export default defineConfig({
  resolve: { alias },
  test: {
    maxWorkers: WORKERS,
    sequence: { sequencer: SlowFirst },
    projects: [
      {
        resolve: { alias },
        test: {
          name: "unit",
          include: ["core/**/*.test.ts", "spec/test/**/*.test.ts", "generators/**/*.test.ts", "scripts/test/**/*.test.ts", "packages/*/test/**/*.test.ts"],
          exclude: [...INTEGRATION, ...E2E, "**/node_modules/**"],
          testTimeout: 30_000,
          hookTimeout: 30_000,
          // Unit files start no processes and restore what global state they change, so they run
          // in worker threads that keep their module graph from file to file instead of loading
          // core, Ajv and the spec again for each.
          pool: "threads",
          isolate: false,
          // One tsc pass over the whole tree (tsconfig.json includes the *.test-d.ts type tests):
          // it reports the type tests and fails the run on a type error in any other file, so
          // `pnpm test` needs no separate `tsc -p .`.
          // The checker is TypeScript 7's native tsc, as `pnpm typecheck` runs it (tools/typecheck/README.md).
          typecheck: { enabled: true, checker: TYPE_CHECKER, include: ["**/*.test-d.ts"], exclude: ["**/node_modules/**"], tsconfig: "./tsconfig.json" },
        },
      },
      {
        resolve: { alias },
        test: {
          name: "integration",
          include: INTEGRATION,
          exclude: ["**/node_modules/**"],
          // The tests start the packages' CLIs from their builds; this brings the builds up to date.
          globalSetup: ["scripts/test/setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: "e2e",
          include: E2E,
          exclude: ["**/node_modules/**"],
          globalSetup: ["e2e/setup.ts"],
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
