/**
 * The published packages as npm would ship them: built from the current sources in a sandbox,
 * packed with pnpm, then the project's manifest rules, publint, arethetypeswrong and the
 * committed API reports (the same checks `pnpm check:packages` prints). The second half breaks
 * packages on purpose to show that each check fails when it should.
 */
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { gunzipSync } from "node:zlib";
import { create as createTar } from "tar";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CONNECTED, REQUEST, TEST_KEY, connectionString, json, startServer } from "../../packages/client/test/helpers/server.ts";
import { compareReport, describeReportChange, extractApi } from "../../tools/packages/api-report.ts";
import { CHECK_NAMES, checkPackages, problemsOf, type PackageCheck } from "../../tools/packages/check.ts";
import { attwProblems, importedPackages, manifestProblems, publintProblems } from "../../tools/packages/checks.ts";
import { lineDiff } from "../../tools/packages/diff.ts";
import { createPackageSandbox, type PackageSandbox } from "../../tools/packages/sandbox.ts";
import { packPackage, readTar, type PackedPackage } from "../../tools/packages/tarball.ts";
import { publishedPackages, type Manifest } from "../../tools/packages/workspace.ts";

const PUBLISHED = ["@acs-connect/callbacks", "@acs-connect/client", "@acs-connect/server", "@acs-connect/spec", "@acs-connect/types"];
const names = (await publishedPackages()).map((pkg) => pkg.name);

let sandbox: PackageSandbox;
let checks: PackageCheck[];

beforeAll(async () => {
  sandbox = await createPackageSandbox({ prebuilt: inject("prebuiltPackages") });
  await sandbox.build();
  checks = await checkPackages(sandbox);
}, 120_000);

afterAll(async () => {
  await sandbox?.remove();
});

const checkOf = (name: string) => {
  const check = checks.find((candidate) => candidate.pkg.name === name);
  if (!check) throw new Error(`${name} was not checked`);
  return check;
};

it("publishes exactly the four @acs-connect packages (the examples package is private)", () => {
  expect(names).toEqual(PUBLISHED);
  expect(checks.map((check) => check.pkg.name)).toEqual(PUBLISHED);
});

describe.each(names)("%s", (name) => {
  it.each(CHECK_NAMES)("passes the %s check", (checkName) => {
    expect(problemsOf(checkOf(name), checkName), `${name}: ${checkName}`).toEqual([]);
  });

  it("ships an ESM and a CommonJS build, each with its own declarations", () => {
    const { entries } = checkOf(name).packed;
    for (const file of ["dist/index.mjs", "dist/index.cjs", "dist/index.d.mts", "dist/index.d.cts"]) expect(entries.has(file), file).toBe(true);
    expect(entries.get("dist/index.cjs")!.data.toString()).toMatch(/\bexports\.|module\.exports/);
    expect(entries.get("dist/index.mjs")!.data.toString()).toMatch(/^export /m);
  });

  it("has attw resolve its root entry point", () => {
    expect(checkOf(name).attw.entrypoints).toContain(".");
  });
});

it("the server ships its CLI as an executable bin", () => {
  const { packed } = checkOf("@acs-connect/server");
  // A shim outside dist/, so that the bin links before the first build (examples/ depends on it).
  expect(packed.manifest.bin).toEqual({ "acs-connect-server": "./bin/acs-connect-server.mjs" });
  expect(packed.entries.get("bin/acs-connect-server.mjs")!.mode & 0o111).not.toBe(0);
  expect(packed.entries.has("dist/cli.mjs")).toBe(true);
});

it("the client's browser build (the \"browser\" export condition) carries nothing of Node and connects with fetch and Web Crypto", async () => {
  const { packed, pkg } = checkOf("@acs-connect/client");
  const target = (packed.manifest.exports as { ".": { browser: { default: string } } })["."].browser.default;
  const files = [...packed.entries.keys()].filter((file) => file.startsWith("dist/browser/"));
  expect(files).toContain(target.replace(/^\.\//, ""));
  for (const file of files) {
    const code = packed.entries.get(file)!.data.toString("utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
    expect(code, file).not.toMatch(/getBuiltinModule|node:|\bprocess\b/);
  }
  // Node has fetch and Web Crypto as browsers do: the server checks the HMAC signature with node:crypto.
  const server = await startServer((_, res) => json(res, 200, CONNECTED), TEST_KEY);
  try {
    const browserBuild = (await import(pathToFileURL(path.join(pkg.folder, target)).href)) as typeof import("@acs-connect/client");
    await expect(browserBuild.createCallAutomationClient({ connectionString: connectionString(server) }).connect(REQUEST)).resolves.toEqual(CONNECTED);
    const [received] = server.requests;
    expect(received?.signatureProblem).toBeUndefined();
    // The header a browser build sends its User-Agent in (browsers refuse a custom User-Agent).
    expect(received?.headers["x-ms-useragent"]).toMatch(/^acs-connect-client\//);
  } finally {
    await server.close();
  }
});

it("the spec package ships its document as JSON and YAML, and attw leaves only the YAML asset out", () => {
  const { packed, attw } = checkOf("@acs-connect/spec");
  expect(JSON.parse(packed.entries.get("src/generated/openapi.json")!.data.toString()).openapi).toBe("3.0.3");
  expect(packed.entries.get("src/generated/openapi.yaml")!.data.toString()).toMatch(/^openapi: 3\.0\.3$/m);
  expect(attw.entrypoints).toContain("./openapi.json");
  expect(attw.excluded).toContain("./openapi.yaml");
});

describe("the checks fail when a package is broken", () => {
  /** A copy of a packed package with its manifest and files changed in memory. */
  function variant(name: string, change: (manifest: Manifest, entries: PackedPackage["entries"]) => void) {
    const { packed, pkg } = checkOf(name);
    const manifest = structuredClone(packed.manifest);
    const entries = new Map(packed.entries);
    change(manifest, entries);
    return manifestProblems({ manifest, entries }, pkg.dir);
  }

  it.each([
    {
      what: "an exported file that is not published",
      change: (_: Manifest, entries: PackedPackage["entries"]) => void entries.delete("dist/index.d.cts"),
      problem: "./dist/index.d.cts is named by package.json but is not in the package",
    },
    {
      what: "a source file in the tarball",
      change: (_: Manifest, entries: PackedPackage["entries"]) => void entries.set("src/index.ts", { path: "src/index.ts", mode: 0o644, data: Buffer.from("") }),
      problem: "src/index.ts is shipped but is neither build output",
    },
    {
      what: "a workspace: range left in the manifest",
      change: (manifest: Manifest) => void (manifest.dependencies = { ...manifest.dependencies, "@acs-connect/types": "workspace:*" }),
      problem: 'dependency @acs-connect/types has the range "workspace:*"',
    },
    {
      what: "an internal dependency at another version",
      change: (manifest: Manifest) => void (manifest.dependencies = { ...manifest.dependencies, "@acs-connect/types": "0.0.1-other" }),
      problem: "is not the shared version",
    },
    {
      what: "a dependency the build imports but the manifest does not declare",
      change: (manifest: Manifest) => void delete manifest.dependencies?.["openapi-fetch"],
      problem: 'imports "openapi-fetch", which is not in dependencies',
    },
    {
      what: "missing repository metadata",
      change: (manifest: Manifest) => void delete manifest.repository,
      problem: "repository must be",
    },
    {
      what: "a package that declares side effects",
      change: (manifest: Manifest) => void (manifest.sideEffects = true),
      problem: "sideEffects is true",
    },
  ])("manifest: $what", ({ change, problem }) => {
    const problems = variant("@acs-connect/client", change);
    expect(problems.join("\n")).toContain(problem);
  });

  it("manifest: a bin that is not executable", () => {
    const problems = variant("@acs-connect/server", (_, entries) => {
      const cli = entries.get("bin/acs-connect-server.mjs")!;
      entries.set("bin/acs-connect-server.mjs", { ...cli, mode: 0o644 });
    });
    expect(problems).toContain("bin ./bin/acs-connect-server.mjs is not executable in the tarball");
  });

  it("publint and attw: declarations swapped between the ESM and CommonJS branches", async () => {
    const { pkg } = checkOf("@acs-connect/types");
    const file = path.join(pkg.folder, "package.json");
    const original = await readFile(file, "utf8");
    const manifest = JSON.parse(original) as Manifest & { exports: { ".": { import: { types: string }; require: { types: string } } } };
    const root = manifest.exports["."];
    [root.import.types, root.require.types] = [root.require.types, root.import.types];
    await writeFile(file, JSON.stringify(manifest, null, 2));
    try {
      const packed = await packPackage(pkg.folder, path.join(sandbox.root, ".packed-broken"));
      const [publint, attw] = await Promise.all([publintProblems(packed), attwProblems(packed)]);
      expect(publint.join("\n")).toMatch(/EXPORTS_TYPES_INVALID_FORMAT/);
      expect(attw.problems).toContain("FalseESM: the declarations say ESM but the JavaScript is CommonJS (types: dist/index.d.mts, implementation: dist/index.cjs)");
      expect(attw.problems).toContain("FalseCJS: the declarations say CommonJS but the JavaScript is ESM (types: dist/index.d.cts, implementation: dist/index.mjs)");
      expect(manifestProblems(packed, pkg.dir).join("\n")).toContain('exports["."].import must be');
    } finally {
      await writeFile(file, original);
    }
  }, 60_000);

  it("api report: a new export fails the check with instructions and the change", async () => {
    const { pkg } = checkOf("@acs-connect/spec");
    const file = path.join(pkg.folder, "dist/index.d.mts");
    const original = await readFile(file, "utf8");
    await writeFile(file, `${original}\n/** Added by the test. */\nexport declare function addedForTheTest(): void;\n`);
    try {
      const { report, problems } = await extractApi(pkg.folder, pkg.dir);
      expect(problems).toEqual([]);
      const comparison = await compareReport(pkg.dir, report);
      expect(comparison.changed).toBe(true);
      const message = describeReportChange(pkg.name, comparison);
      expect(message).toContain("@acs-connect/spec changed its public API. If the change is intended, run `pnpm api:report` and commit packages/spec/review/spec.api.md.");
      expect(message).toContain("+export function addedForTheTest(): void;");
      // Only additions: the new declaration, its release-tag comment and a blank line.
      const changed = message.split("\n").filter((line) => /^[-+]/.test(line));
      expect(changed.sort()).toEqual(["+", "+// @public", "+export function addedForTheTest(): void;"]);
    } finally {
      await writeFile(file, original);
    }
  }, 60_000);
});

describe("helpers", () => {
  it("importedPackages finds bare imports and ignores relative ones, built-ins and comments", () => {
    const source = [
      'import { a } from "openapi-fetch";',
      'import type { B } from "@acs-connect/types";',
      'const c = require("@scope/pkg/sub");',
      'const d = await import("./chunk.mjs");',
      'import "node:http"; import { e } from "crypto";',
      '/** @example import x from "in-a-comment"; */',
      '// import y from "also-a-comment";',
    ].join("\n");
    expect([...importedPackages(source)].sort()).toEqual(["@acs-connect/types", "@scope/pkg", "openapi-fetch"]);
  });

  it("lineDiff shows changed lines with context and where they are", () => {
    const lines = lineDiff("a\nb\nc\nd\ne\nf\ng", "a\nb\nc\nD\ne\nf\ng", 1).split("\n");
    expect(lines[0]).toBe("@@ -3,3 +3,3 @@");
    expect(lines.filter((line) => /^[-+]/.test(line))).toEqual(["-d", "+D"]);
    // One unchanged line either side; the lines further away are left out.
    expect(lines.filter((line) => line.startsWith(" "))).toEqual([" c", " e"]);
  });

  it("lineDiff gives one hunk per distant change, and nothing for equal texts", () => {
    const before = Array.from({ length: 20 }, (_, index) => `line ${index + 1}`).join("\n");
    const after = before.replace("line 2\n", "line two\n").replace("line 18\n", "");
    const hunks = lineDiff(before, after).split("\n").filter((line) => line.startsWith("@@"));
    expect(hunks).toEqual(["@@ -1,4 +1,4 @@", "@@ -16,5 +16,4 @@"]);
    expect(lineDiff(before, before)).toBe("");
  });

  it("readTar reads regular files with their full names and modes, and rejects a damaged archive", async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), "acs-tar-"));
    try {
      // Names past the 100 bytes of a ustar header need the PAX or GNU long-name records.
      const deep = `${"d".repeat(60)}/${"e".repeat(70)}/file.txt`;
      await mkdir(path.join(root, "package", path.dirname(deep)), { recursive: true });
      await writeFile(path.join(root, "package", deep), "deep");
      await writeFile(path.join(root, "package", "cli.mjs"), "#!/usr/bin/env node\n", { mode: 0o755 });
      await symlink("cli.mjs", path.join(root, "package", "link.mjs"));
      const archive = await new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        const stream = createTar({ gzip: true, cwd: root, portable: true }, ["package"]);
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("end", () => resolve(Buffer.concat(chunks)));
        stream.on("error", reject);
      });
      const entries = await readTar(archive);
      expect([...entries.keys()].sort()).toEqual(["cli.mjs", deep]);
      expect(entries.get(deep)!.data.toString()).toBe("deep");
      expect(entries.get("cli.mjs")!.mode & 0o111).not.toBe(0);
      // Cut inside the last file's data: the reader must not return the files it got so far.
      const tar = gunzipSync(archive);
      await expect(readTar(tar.subarray(0, tar.indexOf("deep") + 2))).rejects.toThrow(/Truncated/);
      await expect(readTar(archive.subarray(0, archive.length - 40))).rejects.toThrow();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
