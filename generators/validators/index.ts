/**
 * Compiled validators (Ajv standalone code), from the core's OpenAPI-to-JSON-Schema conversion.
 *
 * - For @acs-connect/server: the operations' bodies. Request bodies with closed enums, so unknown
 *   values are refused with the allowed list; response bodies for checking handlers' return
 *   values in development.
 * - For @acs-connect/callbacks: the events callbacks deliver (core/src/callbacks.ts): each
 *   envelope base (which dispatches on its discriminator) and each event's envelope. A callback
 *   body travels to the API's consumer, so it is judged like a response (readOnly properties
 *   present), and extensible enums are open: a receiver must accept values the service adds.
 */
import { _, Ajv } from "ajv";
import standaloneCode from "ajv/dist/standalone/index.js";
import { ajvFormats, callbackEnvelopes, componentName, deref, operations, toJsonSchema, type ConvertOptions } from "../../core/src/index.ts";
import { header, type Files, type Spec, type StageOutput } from "../lib/spec.ts";
import { config, RUNTIME_IMPORT } from "./config.ts";

type Direction = "request" | "response";

/** The component schemas of each direction's bodies of the operations (not their callbacks: those are the receiver's). */
function bodySchemas(doc: any): Record<Direction, Set<string>> {
  const found: Record<Direction, Set<string>> = { request: new Set(), response: new Set() };
  const add = (direction: Direction, schema: unknown) => {
    const name = componentName((schema as { $ref?: unknown } | undefined)?.$ref);
    if (name !== undefined) found[direction].add(name);
  };
  for (const op of operations(doc)) {
    for (const media of Object.values<any>(deref<any>(doc, op.operation.requestBody)?.content ?? {})) add("request", media?.schema);
    for (const raw of Object.values<any>(op.operation.responses ?? {})) {
      for (const media of Object.values<any>(deref<any>(doc, raw)?.content ?? {})) add("response", media?.schema);
    }
  }
  return found;
}

/** One table of validators: its export name, what it validates, and how the schemas are converted. */
interface Table {
  name: string;
  /** Prefix of each validator's own export in the standalone code. */
  prefix: string;
  doc: string;
  schemas: string[];
  options: ConvertOptions & { id: string };
}

/** Standalone code of the tables, with the format checks taken from the generated runtime module. */
function compile(spec: Spec, doc: unknown, tables: Table[]): { js: string; dts: string } {
  const ajv = new Ajv({ allErrors: true, strict: true, formats: ajvFormats, code: { source: true, esm: true, lines: true, formats: _`formats` } });
  for (const table of tables) ajv.addSchema(toJsonSchema(doc, { ...table.options, annotations: false }));
  const exports: Record<string, string> = {};
  for (const table of tables) for (const name of table.schemas) exports[`${table.prefix}_${name}`] = `${table.options.id}#/definitions/${name}`;
  const code = standaloneCode.default(ajv, exports).replace(/^"use strict";/, "");
  const prelude = /\bformats\./.test(code)
    ? `import { FORMATS } from "${RUNTIME_IMPORT}";\nconst formats = Object.fromEntries(Object.entries(FORMATS).map(([name, format]) => [name, (value) => format.check(value)]));\n`
    : "";
  const js = tables.map((table) => `export const ${table.name} = {\n${table.schemas.map((name) => `  ${name}: ${table.prefix}_${name},\n`).join("")}};\n`).join("");
  const dts = tables
    .map((table) => `/** ${table.doc} */\nexport declare const ${table.name}: {\n${table.schemas.map((name) => `  readonly ${name}: SchemaValidator;\n`).join("")}};\n`)
    .join("\n");
  return {
    js: `${header(spec, "//", config.name)}// @ts-nocheck\n${prelude}${code}\n${js}`,
    dts: `${header(spec, "//", config.name)}
import type { SchemaError } from "${RUNTIME_IMPORT}";

/** A compiled schema: returns whether the value matches and leaves the reasons in \`errors\`. */
export interface SchemaValidator {
  (value: unknown): boolean;
  errors?: SchemaError[] | null;
}

${dts}`,
  };
}

export function generate(spec: Spec): StageOutput {
  const [serverRoot, callbacksRoot] = config.outputs.folders!;
  // What the validators are made of (no prose: they keep no annotations), as the stage cache keys them.
  const doc = config.reads!(spec.doc);
  const schemas = bodySchemas(doc);
  const server = compile(spec, doc, [
    { name: "requestValidators", prefix: "request", doc: "Validators of request bodies, by schema name.", schemas: [...schemas.request].sort(), options: { direction: "request", id: "urn:acs-connect:request" } },
    { name: "responseValidators", prefix: "response", doc: "Validators of response bodies, by schema name.", schemas: [...schemas.response].sort(), options: { direction: "response", id: "urn:acs-connect:response" } },
  ]);
  const files: Files = new Map([
    [`${serverRoot}/validators.gen.js`, server.js],
    [`${serverRoot}/validators.gen.d.ts`, server.dts],
  ]);
  const envelopes = callbackEnvelopes(doc);
  const eventSchemas = [...new Set(envelopes.flatMap((envelope) => [envelope.base, ...envelope.events.map((event) => event.envelope)]))].sort();
  if (eventSchemas.length > 0) {
    const callbacks = compile(spec, doc, [
      {
        name: "eventValidators",
        prefix: "event",
        doc: "Validators of callback events, by envelope schema name; a base dispatches on its discriminator and accepts unknown event types by the base alone.",
        schemas: eventSchemas,
        options: { direction: "response", enums: "open", id: "urn:acs-connect:event" },
      },
    ]);
    files.set(`${callbacksRoot}/validators.gen.js`, callbacks.js);
    files.set(`${callbacksRoot}/validators.gen.d.ts`, callbacks.dts);
  }
  return {
    files,
    summary: `request: ${[...schemas.request].join(", ")}; response: ${[...schemas.response].join(", ")}; events: ${eventSchemas.length} schemas`,
  };
}
