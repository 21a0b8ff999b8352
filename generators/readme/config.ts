import type { GeneratorConfig } from "../lib/spec.ts";

/**
 * The parts of the package READMEs that list contract content (schemas, enums and their values,
 * operations), between `<!-- generated:<section> -->` and `<!-- /generated:<section> -->`
 * markers. The rest of each README is hand-written; a spec edit never needs a README edit.
 */
export const config: GeneratorConfig = {
  name: "readme",
  outputs: { files: ["packages/types/README.md", "packages/spec/README.md"] },
  inputs: ["core/src", "packages/types/README.md", "packages/spec/README.md"],
};
