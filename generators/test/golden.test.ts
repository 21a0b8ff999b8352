/**
 * Golden-file tests of the generators: the fixture document in, the committed files under
 * golden/ out, byte for byte. After a deliberate change to a template or generator, run
 * `pnpm test:golden --update` and review the diff of golden/ like any other code change.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { listFiles } from "../../scripts/lib/generate/output.ts";
import { readSpec, stubsStage, typesStage, type Files } from "../../scripts/lib/generate/stages.ts";

const here = import.meta.dirname;
const golden = path.join(here, "golden");
const update = process.env.UPDATE_GOLDEN === "1";

/** Output roots relative to golden/, so the stubs import the golden types (and tsc checks both). */
async function generate(): Promise<Files> {
  const spec = await readSpec(path.join(here, "fixtures/widgets.yaml"));
  const files: Files = new Map();
  const stubs = await stubsStage(spec, { modelsImport: "../../types/schemas.gen.ts", root: "stubs" });
  for (const [file, content] of stubs.files) files.set(file, content);
  for (const [file, content] of (await typesStage(spec)).files) {
    files.set(`types/${path.basename(file)}`, content);
  }
  return files;
}

describe("generator golden files", async () => {
  const files = await generate();

  if (update) {
    it("updates golden/", async () => {
      for (const [file, content] of files) {
        await mkdir(path.dirname(path.join(golden, file)), { recursive: true });
        await writeFile(path.join(golden, file), content);
      }
      expect(files.size).toBeGreaterThan(0);
    });
    return;
  }

  it("writes exactly the committed set of files", async () => {
    expect([...files.keys()].sort()).toEqual(await listFiles(golden, golden));
  });

  for (const [file, content] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    it(`${file} matches golden/${file}`, async () => {
      const target = path.join(golden, file);
      expect(existsSync(target), `golden/${file} is missing; run pnpm test:golden --update`).toBe(true);
      expect(content).toBe(await readFile(target, "utf8"));
    });
  }
});
