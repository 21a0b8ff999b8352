/**
 * The promise to an API team, checked: a contract change is an edit of spec/openapi.yaml and
 * nothing else. In a sandbox copy of the repository, the spec alone is edited the ways an API
 * team edits it; then `pnpm generate`, `pnpm spec:diff --changeset` and the tests that read the
 * contract (typecheck, check:generated, the changeset check and the unit project) must pass,
 * with every other file exactly as committed apart from what the tools regenerate.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseDocument } from "yaml";
import { enumOf, operations, componentName, deref } from "../core/src/index.ts";
import { OUTPUT_FILES, OUTPUT_FOLDERS } from "../generators/pipeline/generators.ts";
import { listFiles } from "../generators/pipeline/output.ts";
import { run } from "./packages/process.ts";
import { createSandbox } from "./sandbox.ts";
import { ROOT } from "./paths.ts";

export interface ContractEdit {
  name: string;
  /** Applies the edit to the spec document (the YAML document model, so the rest of the text is kept). */
  apply(document: ReturnType<typeof parseDocument>, doc: any): void;
}

/** The request body schema of the first operation: where a team adds an optional property. */
function requestSchema(doc: any): string {
  const op = operations(doc)[0]!;
  const name = componentName(deref<any>(doc, op.operation.requestBody)?.content?.["application/json"]?.schema?.$ref);
  if (!name) throw new Error("the first operation has no JSON request body schema to edit");
  return name;
}

/** The four edits of the one-source-of-truth issue, each chosen from the document. */
export const EDITS: readonly ContractEdit[] = [
  {
    name: "a value added to an extensible enum",
    apply(document, doc) {
      const name = Object.keys(doc.components.schemas).find((key) => enumOf(doc.components.schemas[key])?.extensible);
      if (!name) throw new Error("the spec has no extensible enum");
      document.addIn(["components", "schemas", name, "enum"], "valueAddedByTheCheck");
      document.addIn(["components", "schemas", name, "x-ms-enum", "values"], { value: "valueAddedByTheCheck", description: "A value added by the contract-edit check." });
    },
  },
  {
    name: "an optional property added to the request",
    apply(document, doc) {
      document.setIn(["components", "schemas", requestSchema(doc), "properties", "noteAddedByTheCheck"], { type: "string", description: "A property added by the contract-edit check." });
    },
  },
  {
    name: "a description changed",
    apply(document, doc) {
      const name = requestSchema(doc);
      document.setIn(["components", "schemas", name, "description"], `${doc.components.schemas[name].description ?? ""} Edited by the contract-edit check.`.trim());
    },
  },
  {
    name: "a new schema reached through a new optional property",
    apply(document, doc) {
      document.setIn(["components", "schemas", "SchemaAddedByTheCheck"], {
        type: "object",
        description: "A schema added by the contract-edit check.",
        properties: { label: { type: "string", description: "A label." } },
      });
      document.setIn(["components", "schemas", requestSchema(doc), "properties", "objectAddedByTheCheck"], {
        description: "A property of a new schema, added by the contract-edit check.",
        allOf: [{ $ref: "#/components/schemas/SchemaAddedByTheCheck" }],
      });
    },
  },
];

export interface Step {
  command: string;
  code: number;
  output: string;
  ms: number;
}

export interface CheckResult {
  steps: Step[];
  /** Files that differ from the repository other than the spec and what the tools regenerate. */
  handEdited: string[];
  /** Regenerated files that differ from the repository. */
  regenerated: string[];
}

/** Applies `edits` to the spec in a sandbox, regenerates and runs the contract's tests there. */
export async function checkContractEdits(edits: readonly ContractEdit[] = EDITS): Promise<CheckResult> {
  const sandbox = await createSandbox();
  const steps: Step[] = [];
  try {
    const specFile = path.join(sandbox.root, "spec/openapi.yaml");
    const baseFile = path.join(sandbox.root, ".tmp-base-openapi.yaml");
    const original = await readFile(specFile, "utf8");
    await writeFile(baseFile, original);
    const document = parseDocument(original);
    for (const edit of edits) edit.apply(document, document.toJS());
    await writeFile(specFile, document.toString({ lineWidth: 0 }));

    const step = async (command: string, args: string[], timeoutMs: number) => {
      const started = performance.now();
      const result = await run("pnpm", args, { cwd: sandbox.root, timeoutMs, env: { ...process.env, CI: "1", FORCE_COLOR: "0" } });
      steps.push({ command, code: result.code ?? 1, output: `${result.stdout}${result.stderr}`.slice(-6000), ms: performance.now() - started });
      return result.code === 0;
    };
    (await step("pnpm generate", ["generate"], 300_000)) &&
      (await step("pnpm spec:diff --changeset", ["spec:diff", baseFile, "--changeset"], 60_000)) &&
      (await step("pnpm typecheck", ["typecheck"], 300_000)) &&
      (await step("pnpm check:generated", ["check:generated"], 120_000)) &&
      (await step("pnpm spec:diff --changeset --check", ["spec:diff", baseFile, "--changeset", "--check"], 60_000)) &&
      (await step("vitest --project unit", ["exec", "vitest", "run", "--project", "unit"], 300_000));

    // What differs from the repository: the spec, the regenerated files, a changeset, or a hand edit.
    const regeneratedOutputs = new Set([...(await Promise.all(OUTPUT_FOLDERS.map((folder) => listFiles(path.join(sandbox.root, folder), sandbox.root)))).flat(), ...OUTPUT_FILES]);
    const handEdited: string[] = [];
    const regenerated: string[] = [];
    const tracked = (await run("git", ["ls-files"], { cwd: ROOT })).stdout.split("\n").filter(Boolean);
    for (const file of tracked) {
      const [ours, theirs] = await Promise.all([readFile(path.join(ROOT, file), "utf8").catch(() => undefined), readFile(path.join(sandbox.root, file), "utf8").catch(() => undefined)]);
      if (ours === theirs || file === "spec/openapi.yaml") continue;
      if (regeneratedOutputs.has(file) || /^packages\/[^/]+\/review\/[^/]+\.api\.md$/.test(file)) regenerated.push(file);
      else handEdited.push(file);
    }
    return { steps, handEdited, regenerated };
  } finally {
    await sandbox.remove();
  }
}
