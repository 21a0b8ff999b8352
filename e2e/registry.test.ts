/**
 * The release path end to end, against a private registry on 127.0.0.1 (Verdaccio, no uplinks):
 * `changeset version` and `pnpm release` in a sandbox copy of the repository, then a consumer in
 * a fresh folder outside the workspace installs the packages with plain npm, type-checks against
 * them with tsc, starts the installed `acs-connect-server` and calls it with the installed client.
 * Nothing here reads ~/.npmrc or talks to any registry but the local one.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { audioFormatValues } from "@acs-connect/types";
import { ROOT, TYPE_CHECKER } from "../tools/paths.ts";
import { exportTargets } from "../tools/packages/checks.ts";
import { formatOutput, run, runOk, stopChild, waitFor, type RunResult } from "../tools/packages/process.ts";
import { createPackageSandbox, type PackageSandbox } from "../tools/packages/sandbox.ts";
import { nodeScript } from "../tools/sandbox.ts";
import { publishedPackages, type Manifest } from "../tools/packages/workspace.ts";
import { CJS_CONSUMER, ESM_CONSUMER, TSCONFIG } from "./lib/consumer.ts";
import { dependencyClosure, publishInstalled } from "./lib/third-party.ts";
import { startVerdaccio, type Registry } from "./lib/verdaccio.ts";

const TSC = path.join(ROOT, "node_modules/typescript/bin/tsc");
/**
 * Each step may take this long. The release step is the longest: measured at 94 s alone and
 * 140 s within a full `pnpm test`, on 2 cores that other work was loading too.
 */
const STEP_TIMEOUT = 450_000;

let work: string;
let sandbox: PackageSandbox | undefined;
let registry: Registry | undefined;
let consumer: string;
let server: ChildProcess | undefined;
let names: string[];
let version: string;

/** The version one minor bump after the current one (0.0.0 -> 0.1.0), as changesets computes it. */
function nextMinor(current: string): string {
  const [major, minor] = current.split(".").map(Number);
  return `${major}.${(minor ?? 0) + 1}.0`;
}

/**
 * The steps build on each other; once one fails, the later ones fail at once naming it, rather
 * than each reporting a confusing consequence.
 */
let failedStep: string | undefined;
function step(name: string, body: () => Promise<void>): void {
  it(
    name,
    async () => {
      if (failedStep) throw new Error(`not run: the earlier step "${failedStep}" failed`);
      try {
        await body();
      } catch (error) {
        failedStep = name;
        throw error;
      }
    },
    STEP_TIMEOUT,
  );
}

function expectSuccess(result: RunResult, what: string): void {
  expect(result.code, `${what} failed:\n${formatOutput(result)}`).toBe(0);
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), "acs-connect-e2e-"));
  consumer = path.join(work, "consumer");
  const packages = await publishedPackages();
  names = packages.map((pkg) => pkg.name);
  version = nextMinor(packages[0]!.manifest.version);
  [sandbox, registry] = await Promise.all([createPackageSandbox({ pageFrom: inject("prebuiltPackages") }), startVerdaccio(path.join(work, "registry"))]);
}, 60_000);

afterAll(async () => {
  if (server) await stopChild(server);
  await registry?.stop();
  // ACS_CONNECT_E2E_KEEP=1 keeps the sandbox, registry and consumer folders for a post-mortem.
  if (process.env.ACS_CONNECT_E2E_KEEP === "1") {
    console.log(`e2e: kept ${work} and ${sandbox?.root}`);
    return;
  }
  await sandbox?.remove();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("publishing to a private registry and installing with npm", () => {
  step("changeset version bumps all four packages to one version and writes their CHANGELOGs; release waits for it", async () => {
    const root = sandbox!.root;
    const examplesBefore = await readFile(path.join(root, "examples/package.json"), "utf8");
    // The repository's own pending changesets (if any) are not this test's business.
    for (const file of await readdir(path.join(root, ".changeset"))) {
      if (file.endsWith(".md") && file !== "README.md") await rm(path.join(root, ".changeset", file));
    }
    // One package named: the fixed group must carry the others along.
    await writeFile(path.join(root, ".changeset/e2e-release.md"), '---\n"@acs-connect/types": minor\n---\n\nEnd-to-end test release.\n');
    // Releasing before the changeset is applied would publish the old versions: refused.
    const early = await run(...(await nodeScript(root, "release", ["--publish-only", "--dry-run"])), { cwd: root, env: registry!.env, timeoutMs: 60_000 });
    expect(early.code, formatOutput(early)).toBe(1);
    expect(early.stderr).toContain("1 changeset(s) not yet applied (.changeset/e2e-release.md). Run `pnpm changeset version`");
    expectSuccess(await run(process.execPath, [path.join(ROOT, "node_modules/@changesets/cli/bin.js"), "version"], { cwd: root, timeoutMs: 60_000 }), "changeset version");

    for (const pkg of await sandbox!.packages()) {
      expect(pkg.manifest.version, pkg.name).toBe(version);
      const changelog = await readFile(path.join(pkg.folder, "CHANGELOG.md"), "utf8");
      expect(changelog, pkg.name).toContain(`# ${pkg.name}\n\n## ${version}\n`);
    }
    expect(await readFile(path.join(root, "packages/types/CHANGELOG.md"), "utf8")).toContain("End-to-end test release.");
    expect(existsSync(path.join(root, ".changeset/e2e-release.md"))).toBe(false);
    // The private examples package is neither versioned nor given a CHANGELOG.
    expect(await readFile(path.join(root, "examples/package.json"), "utf8")).toBe(examplesBefore);
    expect(existsSync(path.join(root, "examples/CHANGELOG.md"))).toBe(false);
  });

  step("pnpm release publishes every package, with real versions for workspace ranges", async () => {
    const root = sandbox!.root;
    const env = registry!.env;
    // Built here rather than copied from the e2e setup's build: the client embeds its version,
    // which `changeset version` just changed. The reference page (from the spec, which the
    // version bump leaves alone) is the setup's, when it embeds the same document.
    await sandbox!.build();
    // No uplinks: the third-party runtime dependencies (and the consumer's @types/node) go first.
    const packages = await sandbox!.packages();
    const closure = [
      ...(await Promise.all(packages.map((pkg) => dependencyClosure(Object.keys(pkg.manifest.dependencies ?? {}), pkg.folder)))).flat(),
      ...(await dependencyClosure(["@types/node"], ROOT)),
    ];
    const unique = [...new Map(closure.map((pkg) => [`${pkg.name}@${pkg.version}`, pkg])).values()];
    expect(unique.map((pkg) => pkg.name)).toEqual(expect.arrayContaining(["openapi-fetch", "openapi-typescript-helpers", "@types/node"]));
    await mkdir(path.join(work, "third-party"));
    await publishInstalled(unique, path.join(work, "third-party"), registry!);

    // As package.json's `pnpm release` runs it, without pnpm.
    const release = async (args: string[]) => run(...(await nodeScript(root, "release", ["--publish-only", "--no-git-tag", ...args])), { cwd: root, env, timeoutMs: 120_000 });

    const dryRun = await release(["--dry-run"]);
    expectSuccess(dryRun, "pnpm release --dry-run");
    expect(dryRun.stdout).toContain(`release: registry ${registry!.url}`);
    for (const name of names) expect(dryRun.stdout).toContain(`  ${name}@${version}  new`);
    expect(await registry!.versions("@acs-connect/client"), "the dry run published something").toEqual([]);

    const published = await release([]);
    expectSuccess(published, "pnpm release");
    expect(published.stdout).toContain(`release: published to ${registry!.url}`);
    for (const name of names) {
      expect(published.stdout).toContain(`\n  ${name}@${version}`);
      expect(await registry!.versions(name), name).toEqual([version]);
    }

    // Publishing again finds nothing new and publishes nothing.
    const again = await release([]);
    expectSuccess(again, "pnpm release (again)");
    expect(again.stdout).toContain("release: nothing to publish.");
  });

  step("plain npm installs them in a fresh folder outside the workspace", async () => {
    const env = registry!.env;
    await mkdir(consumer);
    expect(path.relative(ROOT, consumer).startsWith("..")).toBe(true);
    // What `npm init -y` and `npm pkg set type=module` write, without two more npm starts.
    await writeFile(path.join(consumer, "package.json"), `${JSON.stringify({ name: "consumer", version: "1.0.0", private: true, type: "module" }, null, 2)}\n`);
    const nodeTypes = (await dependencyClosure(["@types/node"], ROOT))[0]!;
    await runOk("npm", ["install", ...names, `@types/node@${nodeTypes.version}`], { cwd: consumer, env, timeoutMs: 120_000 });

    for (const name of names) {
      const folder = path.join(consumer, "node_modules", name);
      const manifest = JSON.parse(await readFile(path.join(folder, "package.json"), "utf8")) as Manifest;
      expect(manifest.version, name).toBe(version);
      // Every file the exports map names was installed.
      for (const target of exportTargets(manifest.exports)) expect(existsSync(path.join(folder, target)), `${name}: ${target}`).toBe(true);
      for (const [dependency, range] of Object.entries(manifest.dependencies ?? {})) {
        expect(range, `${name} -> ${dependency}`).not.toMatch(/^workspace:/);
        if (dependency.startsWith("@acs-connect/")) expect(range, `${name} -> ${dependency}`).toBe(version);
      }
    }
    // Every package in the lockfile came from the local registry.
    const lock = JSON.parse(await readFile(path.join(consumer, "package-lock.json"), "utf8")) as { packages: Record<string, { resolved?: string }> };
    const sources = Object.entries(lock.packages).filter(([key]) => key !== "");
    expect(sources.length).toBeGreaterThanOrEqual(names.length + 3);
    for (const [key, { resolved }] of sources) expect(resolved, key).toMatch(new RegExp(`^${registry!.url.replace(/[.]/g, "\\.")}`));
  });

  step("tsc type-checks an ESM and a CommonJS consumer against the installed declarations", async () => {
    await writeFile(path.join(consumer, "consumer.ts"), ESM_CONSUMER);
    await writeFile(path.join(consumer, "consumer.cts"), CJS_CONSUMER);
    await writeFile(path.join(consumer, "tsconfig.json"), TSCONFIG);
    // TypeScript 5.9, the compiler most consumers have, compiles both against the declarations
    // (--skipLibCheck: the consumers' code is checked against them, not their insides).
    expectSuccess(await run(process.execPath, [TSC, "-p", ".", "--skipLibCheck"], { cwd: consumer, timeoutMs: 120_000 }), "tsc -p . --skipLibCheck in the consumer");
    expect(existsSync(path.join(consumer, "out/consumer.js"))).toBe(true);
    expect(existsSync(path.join(consumer, "out/consumer.cjs"))).toBe(true);
    // The declarations themselves, every .d.ts the consumer loads, fully checked (TSCONFIG has
    // skipLibCheck off) by the repository's type checker, TypeScript 7: a tenth of the CPU time,
    // most of which went on checking @types/node.
    expectSuccess(await run(process.execPath, [TYPE_CHECKER, "-p", ".", "--noEmit"], { cwd: consumer, timeoutMs: 120_000 }), "TypeScript 7's tsc -p . --noEmit in the consumer");

    // The check can fail: a wrong argument type is an error against the installed declarations.
    await writeFile(path.join(consumer, "consumer.ts"), `${ESM_CONSUMER}\nawait client.connect({ callbackUri: 42 });\n`);
    const broken = await run(process.execPath, [TSC, "-p", ".", "--noEmit", "--skipLibCheck"], { cwd: consumer, timeoutMs: 120_000 });
    await writeFile(path.join(consumer, "consumer.ts"), ESM_CONSUMER);
    expect(broken.code).not.toBe(0);
    expect(broken.stdout).toMatch(/consumer\.ts\(\d+,\d+\): error TS2\d+/);
  });

  step("the installed acs-connect-server answers the installed client and stops cleanly on SIGTERM", async () => {
    const bin = path.join(consumer, "node_modules/.bin/acs-connect-server");
    const child = spawn(bin, ["--port", "0"], { cwd: consumer, env: registry!.env, stdio: ["ignore", "pipe", "pipe"] });
    server = child;
    let output = "";
    child.once("error", (error) => (output += `could not start ${bin}: ${error.message}\n`));
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    const connectionString = await waitFor(
      "acs-connect-server did not print its connection string",
      () => /connection string: (endpoint=http:\/\/127\.0\.0\.1:\d+\/;accesskey=\S+)/.exec(output)?.[1],
      { child, timeoutMs: 20_000, output: () => output },
    );
    const env = { ...registry!.env, ACS_CONNECTION_STRING: connectionString };

    const esm = await run(process.execPath, ["out/consumer.js"], { cwd: consumer, env, timeoutMs: 30_000 });
    expectSuccess(esm, `node out/consumer.js (server output:\n${output})`);
    const result = JSON.parse(esm.stdout) as {
      apiVersion: string;
      openapi: string;
      paths: string[];
      audioFormatValues: string[];
      call: { callConnectionId: string; callConnectionState: string; callbackUri: string; serverCallId: string };
      unauthorized?: { status: number; code: string };
    };
    expect(result.apiVersion).toBe("2025-05-15");
    expect(result.openapi).toBe("3.0.3");
    expect(result.paths).toEqual(["/calling/callConnections:connect"]);
    expect(result.audioFormatValues).toEqual([...audioFormatValues]);
    expect(result.call.callConnectionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.call.callConnectionState).toBe("connecting");
    expect(result.call.callbackUri).toBe("https://app.example/callback");
    expect(result.unauthorized?.status).toBe(401);

    const cjs = await run(process.execPath, ["out/consumer.cjs"], { cwd: consumer, env, timeoutMs: 30_000 });
    expectSuccess(cjs, `node out/consumer.cjs (server output:\n${output})`);
    const viaRequire = JSON.parse(cjs.stdout) as { call: { serverCallId: string }; openapi: string; apiVersion: string; yaml: string; mockConnect: string };
    expect(viaRequire.call.serverCallId).toBe("aHR0cHM6Ly9leGFtcGxlLmNvbS9jYWxs");
    expect(viaRequire.openapi).toBe("3.0.3");
    expect(viaRequire.apiVersion).toBe("2025-05-15");
    expect(viaRequire.mockConnect).toBe("function");
    expect(viaRequire.yaml).toBe(path.join(consumer, "node_modules/@acs-connect/spec/src/generated/openapi.yaml"));

    // Its request log shows the three calls: two accepted, one refused.
    expect(output.match(/ POST \S*callConnections:connect\S* 200 /g) ?? [], output).toHaveLength(2);
    expect(output.match(/ POST \S*callConnections:connect\S* 401 /g) ?? [], output).toHaveLength(1);

    const code = await stopChild(child);
    server = undefined;
    expect(code, output).toBe(0);
    expect(output).toContain("acs-connect-server: stopped");
  });
});
