import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fixtureSpec, goldenTests } from "../test/golden.ts";
import { renderSections } from "./index.ts";

const fixture = path.join(import.meta.dirname, "../test/fixtures/README.md");

describe("readme generator: golden files", async () => {
  const spec = await fixtureSpec();
  const markdown = await readFile(fixture, "utf8");
  await goldenTests(path.join(import.meta.dirname, "golden"), new Map([["README.md", renderSections(markdown, spec.doc, spec, "README.md")]]));

  it("names the file and line of a section it does not know or that never ends", () => {
    expect(() => renderSections("x\n<!-- generated:nope -->\n<!-- /generated:nope -->", spec.doc, spec, "A.md")).toThrow('A.md:2: unknown generated section "nope"');
    expect(() => renderSections("<!-- generated:schemas -->\n", spec.doc, spec, "B.md")).toThrow('B.md:1: generated section "schemas" has no end marker');
  });
});
