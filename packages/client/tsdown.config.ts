import path from "node:path";
import { defineConfig } from "tsdown";
import { base } from "../../tsdown.base.ts";

const browserPlatform = path.join(import.meta.dirname, "src/platform.browser.ts");

export default defineConfig([
  base,
  // The browser build (package.json: the "browser" export condition), ESM only, declarations
  // shared with the ESM build: the same modules with ./platform.ts swapped for
  // ./platform.browser.ts, so bundlers targeting browsers get no node:crypto or node:http
  // detection and no code that only runs in Node.
  {
    ...base,
    entry: ["src/index.ts"],
    format: ["esm"],
    platform: "browser",
    outDir: "dist/browser",
    dts: false,
    plugins: [
      {
        name: "acs-connect:browser-platform",
        resolveId: (source: string) => (source === "./platform.ts" ? browserPlatform : undefined),
      },
    ],
  },
]);
