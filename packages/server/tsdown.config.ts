import { defineConfig } from "tsdown";
import { base } from "../../tsdown.base.ts";

// node:http and node:crypto: this package is for Node (and runtimes with Node's built-ins).
const server = { ...base, platform: "node" } as const;

export default defineConfig([
  // ESM: the library and the CLI (the package's bin) together, so that they share chunks
  // instead of the CLI carrying a second copy of the server. The CLI is ESM only: it uses
  // top-level await and is never require()d.
  { ...server, entry: ["src/index.ts", "src/cli.ts"], format: ["esm"] },
  { ...server, entry: ["src/index.ts"], format: ["cjs"], clean: false },
]);
