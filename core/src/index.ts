/**
 * The OpenAPI core: the one typed module that says what the contract's OpenAPI constructs mean.
 * The lint rules (spec/rules/), every generator (generators/), spec:diff and the reference page
 * (tools/) import it; what the published packages need of it at run time (runtime.ts) is
 * generated into them. It imports nothing else from this repository.
 */
export * from "./document.ts";
export * from "./pointer.ts";
export * from "./walk.ts";
export * from "./enums.ts";
export * from "./polymorphism.ts";
export * from "./json-schema.ts";
export * from "./runtime.ts";
export * from "./callbacks.ts";
export * from "./projection.ts";
