/**
 * The bundle: the document, self-contained, as JSON and YAML, plus its api-version as a
 * constant. The spec has no external `$ref`s (the lint gate refuses them), so bundling is
 * serializing with a provenance field.
 */
import { stringify } from "yaml";
import { callbackOperations, operations } from "../../core/src/index.ts";
import { relative } from "../../tools/paths.ts";
import { COMMAND, header, type Files, type Spec, type StageOutput } from "../lib/spec.ts";
import { config } from "./config.ts";

export function generate(spec: Spec, root = config.outputs.folders![0]!): StageOutput {
  const bundled = { ...spec.doc, "x-generated-by": `${COMMAND} from ${relative(spec.file)} with generators/${config.name}; do not edit` };
  const files: Files = new Map([
    [`${root}/openapi.json`, `${JSON.stringify(bundled, null, 2)}\n`],
    [`${root}/openapi.yaml`, `${header(spec, "#", config.name)}${stringify(bundled, { lineWidth: 0 })}`],
    [
      `${root}/api-version.gen.ts`,
      `${header(spec, "//", config.name)}\n/** The api-version this document describes (\`info.version\`). */\nexport const apiVersion = ${JSON.stringify(String(spec.doc.info.version))} as const;\n`,
    ],
  ]);
  const schemas = Object.keys(spec.doc.components?.schemas ?? {}).length;
  const callbacks = callbackOperations(spec.doc).length;
  return {
    files,
    summary: `openapi.json, openapi.yaml (${operations(spec.doc).length} operation(s)${callbacks ? `, ${callbacks} callback(s)` : ""}, ${schemas} schemas)`,
  };
}
