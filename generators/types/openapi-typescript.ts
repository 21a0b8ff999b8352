/**
 * Configuration of openapi-typescript for @acs-connect/types, and the module of named exports
 * that sits beside its output.
 *
 * Two things the stock output gets wrong for this API, fixed here with openapi-typescript's
 * `transform` hook rather than by editing output:
 * - Extensible enums (`x-ms-enum.modelAsString`) become open unions,
 *   `"pcm16KMono" | "pcm24KMono" | (string & {})`: the known values still autocomplete, and the
 *   day the service adds a value no consumer stops compiling.
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
import ts from "typescript";
import { STRING, addJSDocComment, oapiRef, tsLiteral, tsUnion, type OpenAPITSOptions } from "openapi-typescript";
import { isExtensibleEnum, mappingTargetRef } from "../../spec/rules/lib/json-schema.js";

const COMPONENT_PREFIX = "#/components/schemas/";

/** `string & {}`: any string, without swallowing the literal members in editors. */
const ANY_OTHER_STRING = ts.factory.createParenthesizedType(
  ts.factory.createIntersectionTypeNode([STRING, ts.factory.createTypeLiteralNode([])]),
);

/** Component schemas with a discriminator mapping, each with the `$ref`s of its subtypes. */
export function polymorphicBases(doc: any): Map<string, string[]> {
  const bases = new Map<string, string[]>();
  for (const [name, schema] of Object.entries<any>(doc.components?.schemas ?? {})) {
    const mapping = schema?.discriminator?.mapping;
    if (mapping && !schema.oneOf && !schema.anyOf) {
      bases.set(`${COMPONENT_PREFIX}${name}`, Object.values(mapping).map(mappingTargetRef));
    }
  }
  return bases;
}

/** The `$ref` a schema uses directly or through a one-member `allOf` wrapper. */
function usedRef(schema: any): string | undefined {
  if (typeof schema?.$ref === "string") return schema.$ref;
  if (Array.isArray(schema?.allOf) && schema.allOf.length === 1 && typeof schema.allOf[0]?.$ref === "string") {
    return schema.allOf[0].$ref;
  }
  return undefined;
}

/** Options passed to openapi-typescript. */
export function openapiTypescriptOptions(doc: any): OpenAPITSOptions {
  const bases = polymorphicBases(doc);
  const transform = (node: any): ts.TypeNode | undefined => {
    // Header and parameter objects reach the hook whole; their schema is what matters.
    if (node && typeof node === "object" && node.schema && !node.type) return transform(node.schema);
    if (isExtensibleEnum(node) && Array.isArray(node.enum)) {
      return tsUnion([...node.enum.map((value: unknown) => tsLiteral(value)), ANY_OTHER_STRING]);
    }
    const ref = usedRef(node);
    const subtypes = ref ? bases.get(ref) : undefined;
    if (subtypes) return tsUnion(subtypes.map((subtype) => oapiRef(subtype)));
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
  for (const schema of Object.values<any>(doc.components?.schemas ?? {})) {
    const property = schema?.discriminator?.propertyName;
    const description = schema?.properties?.[property]?.description;
    if (!schema?.discriminator?.mapping || typeof description !== "string") continue;
    for (const [value, target] of Object.entries<string>(schema.discriminator.mapping)) {
      const subtype = mappingTargetRef(target).slice(COMPONENT_PREFIX.length);
      const entry: SubtypeDiscriminator = bySubtype.get(subtype) ?? { property, values: [], description };
      entry.values.push(value);
      bySubtype.set(subtype, entry);
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
    member.name && (ts.isIdentifier(member.name) || ts.isStringLiteral(member.name)) ? member.name.text : undefined;
  const components = nodes.find((node): node is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(node) && node.name.text === "components");
  const schemas = components?.members.find((member) => nameOf(member) === "schemas");
  if (!schemas || !ts.isPropertySignature(schemas) || !schemas.type || !ts.isTypeLiteralNode(schemas.type)) return;
  for (const schema of schemas.type.members) {
    const discriminator = bySubtype.get(nameOf(schema) ?? "");
    if (!discriminator) continue;
    const visit = (node: ts.Node): void => {
      const comments = ts.getSyntheticLeadingComments(node);
      if (
        ts.isPropertySignature(node) &&
        nameOf(node) === discriminator.property &&
        comments?.some((comment) => comment.text.includes(ADDED_DISCRIMINATOR_DESCRIPTION))
      ) {
        ts.setSyntheticLeadingComments(node, comments.filter((comment) => !comment.text.includes(ADDED_DISCRIMINATOR_DESCRIPTION)));
        // openapi-typescript's own JSDoc writer, so the comment reads like every other one.
        addJSDocComment({ type: "string", enum: discriminator.values, description: discriminator.description }, node);
      }
      ts.forEachChild(node, visit);
    };
    visit(schema);
  }
}

/** `AudioFormat` -> `audioFormatValues`. */
export function valuesName(schemaName: string): string {
  return `${schemaName.charAt(0).toLowerCase()}${schemaName.slice(1)}Values`;
}

function jsDoc(lines: string[], indent = ""): string {
  const body = lines.flatMap((line) => line.split("\n")).map((line) => `${indent} *${line ? ` ${line}` : ""}`);
  return `${indent}/**\n${body.join("\n")}\n${indent} */\n`;
}

function describe(schema: any): string[] {
  return typeof schema?.description === "string" ? [schema.description.trim()] : [];
}

/**
 * The named exports of @acs-connect/types: one type per component schema, plus for each enum a
 * runtime list of its known values and the closed `Known…` union of them.
 */
export function renderSchemasModule(doc: any, header: string): string {
  const bases = polymorphicBases(doc);
  const schemas = Object.entries<any>(doc.components?.schemas ?? {});
  const out: string[] = [header, 'import type { components } from "./openapi.gen.ts";\n'];
  for (const [name, schema] of schemas) {
    const ref = `${COMPONENT_PREFIX}${name}`;
    const subtypes = bases.get(ref);
    if (subtypes) {
      const names = subtypes.map((subtype) => subtype.slice(COMPONENT_PREFIX.length));
      const mapping = Object.entries<string>(schema.discriminator.mapping)
        .map(([value, target]) => `\`${schema.discriminator.propertyName}: "${value}"\`: {@link ${mappingTargetRef(target).slice(COMPONENT_PREFIX.length)}}`)
        .join(", ");
      out.push(
        jsDoc([
          ...describe(schema),
          "",
          `Polymorphic on \`${schema.discriminator.propertyName}\`: one of the subtypes its discriminator maps (${mapping}).`,
          `The base shape alone is \`components["schemas"]["${name}"]\`.`,
        ]) + `export type ${name} = ${names.map((subtype) => `components["schemas"]["${subtype}"]`).join(" | ")};\n`,
      );
      continue;
    }
    if (Array.isArray(schema.enum)) {
      const values: any[] = schema["x-ms-enum"]?.values ?? [];
      const valueDocs = schema.enum.map((value: unknown) => {
        const description = values.find((entry) => entry?.value === value)?.description;
        return `- \`${String(value)}\`${description ? `: ${description}` : ""}`;
      });
      const open = isExtensibleEnum(schema);
      out.push(
        jsDoc([
          ...describe(schema),
          "",
          open
            ? "Extensible: the values below are the ones this API version knows; any other string may arrive."
            : "Closed: only the values below are valid.",
          ...valueDocs,
        ]) + `export type ${name} = components["schemas"]["${name}"];\n`,
      );
      out.push(
        jsDoc([`The values of {@link ${name}} this API version knows, in the order the spec lists them.`]) +
          `export const ${valuesName(name)} = [${schema.enum.map((value: unknown) => JSON.stringify(value)).join(", ")}] as const;\n`,
      );
      out.push(
        jsDoc([`A value of {@link ${name}} this API version knows (a closed union; see {@link ${valuesName(name)}}).`]) +
          `export type Known${name} = (typeof ${valuesName(name)})[number];\n`,
      );
      continue;
    }
    out.push(jsDoc(describe(schema).length > 0 ? describe(schema) : [name]) + `export type ${name} = components["schemas"]["${name}"];\n`);
  }
  return out.join("\n");
}
