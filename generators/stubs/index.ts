/**
 * The server's typed stub layer, rendered by OpenAPI Generator from config.yaml and templates/
 * (see openapi-generator.ts for how the JAR runs offline). The generator hosts our templates
 * only; the do-not-edit header is added here, in the wording every generated file shares.
 *
 * The JVM reads the part of the spec the config says the stubs depend on (`config.reads`), as
 * JSON in a scratch file, never spec/openapi.yaml itself: that is what lets the pipeline reuse
 * the stubs for edits outside that part.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ROOT } from "../../tools/paths.ts";
import { header, type Files, type Spec, type StageOutput } from "../lib/spec.ts";
import { config } from "./config.ts";
import { runOpenApiGenerator } from "./openapi-generator.ts";

export async function generate(spec: Spec, options: { modelsImport?: string; root?: string } = {}): Promise<StageOutput> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), "acs-connect-stubs-spec-"));
  let run;
  try {
    const input = path.join(scratch, "openapi.json");
    await writeFile(input, JSON.stringify(config.reads!(spec.doc)));
    run = await runOpenApiGenerator({
      spec: input,
      config: path.join(ROOT, "generators/stubs/config.yaml"),
      templates: path.join(ROOT, "generators/stubs/templates"),
      ...(options.modelsImport ? { additionalProperties: { modelsImport: options.modelsImport } } : {}),
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  const root = options.root ?? config.outputs.folders![0]!;
  const files: Files = new Map([...run.files].map(([file, content]) => [`${root}/${file}`, `${header(spec, "//", config.name)}${content}`]));
  return { files, summary: [...run.files.keys()].join(", "), jvmMs: run.jvmMs };
}
