import path from "node:path";
import { describe, expect, it } from "vitest";
import { header, readSpec, type Spec } from "../lib/spec.ts";
import { openapiTypescript } from "../lib/typescript.ts";
import { fixtureSpec, goldenTests, under } from "../test/golden.ts";
import { config } from "./config.ts";
import { describeDiscriminators, generate, openapiTypescriptOptions, renderProjection } from "./index.ts";

describe("types generator: golden files", async () => {
  await goldenTests(path.join(import.meta.dirname, "golden"), under(config.outputs.folders![0]!, (await generate(await fixtureSpec())).files));
});

/** openapi.gen.ts as openapi-typescript renders it from the document itself, descriptions and all. */
async function direct(spec: Spec): Promise<string> {
  const { default: openapiTS, astToString } = openapiTypescript;
  const ast = await openapiTS(structuredClone(spec.doc), openapiTypescriptOptions(spec.doc));
  describeDiscriminators(ast, spec.doc);
  return astToString(ast);
}

const OPENAPI_GEN = `${config.outputs.folders![0]!}/openapi.gen.ts`;

describe("types generator: descriptions filled into a rendering with placeholders", () => {
  it("give openapi-typescript's own output for the spec and for awkward descriptions", async () => {
    const spec = await readSpec();
    // Multi-line, a comment terminator, trailing and leading blanks, blank and indented lines.
    const awkward = structuredClone(spec.doc);
    awkward.components.schemas.ConnectRequest.description = "  First line with a */ in it.   \n\n   indented line  \n  \nlast line\n";
    awkward.info.description = "*/";
    for (const doc of [spec.doc, awkward]) {
      const generated = (await generate({ ...spec, doc })).files.get(OPENAPI_GEN)!;
      expect(generated).toBe(`${header(spec, "//", config.name)}\n${await direct({ ...spec, doc })}`);
    }
  });

  it("reuse one rendering for every edit of the descriptions' text", async () => {
    const spec = await readSpec();
    const edited = structuredClone(spec.doc);
    edited.components.schemas.ConnectRequest.description = "Edited.";
    expect(JSON.stringify(config.reads!(edited))).toBe(JSON.stringify(config.reads!(spec.doc)));
    const rendered = await renderProjection(spec);
    expect(rendered.files.get(OPENAPI_GEN)).not.toContain("The call locator.");
    const completed = await config.complete!(rendered.files, { ...spec, doc: edited });
    expect(completed.get(OPENAPI_GEN)).toContain("/** @description Edited. */");
    expect(completed).toEqual((await generate({ ...spec, doc: edited })).files);
  });
});
