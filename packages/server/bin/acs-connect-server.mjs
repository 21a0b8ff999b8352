#!/usr/bin/env node
// The package's bin: a file that exists before the build, so that installing a workspace that
// depends on this package (examples/) links it without "Failed to create bin", and a checkout
// that was never built says what to do. The CLI itself runs in this same process: no child to
// orphan when a wrapper is killed.
import { existsSync } from "node:fs";

const cli = new URL("../dist/cli.mjs", import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write("acs-connect-server: this checkout of @acs-connect/server is not built yet; run pnpm generate (or pnpm --filter @acs-connect/server build) first.\n");
  process.exit(1);
}
await import(cli.href);
