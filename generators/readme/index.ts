/**
 * Renders the generated sections of the package READMEs (see config.ts). A section is named by
 * its marker, `<!-- generated:schemas -->`; an unknown name or a missing end marker fails the
 * generation with the file and line.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { callbackOperations, enumOf, operations, polymorphicBases } from "../../core/src/index.ts";
import { ROOT } from "../../tools/paths.ts";
import { valuesName } from "../lib/names.ts";
import { header, type Files, type Spec, type StageOutput } from "../lib/spec.ts";
import { config } from "./config.ts";

const code = (text: unknown) => `\`${String(text)}\``;
const firstSentence = (text: unknown) => (typeof text === "string" ? (text.trim().split(/(?<=\.)\s/)[0] ?? "").replace(/\s+/g, " ").replace(/\|/g, "\\|") : "");

/** The sections a README may ask for, by name. */
const SECTIONS: Record<string, (doc: any) => string> = {
  /** Every named type of @acs-connect/types, enums with their runtime value lists. */
  schemas(doc) {
    const bases = polymorphicBases(doc);
    const rows = ["| type | what it is |", "|---|---|"];
    const enums = ["| enum (open union) | known values at run time | values |", "|---|---|---|"];
    for (const [name, schema] of Object.entries<any>(doc.components?.schemas ?? {})) {
      const info = enumOf(schema);
      if (info) {
        enums.push(`| ${code(name)} | ${code(valuesName(name))}, ${code(`Known${name}`)} | ${info.values.map(({ value }) => code(value)).join(", ")} |`);
        continue;
      }
      const base = bases.get(name);
      const note = base ? ` One of ${base.subtypes.map(({ schema: subtype, value }) => `${code(subtype)} (${code(`${base.property}: "${value}"`)})`).join(", ")}.` : "";
      rows.push(`| ${code(name)} | ${firstSentence(schema.description)}${note} |`);
    }
    return [...rows, "", ...enums].join("\n");
  },
  /** What the bundled document holds. */
  document(doc) {
    const ops = operations(doc).map((op) => `${code(`${op.method.toUpperCase()} ${op.pathKey}`)} (${code(op.name)})`);
    const callbacks = callbackOperations(doc).map((op) => `${code(op.callback?.name)} of ${code(op.callback?.owner)}`);
    const schemas = Object.keys(doc.components?.schemas ?? {});
    return [
      `- Operations: ${ops.join(", ")}.`,
      ...(callbacks.length > 0 ? [`- Callbacks: ${callbacks.join(", ")}.`] : []),
      `- Schemas (${schemas.length}): ${schemas.map(code).join(", ")}.`,
    ].join("\n");
  },
};

const START = /^<!-- generated:([\w-]+) -->$/;

/** `markdown` with every generated section re-rendered from `doc`. */
export function renderSections(markdown: string, doc: any, spec: Spec, file: string): string {
  const lines = markdown.split("\n");
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    out.push(line);
    const name = START.exec(line.trim())?.[1];
    if (name === undefined) continue;
    const render = SECTIONS[name];
    if (!render) throw new Error(`${file}:${i + 1}: unknown generated section "${name}" (known: ${Object.keys(SECTIONS).join(", ")})`);
    const end = lines.findIndex((candidate, index) => index > i && candidate.trim() === `<!-- /generated:${name} -->`);
    if (end === -1) throw new Error(`${file}:${i + 1}: generated section "${name}" has no end marker <!-- /generated:${name} -->`);
    out.push(header(spec, "<!--", config.name).trimEnd(), "", render(doc), "", lines[end]!);
    i = end;
  }
  return out.join("\n");
}

export async function generate(spec: Spec): Promise<StageOutput> {
  const files: Files = new Map();
  for (const file of config.outputs.files!) {
    files.set(file, renderSections(await readFile(path.join(ROOT, file), "utf8"), spec.doc, spec, file));
  }
  return { files, summary: `generated sections of ${config.outputs.files!.join(", ")}` };
}
