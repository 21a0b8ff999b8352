import type { GeneratorConfig } from "../lib/spec.ts";

/** The bundled document, as JSON and YAML, and the api-version constant, for @acs-connect/spec. */
export const config: GeneratorConfig = {
  name: "bundle",
  outputs: { folders: ["packages/spec/src/generated"] },
};
