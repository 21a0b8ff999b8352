/**
 * @acs-connect/types: openapi-typescript's view of the whole document (`paths`, `components`,
 * `operations`) and, beside it, one named export per component schema: for each enum a runtime
 * list of its known values and the closed `Known…` union of them.
 */
import type { OpenAPITSOptions } from "openapi-typescript";
import type ts from "typescript";
import { callbackEnvelopes, componentName, componentRef, enumOf, isExtensibleEnum, polymorphicBases, usedRef } from "../../core/src/index.ts";
import { valuesName } from "../lib/names.ts";
import { header, type Files, type Spec, type StageOutput } from "../lib/spec.ts";
import { openapiTypescript, ts as typescript } from "../lib/typescript.ts";
import { config } from "./config.ts";

const { default: openapiTS, addJSDocComment, astToString, oapiRef, STRING, tsLiteral, tsUnion } = openapiTypescript;

/*
 * Configuration of openapi-typescript.
 *
 * Two things the stock output gets wrong for this API, fixed here with openapi-typescript's
 * `transform` hook rather than by editing output:
 * - Extensible enums become open unions, `"pcm16KMono" | "pcm24KMono" | (string & {})`: the
 *   known values still autocomplete, and the day the service adds a value no consumer stops
 *   compiling.
 * - A property that uses a polymorphic base (`allOf: [{$ref: MediaStreamingOptions}]`, the
 *   wrapper that keeps its description) is typed as the union of the subtypes the base's
 *   discriminator maps, so `transportUrl` and `audioFormat` are part of the request type and
 *   `transportType` narrows it. Stock openapi-typescript reads the wrapper as inheritance and
 *   drops `transportType` instead.
 *
 * And one thing fixed on its output: the discriminator property openapi-typescript adds to each
 * subtype (`transportType: "websocket"`) is documented with its own placeholder text, which is
 * what a consumer's editor showed for `MediaStreamingOptions["transportType"]`. It gets the
 * description the spec gives the property on the base instead ({@link describeDiscriminators}).
 */
/** `string & {}`: any string, without swallowing the literal members in editors. */
const ANY_OTHER_STRING = typescript.factory.createParenthesizedType(typescript.factory.createIntersectionTypeNode([STRING, typescript.factory.createTypeLiteralNode([])]));

/** Options passed to openapi-typescript. */
export function openapiTypescriptOptions(doc: any): OpenAPITSOptions {
  const bases = polymorphicBases(doc);
  const transform = (node: any): ts.TypeNode | undefined => {
    // Header and parameter objects reach the hook whole; their schema is what matters.
    if (node && typeof node === "object" && node.schema && !node.type) return transform(node.schema);
    if (isExtensibleEnum(node)) return tsUnion([...node.enum.map((value: unknown) => tsLiteral(value)), ANY_OTHER_STRING]);
    const base = bases.get(componentName(usedRef(node)) ?? "");
    if (base) return tsUnion(base.subtypes.map((subtype) => oapiRef(componentRef(subtype.schema))));
    return undefined;
  };
  return { transform: (schema) => transform(schema), silent: true };
}

/** How openapi-typescript 7 documents the discriminator property it adds to a subtype. */
const ADDED_DISCRIMINATOR_DESCRIPTION = "discriminator enum property added by openapi-typescript";

interface SubtypeDiscriminator {
  property: string;
  /** The discriminator values that map to the subtype. */
  values: string[];
  /** The base's description of the property. */
  description: string;
}

/** The subtypes of every polymorphic base whose discriminator property the spec describes, by name. */
function discriminatorsBySubtype(doc: any): Map<string, SubtypeDiscriminator> {
  const bySubtype = new Map<string, SubtypeDiscriminator>();
  for (const base of polymorphicBases(doc).values()) {
    const description = doc.components.schemas[base.name]?.properties?.[base.property]?.description;
    if (typeof description !== "string") continue;
    for (const { value, schema } of base.subtypes) {
      const entry: SubtypeDiscriminator = bySubtype.get(schema) ?? { property: base.property, values: [], description };
      entry.values.push(value);
      bySubtype.set(schema, entry);
    }
  }
  return bySubtype;
}

/**
 * Replaces openapi-typescript's placeholder documentation of the discriminator property it adds
 * to each subtype (in `components.schemas.<Subtype>`) with the base's description of that
 * property, in the AST openapi-typescript returns (before `astToString`).
 */
export function describeDiscriminators(nodes: readonly ts.Node[], doc: any): void {
  const bySubtype = discriminatorsBySubtype(doc);
  const nameOf = (member: ts.TypeElement) =>
    member.name && (typescript.isIdentifier(member.name) || typescript.isStringLiteral(member.name)) ? member.name.text : undefined;
  const components = nodes.find((node): node is ts.InterfaceDeclaration => typescript.isInterfaceDeclaration(node) && node.name.text === "components");
  const schemas = components?.members.find((member) => nameOf(member) === "schemas");
  if (!schemas || !typescript.isPropertySignature(schemas) || !schemas.type || !typescript.isTypeLiteralNode(schemas.type)) return;
  for (const schema of schemas.type.members) {
    const discriminator = bySubtype.get(nameOf(schema) ?? "");
    if (!discriminator) continue;
    const visit = (node: ts.Node): void => {
      const comments = typescript.getSyntheticLeadingComments(node);
      if (
        typescript.isPropertySignature(node) &&
        nameOf(node) === discriminator.property &&
        comments?.some((comment) => comment.text.includes(ADDED_DISCRIMINATOR_DESCRIPTION))
      ) {
        typescript.setSyntheticLeadingComments(node, comments.filter((comment) => !comment.text.includes(ADDED_DISCRIMINATOR_DESCRIPTION)));
        // openapi-typescript's own JSDoc writer, so the comment reads like every other one.
        addJSDocComment({ type: "string", enum: discriminator.values, description: discriminator.description }, node);
      }
      typescript.forEachChild(node, visit);
    };
    visit(schema);
  }
}

export async function generate(spec: Spec, root = config.outputs.folders![0]!): Promise<StageOutput> {
  // A copy: openapi-typescript adds the discriminator property to each subtype of the document it
  // is given, and the pipeline's generators share one parsed document.
  const ast = await openapiTS(structuredClone(spec.doc), openapiTypescriptOptions(spec.doc));
  describeDiscriminators(ast, spec.doc);
  const files: Files = new Map([
    [`${root}/openapi.gen.ts`, `${header(spec, "//", config.name)}\n${astToString(ast)}`],
    [`${root}/schemas.gen.ts`, renderSchemasModule(spec.doc, header(spec, "//", config.name))],
  ]);
  const count = Object.keys(spec.doc.components?.schemas ?? {}).length;
  return { files, summary: `paths, components, operations + ${count} named schema types` };
}

function jsDoc(lines: string[], indent = ""): string {
  const body = lines.flatMap((line) => line.split("\n")).map((line) => `${indent} *${line ? ` ${line}` : ""}`);
  return `${indent}/**\n${body.join("\n")}\n${indent} */\n`;
}

function describe(schema: any): string[] {
  return typeof schema?.description === "string" ? [schema.description.trim()] : [];
}

/** The named exports of @acs-connect/types. */
export function renderSchemasModule(doc: any, fileHeader: string): string {
  const bases = polymorphicBases(doc);
  const out: string[] = [fileHeader, 'import type { components } from "./openapi.gen.ts";\n'];
  for (const [name, schema] of Object.entries<any>(doc.components?.schemas ?? {})) {
    const base = bases.get(name);
    if (base) {
      const mapping = base.subtypes.map(({ value, schema: subtype }) => `\`${base.property}: "${value}"\`: {@link ${subtype}}`).join(", ");
      out.push(
        jsDoc([
          ...describe(schema),
          "",
          `Polymorphic on \`${base.property}\`: one of the subtypes its discriminator maps (${mapping}).`,
          `The base shape alone is \`components["schemas"]["${name}"]\`.`,
        ]) + `export type ${name} = ${base.subtypes.map(({ schema: subtype }) => `components["schemas"]["${subtype}"]`).join(" | ")};\n`,
      );
      continue;
    }
    const info = enumOf(schema);
    if (info) {
      out.push(
        jsDoc([
          ...describe(schema),
          "",
          info.extensible
            ? "Extensible: the values below are the ones this API version knows; any other string may arrive."
            : "Closed: only the values below are valid.",
          ...info.values.map(({ value, description }) => `- \`${String(value)}\`${description ? `: ${description}` : ""}`),
        ]) + `export type ${name} = components["schemas"]["${name}"];\n`,
      );
      out.push(
        jsDoc([`The values of {@link ${name}} this API version knows, in the order the spec lists them.`]) +
          `export const ${valuesName(name)} = [${info.values.map(({ value }) => JSON.stringify(value)).join(", ")}] as const;\n`,
      );
      out.push(
        jsDoc([`A value of {@link ${name}} this API version knows (a closed union; see {@link ${valuesName(name)}}).`]) +
          `export type Known${name} = (typeof ${valuesName(name)})[number];\n`,
      );
      continue;
    }
    out.push(jsDoc(describe(schema).length > 0 ? describe(schema) : [name]) + `export type ${name} = components["schemas"]["${name}"];\n`);
  }
  out.push(...renderCallbackEvents(doc));
  return out.join("\n");
}

/**
 * The events callbacks deliver (see core/src/callbacks.ts): their `type` values and names at run
 * time, a map from event name to envelope type, and `CallbackEvent`, the known union widened by
 * `UnknownCallbackEvent` so that an event type this API version does not know yet is
 * representable without a cast.
 */
export function renderCallbackEvents(doc: any): string[] {
  const envelopes = callbackEnvelopes(doc);
  if (envelopes.length === 0) return [];
  const events = envelopes.flatMap((envelope) => envelope.events);
  const bases = envelopes.map((envelope) => envelope.base);
  const property = envelopes[0]!.property;
  if (envelopes.some((envelope) => envelope.property !== property)) {
    throw new Error(`Callback envelopes ${bases.join(", ")} use different discriminator properties; one CallbackEvent union cannot narrow on both.`);
  }
  const out: string[] = [];
  out.push(
    jsDoc([`The \`${property}\` of every callback event this API version knows, in the order the spec maps them.`]) +
      `export const callbackEventTypes = [${events.map(({ type }) => JSON.stringify(type)).join(", ")}] as const;\n`,
  );
  out.push(
    jsDoc([`The name of each known callback event (the name of its \`data\` schema), by its \`${property}\`.`]) +
      `export const callbackEventNames = {\n${events.map(({ type, name }) => `  ${JSON.stringify(type)}: ${JSON.stringify(name)},\n`).join("")}} as const;\n`,
  );
  out.push(
    jsDoc(["The envelope type of each known callback event, by event name."]) +
      `export interface CallbackEventMap {\n${events.map(({ name, envelope }) => `  ${name}: ${envelope};\n`).join("")}}\n`,
  );
  out.push(jsDoc(["The name of a known callback event, e.g. `" + events[0]!.name + "`."]) + "export type CallbackEventName = keyof CallbackEventMap;\n");
  out.push(jsDoc([`A known callback event; narrows on \`${property}\`.`]) + `export type KnownCallbackEvent = CallbackEventMap[CallbackEventName];\n`);
  out.push(
    jsDoc([
      `A callback event whose \`${property}\` this API version does not know (the service adds events over time):`,
      "the envelope, with a payload of unknown shape.",
    ]) +
      `export type UnknownCallbackEvent = Omit<components["schemas"]["${bases[0]}"], "${property}"> & { ${property}: string & {}; data?: unknown };\n`,
  );
  out.push(
    jsDoc([
      "Any event a callback delivers: a known one or one this API version does not know. To narrow on",
      `\`${property}\`, first tell the known ones apart with {@link isKnownCallbackEvent}, since an unknown`,
      `\`${property}\` may be any string.`,
    ]) + "export type CallbackEvent = KnownCallbackEvent | UnknownCallbackEvent;\n",
  );
  out.push(
    jsDoc([`Whether an event's \`${property}\` is one this API version knows; narrows {@link CallbackEvent} to {@link KnownCallbackEvent}.`]) +
      `export function isKnownCallbackEvent(event: CallbackEvent): event is KnownCallbackEvent {\n  return Object.prototype.hasOwnProperty.call(callbackEventNames, event.${property});\n}\n`,
  );
  return out;
}
