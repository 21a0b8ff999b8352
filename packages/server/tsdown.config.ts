import { defineConfig } from "tsdown";
import { base } from "../../tsdown.base.ts";

// node:http and node:crypto: this package is for Node (and runtimes with Node's built-ins).
const server = { ...base, platform: "node" } as const;

export default defineConfig([
  // ESM: the library, the Redis store (the `./redis` subpath) and the CLI (the package's bin)
  // together, so that they share chunks instead of the CLI carrying a second copy of the server.
  // The CLI is ESM only: it uses top-level await and is never require()d. ioredis is a peer
  // dependency, so it stays an import (only `./redis` and the CLI's --redis load it).
  { ...server, entry: ["src/index.ts", "src/redis.ts", "src/cli.ts"], format: ["esm"] },
  { ...server, entry: ["src/index.ts", "src/redis.ts"], format: ["cjs"], clean: false },
]);
