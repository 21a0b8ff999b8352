/**
 * The bundled OpenAPI document of the Connect operation, the single source of truth of the
 * acs-connect packages. The same document is available as files:
 * `@acs-connect/spec/openapi.json` and `@acs-connect/spec/openapi.yaml`.
 *
 * @example
 * ```ts
 * import spec, { apiVersion } from "@acs-connect/spec";
 * console.log(apiVersion, Object.keys(spec.paths));
 * ```
 * @packageDocumentation
 */
import document from "./generated/openapi.json" with { type: "json" };
import type { OpenAPIDocument } from "./document.ts";

export { apiVersion } from "./generated/api-version.gen.ts";
export type { OpenAPIDocument } from "./document.ts";

/** The bundled, self-contained OpenAPI 3.0.3 document. */
const spec: OpenAPIDocument = document;
export default spec;
