/**
 * `pnpm generate`, `pnpm check:generated` and `pnpm generate --watch`, run in a sandbox copy of
 * the repository so that they can break the spec and the generated folders freely. `pnpm
 * generate` is run as package.json runs it (scripts/generate.mjs: the pipeline's cached
 * JavaScript build, the lint gate in a worker thread), so these tests also cover, for the
 * compiled entry, a spec edit regenerated, a run after it writing nothing, the restored spec
 * regenerated and a lint error found in the worker; generate-entry.integration.test.ts covers
 * what only the compiled entry does on top (rebuilt after a source or rule edit).
 */
import { readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { OUTPUT_FILES, OUTPUT_FOLDERS } from "../../generators/pipeline/generators.ts";
import { listFiles } from "../../generators/pipeline/output.ts";
import { createSandbox, type Sandbox } from "../../tools/sandbox.ts";

const ROOTS = { spec: "packages/spec/src/generated", types: "packages/types/src/generated", stubs: "packages/server/src/generated/stubs", validators: "packages/server/src/generated/validators" };

/** The spec's text with the description of the first described property of a component schema replaced, and that description. */
function editPropertyDescription(text: string, description: string): { text: string; path: string[]; before: string } {
  const document = parseDocument(text);
  const schemas = document.toJS().components.schemas as Record<string, any>;
  for (const [name, schema] of Object.entries(schemas)) {
    for (const [property, value] of Object.entries<any>(schema.properties ?? {})) {
      if (typeof value.description !== "string") continue;
      const at = ["components", "schemas", name, "properties", property, "description"];
      document.setIn(at, description);
      return { text: document.toString({ lineWidth: 0 }), path: at, before: value.description };
    }
  }
  throw new Error("the spec has no described property");
}

let sandbox: Sandbox;
const generatedFiles = async () =>
  Object.fromEntries(
    await Promise.all(
      [...(await Promise.all(OUTPUT_FOLDERS.map((root) => listFiles(path.join(sandbox.root, root), sandbox.root)))).flat(), ...OUTPUT_FILES]
        .map(async (file) => [file, await readFile(path.join(sandbox.root, file), "utf8")] as const),
    ),
  );
const specFile = () => path.join(sandbox.root, "spec/openapi.yaml");

beforeAll(async () => {
  sandbox = await createSandbox();
});
afterAll(async () => {
  await sandbox.remove();
});

describe("pnpm generate", () => {
  // One test rather than two (an edit, then a run that must change no byte): the run after the
  // edit is the run again, and finds the state the edited run recorded, not one copied in.
  it("changes exactly the lines a description edit affects, and no byte when run again", async () => {
    const before = await generatedFiles();
    const original = await readFile(specFile(), "utf8");
    // Written back through the YAML document model, so only that description's line differs.
    const edit = editPropertyDescription(original, "Edited by the generate test.");
    await writeFile(specFile(), edit.text);
    let restored = false;
    try {
      const result = await sandbox.script("generate.mjs", ["--no-build"]);
      expect(result.code, result.stderr).toBe(0);
      // The generators that read no description (their config's `reads`) are not run again: no JVM.
      for (const stage of ["stubs", "runtime", "validators"]) expect(result.stdout).toMatch(new RegExp(`^ {2}${stage}\\s+[\\d.]+ s {2}\\(unchanged\\)`, "m"));
      expect(result.stdout).not.toMatch(/JVM/);
      // The types generator renders with placeholders for descriptions: the edit fills them into its last rendering.
      expect(result.stdout).toMatch(/^ {2}types\s+[\d.]+ s {2}.*\(descriptions filled into the last rendering\)$/m);
      const after = await generatedFiles();

      const again = await sandbox.script("generate.mjs", ["--no-build"]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/write\s+[\d.]+ s {2}\d+ files, all up to date/);
      for (const stage of ["lint", "bundle", "types", "stubs", "runtime", "validators", "readme", "write"]) {
        expect(again.stdout).toMatch(new RegExp(`^ {2}${stage}\\s+\\d+\\.\\d\\d s {2}\\S`, "m"));
      }
      expect(await generatedFiles()).toEqual(after);

      const changed = Object.keys(after).filter((file) => after[file] !== before[file]);
      expect(changed.sort()).toEqual([
        "packages/spec/src/generated/openapi.json",
        "packages/spec/src/generated/openapi.yaml",
        "packages/types/src/generated/openapi.gen.ts",
      ]);
      for (const file of changed) {
        const oldLines = before[file]!.split("\n");
        const newLines = after[file]!.split("\n");
        expect(newLines.length, file).toBe(oldLines.length);
        const differing = newLines.filter((line, index) => line !== oldLines[index]);
        expect(differing, file).toHaveLength(1);
        expect(differing[0], file).toContain("Edited by the generate test.");
      }

      // The committed spec back: the committed output back, byte for byte.
      await writeFile(specFile(), original);
      restored = true;
      const back = await sandbox.script("generate.mjs", ["--no-build"]);
      expect(back.code, back.stderr).toBe(0);
      expect(await generatedFiles()).toEqual(before);
    } finally {
      if (!restored) {
        await writeFile(specFile(), original);
        await sandbox.script("generate.mjs", ["--no-build"]);
      }
    }
    // Three runs: measured 11 s to 40 s here, depending on what else shares the CPU.
  }, 180_000);

  it("stops at a lint error with the rule's message and writes nothing", async () => {
    const before = await generatedFiles();
    const original = await readFile(specFile(), "utf8");
    // Renaming a schema's property both breaks camelCase and would change every output.
    await writeFile(specFile(), original.replace("        roomId:\n", "        room_id:\n"));
    try {
      const result = await sandbox.script("generate.mjs", ["--no-build"]);
      expect(result.code).toBe(1);
      expect(result.stdout + result.stderr).toMatch(
        /spec\/openapi\.yaml:\d+:\d+ error acs-property-camel-case Property "room_id" is not camelCase/,
      );
      expect(result.stderr).toContain("generate: stopped by the lint gate; nothing was written.");
      expect(await generatedFiles()).toEqual(before);
    } finally {
      await writeFile(specFile(), original);
    }
  });
});

describe("pnpm check:generated", () => {
  it("passes on the committed output and lists stale, missing and extra files", async () => {
    const clean = await sandbox.script("check-generated");
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stdout).toMatch(/check:generated: \d+ generated files are up to date/);

    const types = path.join(sandbox.root, ROOTS.types, "openapi.gen.ts");
    const yaml = path.join(sandbox.root, ROOTS.spec, "openapi.yaml");
    const extra = path.join(sandbox.root, ROOTS.stubs, "handwritten.ts");
    const [typesText, yamlText] = await Promise.all([readFile(types, "utf8"), readFile(yaml, "utf8")]);
    await writeFile(types, typesText.replace("callbackUri: string;", "callbackUri: string | number;"));
    await writeFile(extra, "export {};\n");
    await writeFile(yaml, "");
    const { rm } = await import("node:fs/promises");
    await rm(path.join(sandbox.root, ROOTS.validators, "validators.gen.d.ts"));
    try {
      const stale = await sandbox.script("check-generated");
      expect(stale.code).toBe(1);
      expect(stale.stderr).toContain("check:generated: the committed generated files are stale. Run `pnpm generate` and commit the result.");
      expect(stale.stderr).toContain("packages/types/src/generated/openapi.gen.ts differs from the spec");
      expect(stale.stderr).toContain("packages/spec/src/generated/openapi.yaml differs from the spec");
      expect(stale.stderr).toContain("packages/server/src/generated/validators/validators.gen.d.ts is missing");
      expect(stale.stderr).toContain("packages/server/src/generated/stubs/handwritten.ts is not generated any more");
    } finally {
      const regenerated = await sandbox.script("generate.mjs", ["--no-build"]);
      expect(regenerated.code, regenerated.stderr).toBe(0);
      expect(regenerated.stdout).toMatch(/2 changed, 1 added, 1 removed of \d+ files/);
    }
  });
});

describe("pnpm generate --watch", () => {
  it("regenerates on every save, three saves by rename in a row included", async () => {
    const child = sandbox.start("generate.mjs", ["--watch", "--no-build"]);
    let output = "";
    const listeners = new Set<() => void>();
    const collect = (chunk: Buffer) => {
      output += chunk;
      for (const listener of listeners) listener();
    };
    child.stdout!.on("data", collect);
    child.stderr!.on("data", collect);
    const count = (pattern: RegExp) => output.match(new RegExp(pattern.source, "g"))?.length ?? 0;
    const waitFor = (condition: () => boolean, what: string, ms: number) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!condition()) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${what}; output:\n${output}`));
        }, ms);
        listeners.add(check);
        check();
      });
    const regenerated = /watch: regenerated in [\d.]+ s/;
    const original = await readFile(specFile(), "utf8");
    try {
      await waitFor(() => /watch: watching spec\/openapi\.yaml/.test(output), "the watcher", 60_000);
      // In place.
      await writeFile(specFile(), editPropertyDescription(original, "Saved in place.").text);
      await waitFor(() => count(regenerated) >= 1, "the first regeneration", 60_000);
      expect(output).toMatch(/write\s+[\d.]+ s {2}\d+ changed of \d+ files/);
      const types = () => readFile(path.join(sandbox.root, ROOTS.types, "openapi.gen.ts"), "utf8");
      expect(await types()).toContain("Saved in place.");
      // By rename, as vim, JetBrains' safe write and `sed -i` save: the watched name gets a new file each time.
      for (const [index, description] of ["First rename.", "Second rename.", "Third rename."].entries()) {
        const temporary = path.join(sandbox.root, "spec", `.openapi.yaml.${index}.swp`);
        await writeFile(temporary, editPropertyDescription(original, description).text);
        await rename(temporary, specFile());
        // The regenerated types carry this save's description: the save was seen and regenerated.
        const deadline = Date.now() + 60_000;
        while (!(await types()).includes(description)) {
          if (Date.now() > deadline) throw new Error(`save ${index + 1} by rename was not regenerated; output:\n${output}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await waitFor(() => count(regenerated) >= index + 2, `regeneration ${index + 2}`, 60_000);
      }
      expect(count(regenerated)).toBeGreaterThanOrEqual(4);
    } finally {
      child.kill("SIGTERM");
      await writeFile(specFile(), original);
    }
    // Measured 16 s to 51 s here, depending on what else shares the CPU.
  }, 240_000);
});
