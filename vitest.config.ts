import path from "node:path";
import { defineConfig } from "vitest/config";

const here = import.meta.dirname;

export default defineConfig({
  resolve: {
    // Workspace packages resolve to their sources (as in tsconfig.json's paths): tests need no build.
    alias: {
      "@acs-connect/spec": path.join(here, "packages/spec/src/index.ts"),
      "@acs-connect/types": path.join(here, "packages/types/src/index.ts"),
      "@acs-connect/server": path.join(here, "packages/server/src/index.ts"),
      "@acs-connect/client": path.join(here, "packages/client/src/index.ts"),
    },
  },
  test: {
    include: [
      "spec/test/**/*.test.ts",
      "scripts/test/**/*.test.ts",
      "generators/test/**/*.test.ts",
      "packages/*/test/**/*.test.ts",
      "examples/test/**/*.test.ts",
      "e2e/**/*.test.ts",
    ],
    testTimeout: 30_000,
  },
});
