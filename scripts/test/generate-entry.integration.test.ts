/**
 * `pnpm generate` as package.json runs it: scripts/generate.mjs, which runs the pipeline from a
 * cached JavaScript build (generators/pipeline/precompile.mjs) with the lint gate in a worker
 * thread. generate.test.ts runs this entry too, and covers a spec edit regenerated (and the
 * run after it writing nothing, the restored spec regenerated) and a lint error found in the
 * worker thread; this file checks what only the compiled path does on top: that an edit of a
 * source file or a rule is never answered from a stale build or a stale ruleset bundle.
 */
import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, nodeScript, type Sandbox } from "../../tools/sandbox.ts";

let sandbox: Sandbox;
let entry: string[];

beforeAll(async () => {
  sandbox = await createSandbox();
  entry = (await nodeScript(sandbox.root, "generate"))[1];
});
afterAll(async () => {
  await sandbox.remove();
});

/** Runs `pnpm generate --no-build` in the sandbox the way pnpm runs it (without pnpm). */
function generate(env: NodeJS.ProcessEnv = {}): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...entry, "--no-build"], { cwd: sandbox.root, env: { ...process.env, ...env }, timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

/** Replaces `from` (which must occur) in a sandbox file; returns a function that restores the file. */
async function edit(file: string, from: string, to: string): Promise<() => Promise<void>> {
  const full = path.join(sandbox.root, file);
  const original = await readFile(full, "utf8");
  if (!original.includes(from)) throw new Error(`${file} no longer contains ${JSON.stringify(from)}; update this test's edit`);
  await writeFile(full, original.replace(from, to));
  return () => writeFile(full, original);
}

describe("pnpm generate (compiled entry)", () => {
  it("uses the edited source of a generator at once (the compiled build is rebuilt)", async () => {
    // A build of the current sources exists before the edit.
    expect((await generate()).code).toBe(0);
    // A wording no earlier run made, recomputed by every stage: only the edited code can write it.
    const wording = `Do not edit (sandbox ${Date.now()}):`;
    const restore = await edit("generators/lib/spec.ts", "Do not edit:", wording);
    try {
      const result = await generate({ ACS_CONNECT_NO_CACHE: "1" });
      expect(result.code, result.output).toBe(0);
      expect(await readFile(path.join(sandbox.root, "packages/types/src/generated/openapi.gen.ts"), "utf8")).toContain(wording);
    } finally {
      await restore();
    }
    expect((await generate()).code).toBe(0);
  });

  it("sees an edited rule at once (the cached bundle of the ruleset is made again)", async () => {
    const nonce = Date.now();
    // A spec no earlier run linted: the gate runs, and caches the ruleset's bundle for this copy.
    const spec = await edit("spec/openapi.yaml", "description: The callback URI.\n", `description: The callback URI (${nonce}).\n`);
    try {
      const linted = await generate();
      expect(linted.code, linted.output).toBe(0);
      const rule = await edit("spec/rules/namedExamples.ts", "return results;", `return [...results, { message: "Reported by the rule edited in the sandbox (${nonce}).", path: [] }];`);
      try {
        const result = await generate();
        expect(result.code).toBe(1);
        expect(result.output).toContain(`Reported by the rule edited in the sandbox (${nonce}).`);
      } finally {
        await rule();
      }
    } finally {
      await spec();
    }
    const restored = await generate();
    expect(restored.code, restored.output).toBe(0);
  });
});
