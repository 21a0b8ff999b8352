/**
 * @acs-connect/types: openapi-typescript's view of the whole document (`paths`, `components`,
 * `operations`) and, beside it, one named export per component schema: for each enum a runtime
 * list of its known values and the closed `Known…` union of them.
 */
import type { OpenAPITSOptions } from "openapi-typescript";
import type ts from "typescript";
import { componentName, componentRef, isExtensibleEnum, polymorphicBases, usedRef } from "../../core/src/index.ts";
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

/**
 * openapi.gen.ts for the document with each description as a placeholder (config.reads), which
 * config.complete fills in: openapi-typescript's output depends on descriptions only through the
 * comments they become, so a description edit reuses this rendering.
 */
export async function renderProjection(spec: Spec): Promise<StageOutput> {
  const doc = config.reads!(spec.doc) as any;
  // A copy: openapi-typescript adds the discriminator property to each subtype of the document it is given.
  const ast = await openapiTS(structuredClone(doc), openapiTypescriptOptions(doc));
  describeDiscriminators(ast, doc);
  const files: Files = new Map([[`${config.outputs.folders![0]!}/openapi.gen.ts`, `${header(spec, "//", config.name)}\n${astToString(ast)}`]]);
  const count = Object.keys(spec.doc.components?.schemas ?? {}).length;
  return { files, summary: `paths, components, operations + ${count} named schema types` };
}

export async function generate(spec: Spec): Promise<StageOutput> {
  const rendered = await renderProjection(spec);
  return { ...rendered, files: await config.complete!(rendered.files, spec) };
}

