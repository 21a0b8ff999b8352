/**
 * The pipeline runs the pinned JAR with `java -jar` for speed; this proves that the 2.x
 * `@openapitools/openapi-generator-cli` wrapper, configured by generators/stubs/openapitools.json,
 * renders byte-identical stubs from the same JAR, offline, and that the JAR is the pinned one.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../../tools/paths.ts";
import { GENERATOR_PIN, WRAPPER_CONFIG, ensureWrapperStorage, jarPath, runOpenApiGenerator } from "../stubs/openapi-generator.ts";

const run = promisify(execFile);
const fixture = path.join(import.meta.dirname, "fixtures/widgets.yaml");
const config = path.join(ROOT, "generators/stubs/config.yaml");
const templates = path.join(ROOT, "generators/stubs/templates");
const temporary: string[] = [];

afterAll(async () => {
  await Promise.all(temporary.map((folder) => rm(folder, { recursive: true, force: true })));
});

describe("OpenAPI Generator", () => {
  it("is the pinned JAR", async () => {
    const digest = createHash("sha256").update(await readFile(jarPath())).digest("hex");
    expect(digest).toBe(GENERATOR_PIN.sha256);
  });

  it("renders the same files through the 2.x wrapper as through java -jar", async () => {
    await ensureWrapperStorage();
    const out = await mkdtemp(path.join(os.tmpdir(), "acs-connect-wrapper-"));
    temporary.push(out);
    await run(
      path.join(ROOT, "node_modules/.bin/openapi-generator-cli"),
      ["--openapitools", WRAPPER_CONFIG, "generate", "-c", config, "-t", templates, "-i", fixture, "-o", out],
      // The wrapper starts three JVMs (`help` and `completion` to list the commands, then
      // `generate`), each with JAVA_OPTS: the pipeline's own start-up flag (C1 only) and the
      // serial collector keep their compiler and GC threads from costing seconds of CPU. Neither
      // changes what the generator renders.
      { cwd: ROOT, env: { ...process.env, JAVA_OPTS: "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC" } },
    );
    const direct = await runOpenApiGenerator({ spec: fixture, config, templates });
    const listed = (await readFile(path.join(out, ".openapi-generator/FILES"), "utf8")).split("\n").filter(Boolean).sort();
    expect(listed).toEqual([...direct.files.keys()]);
    expect(listed).toEqual(["apis/AdminApi.ts", "apis/WidgetsApi.ts", "apis/index.ts", "index.ts"]);
    for (const [file, content] of direct.files) {
      expect(await readFile(path.join(out, file), "utf8"), file).toBe(content);
    }
  });
});
