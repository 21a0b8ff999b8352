/**
 * The shipped API reference as a file: exported by the package, current with the spec, and
 * self-contained (nothing in it loads from the network). The browser test
 * (reference.browser.test.ts) checks what it shows.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { embeddedDefinition, externalResources, referenceDocument } from "../../../generators/reference/index.ts";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const manifest = JSON.parse(readFileSync(path.join(ROOT, "packages/spec/package.json"), "utf8"));
const PAGE = path.join(ROOT, "packages/spec/dist/reference.html");
const page = () => {
  if (!existsSync(PAGE)) throw new Error("packages/spec/dist/reference.html is missing: run `pnpm generate` (or `pnpm run docs`).");
  return readFileSync(PAGE, "utf8");
};

describe("@acs-connect/spec/reference.html", () => {
  it("is an export of the package, shipped with it", () => {
    expect(manifest.exports["./reference.html"]).toBe("./dist/reference.html");
    expect(manifest.files).toContain("dist");
    // A consumer (the examples package) resolves the export to the built page; in a sandbox copy its node_modules link to the real checkout.
    expect(createRequire(path.join(ROOT, "examples/package.json")).resolve("@acs-connect/spec/reference.html")).toMatch(/[\\/]packages[\\/]spec[\\/]dist[\\/]reference\.html$/);
  });

  it("shows the current spec", () => {
    const bundled = JSON.parse(readFileSync(path.join(ROOT, "packages/spec/src/generated/openapi.json"), "utf8"));
    expect(embeddedDefinition(page()), "stale: run `pnpm generate` or `pnpm run docs`").toEqual(referenceDocument(bundled));
  });

  it("loads nothing from the network: no remote script, style, font, image or CDN in it", () => {
    const html = page();
    expect(externalResources(html)).toEqual([]);
    expect(html).not.toMatch(/<script\b[^>]*\bsrc\s*=/i);
    expect(html).not.toMatch(/<link\b[^>]*\bhref\s*=\s*["']?(?:https?:)?\/\//i);
    expect(html).not.toMatch(/url\(\s*["']?(?:https?:)?\/\//i);
    expect(html).not.toMatch(/\.(?:woff2?|ttf|otf)\b/i);
    expect(html).not.toMatch(/cdn\.|unpkg\.com|jsdelivr|googleapis|gstatic/i);
    expect(html).toMatch(/"disableTelemetry":true/);
  });
});
