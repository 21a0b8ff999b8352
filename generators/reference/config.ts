import type { GeneratorConfig } from "../lib/spec.ts";

/**
 * The API reference page, rendered by Redocly from the bundle into the built @acs-connect/spec
 * (dist/, not committed): it runs after the packages are built, because the build empties dist/.
 */
export const config: GeneratorConfig = {
  name: "reference",
  outputs: { files: ["packages/spec/dist/reference.html"] },
  inputs: ["core/src"],
  afterBuild: true,
};
