/**
 * The typed document model: OpenAPI 3.0 objects as `openapi-types` declares them, plus the
 * Azure extensions this contract uses (`x-ms-enum`). Every tool reads documents through these
 * types; where a document may be malformed (the lint gate reads whatever an author saved), the
 * helpers accept `unknown` and narrow.
 */
import type { OpenAPIV3 } from "openapi-types";

/** The `x-ms-enum` marking of an enum (AutoRest's extension, which the official definition uses). */
export interface MsEnum {
  name?: string;
  /** `true`: the enum is extensible ("model as string"): values beyond the listed ones may arrive. */
  modelAsString?: boolean;
  values?: Array<{ value: unknown; description?: string; name?: string }>;
}

/** A Schema Object with the extensions this repository reads. */
export type Schema = OpenAPIV3.SchemaObject & { "x-ms-enum"?: MsEnum; [extension: `x-${string}`]: unknown };
export type Reference = OpenAPIV3.ReferenceObject;
export type SchemaOrRef = Schema | Reference;
export type Document = OpenAPIV3.Document;
export type Operation = OpenAPIV3.OperationObject;
export type PathItem = OpenAPIV3.PathItemObject;
export type Parameter = OpenAPIV3.ParameterObject;
export type Response = OpenAPIV3.ResponseObject;
export type MediaType = OpenAPIV3.MediaTypeObject;
export type Header = OpenAPIV3.HeaderObject;
export type Callback = OpenAPIV3.CallbackObject;

/** A path into a JSON value: object keys and array indexes. */
export type Path = Array<string | number>;

/** HTTP methods that can hold an Operation Object (OpenAPI 3.0.3, Path Item Object). */
export const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** A plain JSON object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, any> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A Reference Object: an object with a string `$ref`. */
export function isReference(value: unknown): value is Reference {
  return isObject(value) && typeof value.$ref === "string";
}
