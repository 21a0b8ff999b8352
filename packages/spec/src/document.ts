/**
 * The shape of an OpenAPI 3.0 document as far as consumers of this package need it; the full
 * document is described by the OpenAPI Specification 3.0.3.
 */
export interface OpenAPIDocument {
  openapi: string;
  info: { title: string; version: string; description?: string; [extension: `x-${string}`]: unknown } & Record<string, unknown>;
  servers?: Array<{ url: string; description?: string; variables?: Record<string, { default: string; description?: string; enum?: string[] }> }>;
  paths: Record<string, Record<string, unknown>>;
  components?: {
    schemas?: Record<string, Record<string, unknown>>;
    parameters?: Record<string, Record<string, unknown>>;
    headers?: Record<string, Record<string, unknown>>;
    securitySchemes?: Record<string, Record<string, unknown>>;
  } & Record<string, unknown>;
  security?: Array<Record<string, string[]>>;
  tags?: Array<{ name: string; description?: string }>;
  [key: string]: unknown;
}
