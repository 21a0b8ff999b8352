/**
 * The promise to an API team, checked: a contract change is an edit of spec/openapi.yaml and
 * nothing else. In a sandbox copy of the repository, the spec alone is edited the ways an API
 * team edits it; then `pnpm generate`, `pnpm spec:diff --changeset` and what `pnpm test` runs
 * apart from the integration and e2e projects (check:generated, the changeset check and the unit
 * project, whose typecheck covers the whole tree) must pass, with every other file exactly as
 * committed apart from what the tools regenerate.
 *
 * The four edits are applied together, in one sandbox: one regeneration and one test run check
 * them all, and each edit names a marker that must reach the regenerated files, so that an edit
 * which silently does nothing is caught.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseDocument } from "yaml";
import { enumOf, operations, componentName, deref } from "../core/src/index.ts";
import { OUTPUT_FILES, OUTPUT_FOLDERS } from "../generators/pipeline/generators.ts";
import { listFiles } from "../generators/pipeline/output.ts";
import { run } from "./packages/process.ts";
import { createSandbox, nodeScript } from "./sandbox.ts";
import { ROOT } from "./paths.ts";

export interface ContractEdit {
  name: string;
  /** Text the edit puts in the spec that must reach the bundled document and the generated types. */
  marker: string;
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
    marker: "valueAddedByTheCheck",
    apply(document, doc) {
      const name = Object.keys(doc.components.schemas).find((key) => enumOf(doc.components.schemas[key])?.extensible);
      if (!name) throw new Error("the spec has no extensible enum");
      document.addIn(["components", "schemas", name, "enum"], "valueAddedByTheCheck");
      document.addIn(["components", "schemas", name, "x-ms-enum", "values"], { value: "valueAddedByTheCheck", description: "A value added by the contract-edit check." });
    },
  },
  {
    name: "an optional property added to the request",
    marker: "noteAddedByTheCheck",
    apply(document, doc) {
      document.setIn(["components", "schemas", requestSchema(doc), "properties", "noteAddedByTheCheck"], { type: "string", description: "A property added by the contract-edit check." });
    },
  },
  {
    name: "a description changed",
    marker: "Edited by the contract-edit check.",
    apply(document, doc) {
      const name = requestSchema(doc);
      document.setIn(["components", "schemas", name, "description"], `${doc.components.schemas[name].description ?? ""} Edited by the contract-edit check.`.trim());
    },
  },
  {
    name: "a new schema reached through a new optional property",
    marker: "SchemaAddedByTheCheck",
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
  /** For each edit (by name), the regenerated files that contain its marker. */
  reached: Record<string, string[]>;
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

    // Each command is run as pnpm runs it, without pnpm itself (a pnpm start costs about a second
    // of CPU and adds nothing here): a package.json script's own `node ...` command line with the
    // arguments appended and node_modules/.bin first on PATH; `pnpm exec vitest` as vitest's bin
    // script, which sets the NODE_PATH that resolves the workspace packages from outside them.
    const script = (name: string, args: string[]) => nodeScript(sandbox.root, name, args);
    const bin = path.join(sandbox.root, "node_modules/.bin");
    const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`, CI: "1", FORCE_COLOR: "0" };
    const step = async (command: string, commandLine: [string, string[]] | Promise<[string, string[]]>, timeoutMs: number): Promise<Step> => {
      const [file, args] = await commandLine;
      const started = performance.now();
      const result = await run(file, args, { cwd: sandbox.root, timeoutMs, env });
      return { command, code: result.code ?? 1, output: `${result.stdout}${result.stderr}`.slice(-6000), ms: performance.now() - started };
    };
    // Each group's commands are independent of one another (generate writes the generated
    // folders, dist/ and the API reports; spec:diff --changeset only a .changeset file; the
    // checks only read), so they run side by side; a group starts when the one before passed.
    const groups: Array<Array<[string, [string, string[]] | Promise<[string, string[]]>, number]>> = [
      [
        ["pnpm generate", script("generate", []), 300_000],
        ["pnpm spec:diff --changeset", script("spec:diff", [baseFile, "--changeset"]), 60_000],
      ],
      [
        ["pnpm check:generated", script("check:generated", []), 120_000],
        ["pnpm spec:diff --changeset --check", script("spec:diff", [baseFile, "--changeset", "--check"]), 60_000],
        // In one worker thread: each further thread loads the tests' modules again (measured:
        // about 5 s of CPU each), and this check runs beside the rest of `pnpm test`, which
        // keeps both cores busy anyway.
        ["vitest --project unit", [path.join(bin, "vitest"), ["run", "--project", "unit", "--maxWorkers=1"]], 300_000],
      ],
    ];
    for (const group of groups) {
      const results = await Promise.all(group.map(([command, args, timeoutMs]) => step(command, args, timeoutMs)));
      steps.push(...results);
      if (results.some((result) => result.code !== 0)) break;
    }

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
    const reached: Record<string, string[]> = {};
    const texts = await Promise.all(regenerated.map(async (file) => [file, await readFile(path.join(sandbox.root, file), "utf8")] as const));
    for (const edit of edits) reached[edit.name] = texts.filter(([, text]) => text.includes(edit.marker)).map(([file]) => file);
    return { steps, handEdited, regenerated, reached };
  } finally {
    await sandbox.remove();
  }
}
