import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["spec/test/**/*.test.ts", "scripts/test/**/*.test.ts"],
    testTimeout: 30_000,
  },
});
