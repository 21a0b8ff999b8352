import path from "node:path";
import { defineConfig } from "vitest/config";

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

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: "unit",
          include: ["core/**/*.test.ts", "spec/test/**/*.test.ts", "generators/**/*.test.ts", "scripts/test/**/*.test.ts", "packages/*/test/**/*.test.ts"],
          exclude: [...INTEGRATION, ...E2E, "**/node_modules/**"],
          testTimeout: 30_000,
          typecheck: { enabled: true, include: ["**/*.test-d.ts"], exclude: ["**/node_modules/**"], tsconfig: "./tsconfig.typecheck.json" },
        },
      },
      {
        resolve: { alias },
        test: { name: "integration", include: INTEGRATION, exclude: ["**/node_modules/**"], testTimeout: 120_000, hookTimeout: 120_000 },
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
