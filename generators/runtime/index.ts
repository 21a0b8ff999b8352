/**
 * Writes core/src/runtime.ts into the packages as `runtime.gen.ts`. The module must stay
 * self-contained (no imports): a published package cannot reach the repository's core.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { ROOT } from "../../tools/paths.ts";
import { header, type Files, type Spec, type StageOutput } from "../lib/spec.ts";
import { config, SOURCE } from "./config.ts";

export async function generate(spec: Spec): Promise<StageOutput> {
  const source = await readFile(path.join(ROOT, SOURCE), "utf8");
  if (/^\s*(import|export\s+[^;]*\sfrom)\s/m.test(source)) {
    throw new Error(`${SOURCE} must not import anything: it is copied into published packages that cannot reach the rest of core/.`);
  }
  const files: Files = new Map(config.outputs.folders!.map((folder) => [`${folder}/runtime.gen.ts`, `${header(spec, "//", config.name)}\n${source}`]));
  return { files, summary: `${SOURCE} -> ${config.outputs.folders!.map((folder) => folder.split("/")[1]).join(", ")}` };
}
