import { isResponsePath, withoutDescriptions } from "../../core/src/projection.ts";
import type { GeneratorConfig } from "../lib/spec.ts";

/**
 * The server's typed stub layer: the route table and a handler type per operation, rendered by
 * OpenAPI Generator 5.0.0-beta2 from our templates (config.yaml, templates/).
 */
export const config: GeneratorConfig = {
  name: "stubs",
  outputs: { folders: ["packages/server/src/generated/stubs"] },
  // The templates render operation summaries and response descriptions, and no other prose: the
  // JVM is given the document without the rest, so a description edit reuses the stubs.
  reads: (doc) => withoutDescriptions(doc, isResponsePath),
};
