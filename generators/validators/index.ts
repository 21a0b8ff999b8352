/**
 * Compiled request and response validators (Ajv standalone code): request bodies with closed
 * enums, so unknown values are refused with the allowed list; response bodies for checking
 * handlers' return values in development. Bodies of every operation and callback are covered;
 * a callback's request body is judged like a response (it travels to the consumer).
 */
import { _, Ajv } from "ajv";
import standaloneCode from "ajv/dist/standalone/index.js";
import { ajvFormats, callbackOperations, componentName, deref, operations, toJsonSchema, type OperationEntry } from "../../core/src/index.ts";
import { header, type Files, type Spec, type StageOutput } from "../lib/spec.ts";
import { config, RUNTIME_IMPORT } from "./config.ts";

type Direction = "request" | "response";

/** The component schemas of each direction's bodies. */
function bodySchemas(doc: any): Record<Direction, Set<string>> {
  const found: Record<Direction, Set<string>> = { request: new Set(), response: new Set() };
  const add = (direction: Direction, schema: unknown) => {
    const name = componentName((schema as { $ref?: unknown } | undefined)?.$ref);
    if (name !== undefined) found[direction].add(name);
  };
  const visit = (op: OperationEntry, sent: Direction, received: Direction) => {
    for (const media of Object.values<any>(deref<any>(doc, op.operation.requestBody)?.content ?? {})) add(sent, media?.schema);
    for (const raw of Object.values<any>(op.operation.responses ?? {})) {
      for (const media of Object.values<any>(deref<any>(doc, raw)?.content ?? {})) add(received, media?.schema);
    }
  };
  for (const op of operations(doc)) visit(op, "request", "response");
  for (const op of callbackOperations(doc)) visit(op, "response", "request");
  return found;
}

export function generate(spec: Spec): StageOutput {
  const schemas = bodySchemas(spec.doc);
  const ids = { request: "urn:acs-connect:request", response: "urn:acs-connect:response" } as const;
  // The format checks are the runtime module's, imported by the generated code as `formats`.
  const ajv = new Ajv({ allErrors: true, strict: true, formats: ajvFormats, code: { source: true, esm: true, lines: true, formats: _`formats` } });
  for (const direction of ["request", "response"] as const) ajv.addSchema(toJsonSchema(spec.doc, { direction, id: ids[direction], annotations: false }));
  const exportName = (direction: Direction, name: string) => `${direction}_${name}`;
  const exports: Record<string, string> = {};
  for (const direction of ["request", "response"] as const) {
    for (const name of [...schemas[direction]].sort()) exports[exportName(direction, name)] = `${ids[direction]}#/definitions/${name}`;
  }
  const code = standaloneCode.default(ajv, exports).replace(/^"use strict";/, "");
  const usesFormats = /\bformats\./.test(code);
  const prelude = usesFormats
    ? `import { FORMATS } from "${RUNTIME_IMPORT}";\nconst formats = Object.fromEntries(Object.entries(FORMATS).map(([name, format]) => [name, (value) => format.check(value)]));\n`
    : "";
  const table = (direction: Direction) =>
    `export const ${direction}Validators = {\n${[...schemas[direction]]
      .sort()
      .map((name) => `  ${name}: ${exportName(direction, name)},\n`)
      .join("")}};\n`;
  const declarations = (direction: Direction) =>
    `/** Validators of ${direction} bodies, by schema name. */\nexport declare const ${direction}Validators: {\n${[...schemas[direction]]
      .sort()
      .map((name) => `  readonly ${name}: SchemaValidator;\n`)
      .join("")}};\n`;

  const root = config.outputs.folders![0]!;
  const files: Files = new Map([
    [`${root}/validators.gen.js`, `${header(spec, "//", config.name)}// @ts-nocheck\n${prelude}${code}\n${table("request")}${table("response")}`],
    [
      `${root}/validators.gen.d.ts`,
      `${header(spec, "//", config.name)}
import type { SchemaError } from "${RUNTIME_IMPORT}";

/** A compiled schema: returns whether the value matches and leaves the reasons in \`errors\`. */
export interface SchemaValidator {
  (value: unknown): boolean;
  errors?: SchemaError[] | null;
}

${declarations("request")}
${declarations("response")}`,
    ],
  ]);
  return { files, summary: `request: ${[...schemas.request].join(", ")}; response: ${[...schemas.response].join(", ")}` };
}
