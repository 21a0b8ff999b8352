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
// The type import comes first: declarations keep a file's leading comment only on a statement
// they keep, and the JSON import below is elided from them, which would drop the package
// documentation above with it.
import type { OpenAPIDocument } from "./document.ts";
import document from "./generated/openapi.json" with { type: "json" };

export { apiVersion } from "./generated/api-version.gen.ts";
export type { OpenAPIDocument } from "./document.ts";

/** The bundled, self-contained OpenAPI 3.0.3 document. */
const spec: OpenAPIDocument = document;
export default spec;
