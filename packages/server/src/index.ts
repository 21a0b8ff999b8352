/**
 * Server stubs of the Connect operation: the route table and typed handler interfaces that
 * `pnpm generate` renders from the spec, and the compiled body validators.
 * @packageDocumentation
 */
export * from "./generated/stubs/index.ts";
export { requestValidators, responseValidators } from "./generated/validators/validators.gen.js";
export type { SchemaValidationError, SchemaValidator } from "./generated/validators/validators.gen.js";
