import { describedLater, fillDescriptions } from "../../core/src/projection.ts";
import { header, type GeneratorConfig } from "../lib/spec.ts";

const NAME = "types";
const OUTPUT = "packages/types/src/generated";

/**
 * @acs-connect/types: openapi-typescript's view of the document and the named exports beside
 * it. The openapi-typescript options (the transform hook for open enums and subtype unions) are
 * in index.ts, which loads TypeScript. index.ts renders openapi.gen.ts from the document with
 * its descriptions as placeholders; `complete` fills them in and renders schemas.gen.ts (plain
 * strings), so that a description edit reuses the rendering and loads no TypeScript.
 */
export const config: GeneratorConfig = {
  name: NAME,
  outputs: { folders: [OUTPUT] },
  inputs: ["core/src"],
  reads: (doc) => describedLater(doc).doc,
  async complete(rendered, spec) {
    const { renderSchemasModule } = await import("./schemas.ts");
    const { descriptions } = describedLater(spec.doc);
    const files = new Map([...rendered].map(([file, text]) => [file, fillDescriptions(text, descriptions)]));
    files.set(`${OUTPUT}/schemas.gen.ts`, renderSchemasModule(spec.doc, header(spec, "//", NAME)));
    return files;
  },
};
