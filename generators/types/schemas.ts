/**
 * The named exports of @acs-connect/types (schemas.gen.ts): one per component schema, the value
 * lists of the enums and the callback events. Plain string rendering, without TypeScript, so
 * that the types generator's config can render it on every run (config.ts's `complete`).
 */
import { callbackEnvelopes, enumOf, polymorphicBases } from "../../core/src/index.ts";
import { valuesName } from "../lib/names.ts";

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
