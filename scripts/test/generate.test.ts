/**
 * `pnpm generate`, `pnpm check:generated` and `pnpm generate --watch`, run in a sandbox copy of
 * the repository so that they can break the spec and the generated folders freely.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listFiles } from "../lib/generate/output.ts";
import { OUTPUT_ROOTS } from "../lib/generate/stages.ts";
import { createSandbox, type Sandbox } from "../lib/sandbox.ts";

let sandbox: Sandbox;
const generatedFiles = async () =>
  Object.fromEntries(
    await Promise.all(
      (await Promise.all(Object.values(OUTPUT_ROOTS).map((root) => listFiles(path.join(sandbox.root, root), sandbox.root))))
        .flat()
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
  it("changes no byte when run again", async () => {
    const before = await generatedFiles();
    const result = await sandbox.script("generate", ["--no-build"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/write\s+[\d.]+ s {2}10 files, all up to date/);
    for (const stage of ["lint", "bundle", "types", "stubs", "validators", "write"]) {
      expect(result.stdout).toMatch(new RegExp(`^ {2}${stage}\\s+\\d+\\.\\d\\d s {2}\\S`, "m"));
    }
    expect(await generatedFiles()).toEqual(before);
  });

  it("changes exactly the lines a description edit affects", async () => {
    const before = await generatedFiles();
    const original = await readFile(specFile(), "utf8");
    const edited = original.replace(
      "description: The Acs room id. (Not supported for Start Recording)",
      "description: The ACS room id, not supported for start-recording.",
    );
    expect(edited).not.toBe(original);
    await writeFile(specFile(), edited);
    try {
      const result = await sandbox.script("generate", ["--no-build"]);
      expect(result.code, result.stderr).toBe(0);
      const after = await generatedFiles();
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
        expect(differing[0], file).toContain("The ACS room id, not supported for start-recording.");
      }
    } finally {
      await writeFile(specFile(), original);
      await sandbox.script("generate", ["--no-build"]);
    }
  });

  it("stops at a lint error with the rule's message and writes nothing", async () => {
    const before = await generatedFiles();
    const original = await readFile(specFile(), "utf8");
    // Renaming a schema's property both breaks camelCase and would change every output.
    await writeFile(specFile(), original.replace("        roomId:\n", "        room_id:\n"));
    try {
      const result = await sandbox.script("generate", ["--no-build"]);
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
    expect(clean.stdout).toMatch(/check:generated: 10 generated files are up to date/);

    const types = path.join(sandbox.root, OUTPUT_ROOTS.types, "openapi.gen.ts");
    const yaml = path.join(sandbox.root, OUTPUT_ROOTS.spec, "openapi.yaml");
    const extra = path.join(sandbox.root, OUTPUT_ROOTS.stubs, "handwritten.ts");
    const [typesText, yamlText] = await Promise.all([readFile(types, "utf8"), readFile(yaml, "utf8")]);
    await writeFile(types, typesText.replace("callbackUri: string;", "callbackUri: string | number;"));
    await writeFile(extra, "export {};\n");
    await writeFile(yaml, "");
    const { rm } = await import("node:fs/promises");
    await rm(path.join(sandbox.root, OUTPUT_ROOTS.validators, "validators.gen.d.ts"));
    try {
      const stale = await sandbox.script("check-generated");
      expect(stale.code).toBe(1);
      expect(stale.stderr).toContain("check:generated: the committed generated files are stale. Run `pnpm generate` and commit the result.");
      expect(stale.stderr).toContain("packages/types/src/generated/openapi.gen.ts differs from the spec");
      expect(stale.stderr).toContain("packages/spec/src/generated/openapi.yaml differs from the spec");
      expect(stale.stderr).toContain("packages/server/src/generated/validators/validators.gen.d.ts is missing");
      expect(stale.stderr).toContain("packages/server/src/generated/stubs/handwritten.ts is not generated any more");
    } finally {
      const regenerated = await sandbox.script("generate", ["--no-build"]);
      expect(regenerated.code, regenerated.stderr).toBe(0);
      expect(regenerated.stdout).toContain("2 changed, 1 added, 1 removed of 10 files");
    }
  });
});

describe("pnpm generate --watch", () => {
  it("regenerates when the spec is saved and reports it", async () => {
    const child = sandbox.start("generate", ["--watch", "--no-build"]);
    let output = "";
    const listeners = new Set<() => void>();
    const collect = (chunk: Buffer) => {
      output += chunk;
      for (const listener of listeners) listener();
    };
    child.stdout!.on("data", collect);
    child.stderr!.on("data", collect);
    const waitFor = (pattern: RegExp, ms: number) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!pattern.test(output)) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${pattern}; output:\n${output}`));
        }, ms);
        listeners.add(check);
        check();
      });
    const original = await readFile(specFile(), "utf8");
    try {
      await waitFor(/watch: watching spec, \.spectral\.yaml, generators\/server-stubs/, 30_000);
      await writeFile(specFile(), original.replace("description: The call locator kind.\n      enum:", "description: The kind of call locator.\n      enum:"));
      await waitFor(/spec\/openapi\.yaml changed[\s\S]*watch: regenerated in [\d.]+ s/, 30_000);
      // A schema's description reaches both documents, its type's JSDoc and its named export's.
      expect(output).toMatch(/write\s+[\d.]+ s {2}4 changed of 10 files/);
      const schemas = await readFile(path.join(sandbox.root, OUTPUT_ROOTS.types, "schemas.gen.ts"), "utf8");
      expect(schemas).toContain("The kind of call locator.");
    } finally {
      child.kill("SIGTERM");
      await writeFile(specFile(), original);
    }
  });
});
