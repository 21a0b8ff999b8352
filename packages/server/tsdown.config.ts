import { defineConfig } from "tsdown";
import { base } from "../../tsdown.base.ts";

// node:http and node:crypto: this package is for Node (and runtimes with Node's built-ins).
const server = { ...base, platform: "node" } as const;

export default defineConfig([
  server,
  // The CLI (the package's bin) is ESM only: it uses top-level await and is never require()d.
  { ...server, entry: ["src/cli.ts"], format: ["esm"], dts: false, clean: false },
]);
