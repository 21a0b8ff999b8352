/**
 * Runs OpenAPI Generator 5.0.0-beta2 offline.
 *
 * The JAR comes from an npm package (generators/stubs/openapi-generator.json) and is checked against
 * its pinned SHA-256 before every run. The pipeline starts it with `java -jar` rather than
 * through the 2.x wrapper: the wrapper starts extra JVMs before `generate` and costs about
 * 0.5 s more per run; a test proves both give byte-identical output. A dynamic AppCDS archive,
 * made on first use, roughly halves the JVM's start-up.
 */
import { execFile } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rename, rm, symlink } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { ROOT } from "../../tools/paths.ts";

const run = promisify(execFile);
const require = createRequire(import.meta.url);

interface GeneratorPin {
  version: string;
  package: string;
  jar: string;
  sha256: string;
}

export const GENERATOR_PIN: GeneratorPin = JSON.parse(
  await readFile(path.join(ROOT, "generators/stubs/openapi-generator.json"), "utf8"),
);

/** Absolute path of the pinned JAR inside node_modules. */
export function jarPath(): string {
  return path.join(path.dirname(require.resolve(`${GENERATOR_PIN.package}/package.json`, { paths: [ROOT] })), GENERATOR_PIN.jar);
}

let verified: Promise<string> | undefined;

/** Resolves the JAR and checks its SHA-256 (once per process). */
export function verifiedJar(): Promise<string> {
  verified ??= (async () => {
    const jar = jarPath();
    const digest = createHash("sha256").update(await readFile(jar)).digest("hex");
    if (digest !== GENERATOR_PIN.sha256) {
      throw new Error(
        `${jar} has SHA-256 ${digest}, expected ${GENERATOR_PIN.sha256} (generators/stubs/openapi-generator.json). ` +
          "Reinstall with `pnpm install --frozen-lockfile`; if the pin changed on purpose, update the hash.",
      );
    }
    return jar;
  })();
  verified.catch(() => (verified = undefined));
  return verified;
}

const CACHE_DIR = path.join(ROOT, "node_modules/.cache/acs-connect");

/** JVM flags for a short-lived, start-up-bound run. */
async function jvmFlags(): Promise<string[]> {
  const flags = ["-XX:TieredStopAtLevel=1", "-Xlog:cds=off", "-Xlog:cds+dynamic=off"];
  if (process.env.ACS_CONNECT_NO_CDS === "1") return flags;
  const archive = path.join(CACHE_DIR, `openapi-generator-${GENERATOR_PIN.sha256.slice(0, 12)}.jsa`);
  if (existsSync(archive)) return [...flags, `-XX:SharedArchiveFile=${archive}`];
  // Dump to a unique name and rename, so concurrent first runs cannot leave a torn archive.
  await mkdir(CACHE_DIR, { recursive: true });
  const partial = `${archive}.${randomUUID()}.tmp`;
  pendingArchives.set(partial, archive);
  return [...flags, `-XX:ArchiveClassesAtExit=${partial}`];
}

const pendingArchives = new Map<string, string>();

async function settleArchives(flags: string[]): Promise<void> {
  for (const flag of flags) {
    const partial = flag.startsWith("-XX:ArchiveClassesAtExit=") ? flag.slice("-XX:ArchiveClassesAtExit=".length) : undefined;
    const archive = partial ? pendingArchives.get(partial) : undefined;
    if (!partial || !archive) continue;
    pendingArchives.delete(partial);
    if (existsSync(partial)) await rename(partial, archive).catch(() => rm(partial, { force: true }));
  }
}

export interface GeneratorRun {
  /** Files rendered from the templates, by path relative to the output folder. */
  files: Map<string, string>;
  /** Wall time of the JVM, in milliseconds. */
  jvmMs: number;
}

/**
 * Generates with the given config and template folder into a temporary folder and returns only
 * the files the templates rendered (the ones listed in `.openapi-generator/FILES`), never the
 * generator's metadata.
 */
export async function runOpenApiGenerator(options: {
  spec: string;
  config: string;
  templates: string;
  additionalProperties?: Record<string, string>;
}): Promise<GeneratorRun> {
  const jar = await verifiedJar();
  const out = await mkdtemp(path.join(os.tmpdir(), "acs-connect-stubs-"));
  const flags = await jvmFlags();
  const properties = Object.entries(options.additionalProperties ?? {}).map(([key, value]) => `${key}=${value}`);
  const args = [
    ...flags,
    "-jar",
    jar,
    "generate",
    "-c",
    options.config,
    "-t",
    options.templates,
    "-i",
    options.spec,
    "-o",
    out,
    ...(properties.length > 0 ? ["--additional-properties", properties.join(",")] : []),
  ];
  const started = performance.now();
  try {
    await run("java", args, { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stdout?: string; stderr?: string; code?: unknown };
    if (failure.code === "ENOENT") throw new Error("Java 17 is required to generate the server stubs, and `java` is not on PATH.");
    const output = `${failure.stdout ?? ""}${failure.stderr ?? ""}`.trim();
    throw new Error(`OpenAPI Generator failed:\n${output}`);
  } finally {
    await settleArchives(flags);
  }
  const jvmMs = performance.now() - started;
  try {
    const listed = (await readFile(path.join(out, ".openapi-generator/FILES"), "utf8")).split("\n").filter(Boolean);
    const files = new Map<string, string>();
    for (const file of listed.sort()) files.set(file, await readFile(path.join(out, file), "utf8"));
    return { files, jvmMs };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

/** The 2.x wrapper's configuration: pins the generator version and where its JAR is stored. */
export const WRAPPER_CONFIG = path.join(ROOT, "generators/stubs/openapitools.json");

/**
 * Puts the pinned JAR where the 2.x wrapper looks for it (`<storageDir>/<version>.jar`), so
 * that the wrapper never tries to download it from Maven Central.
 */
export async function ensureWrapperStorage(): Promise<void> {
  const config = JSON.parse(await readFile(WRAPPER_CONFIG, "utf8"));
  const storage = path.resolve(ROOT, config["generator-cli"].storageDir);
  const target = path.join(storage, `${config["generator-cli"].version}.jar`);
  if (config["generator-cli"].version !== GENERATOR_PIN.version) {
    throw new Error(`${WRAPPER_CONFIG} pins ${config["generator-cli"].version}, generators/stubs/openapi-generator.json ${GENERATOR_PIN.version}`);
  }
  await mkdir(storage, { recursive: true });
  if (!existsSync(target)) await symlink(await verifiedJar(), target);
}
