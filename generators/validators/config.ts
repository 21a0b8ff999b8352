import { withoutDescriptions } from "../../core/src/projection.ts";
import type { GeneratorConfig } from "../lib/spec.ts";

/**
 * Compiled validators (Ajv standalone code) of the request and response bodies, from the core's
 * OpenAPI-to-JSON-Schema conversion: the operations' bodies for @acs-connect/server, the callback
 * events for @acs-connect/callbacks.
 */
export const config: GeneratorConfig = {
  name: "validators",
  outputs: { folders: ["packages/server/src/generated/validators", "packages/callbacks/src/generated/validators"] },
  inputs: ["core/src"],
  // Validators keep no annotations: a description edit reuses them.
  reads: (doc) => withoutDescriptions(doc),
};

/** Where the generated runtime module sits, relative to the validators' folder (it supplies the format checks). */
export const RUNTIME_IMPORT = "../runtime/runtime.gen.ts";
