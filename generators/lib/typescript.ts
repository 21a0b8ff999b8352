/**
 * TypeScript and openapi-typescript for the pipeline, loaded with `require`.
 *
 * Why not `import`: on Node 20.19+, importing a CommonJS file from an ES module makes Node first
 * scan it for module syntax (its package declares no "type") and then lex it for named exports,
 * before running it. For TypeScript's 9 MB lib/typescript.js that cost about 1.5 s of CPU in
 * each `pnpm generate` that regenerates the types, against 0.4 s for `require`. openapi-typescript
 * ships a CommonJS build, so loading it with `require` as well keeps its own `import "typescript"`
 * from taking the slow path.
 */
import { createRequire } from "node:module";
import type * as OpenapiTypescript from "openapi-typescript";
import type * as TypeScript from "typescript";

const require = createRequire(import.meta.url);

export const ts: typeof TypeScript = require("typescript");
export const openapiTypescript: typeof OpenapiTypescript = require("openapi-typescript");
