/**
 * Golden-file testing shared by every generator: the generator runs over the fixture document
 * (fixtures/widgets.yaml) and each file it writes is compared byte for byte with the committed
 * copy in generators/<name>/golden/. After a deliberate change, `pnpm test:golden --update`
 * rewrites the goldens; review that diff like any other code change.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { expect, it } from "vitest";
import { listFiles } from "../pipeline/output.ts";
import { readSpec, type Files, type Spec } from "../lib/spec.ts";

export const FIXTURE = path.join(import.meta.dirname, "fixtures/widgets.yaml");

export function fixtureSpec(): Promise<Spec> {
  return readSpec(FIXTURE);
}

/** Registers the golden tests of one generator's output, `files` keyed by path relative to `golden`. */
export async function goldenTests(golden: string, files: Files): Promise<void> {
  if (process.env.UPDATE_GOLDEN === "1") {
    it(`updates ${path.basename(path.dirname(golden))}/golden/`, async () => {
      await rm(golden, { recursive: true, force: true });
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
}

/** `files` with their paths made relative to `root` (a generator's output folder). */
export function under(root: string, files: Files): Files {
  return new Map([...files].map(([file, content]) => [path.relative(root, file).split(path.sep).join("/"), content]));
}
