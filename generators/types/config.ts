import type { GeneratorConfig } from "../lib/spec.ts";

/**
 * @acs-connect/types: openapi-typescript's view of the document and the named exports beside
 * it. The openapi-typescript options (the transform hook for open enums and subtype unions) are
 * in index.ts, which loads TypeScript.
 */
export const config: GeneratorConfig = {
  name: "types",
  outputs: { folders: ["packages/types/src/generated"] },
  inputs: ["core/src"],
};
