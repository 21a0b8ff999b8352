/**
 * The READMEs' commands and code, tested (see tools/readme.ts for what is extracted).
 *
 * - Every `pnpm ...`, `npm ...`, `npx ...` and `node ...` command in any README names something
 *   that exists (a root script and the file it runs, a file, a bin, a publishable package), and
 *   is not one that pnpm would hand to npm instead (`pnpm docs`).
 * - Every command is accounted for: run here (the cheap ones: docs, the mock server CLI,
 *   a dry run of setup), run by examples/test/examples.test.ts (the examples), or listed below
 *   with the test that covers it or why it cannot run in a test. A new command fails until it
 *   is classified.
 * - The TypeScript and JavaScript blocks of the package READMEs are type-checked against the
 *   built packages, resolved by name as a consumer's code would, and those marked `run` are run
 *   (against the mock server where they need one), their `// <value>` comments checked.
 *
 * Scripts run as `node --import tsx <file>` (what their package.json entry runs, without the
 * tsx binary's extra process), so a timeout cannot orphan anything.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  PNPM_BUILTINS,
  commandsIn,
  instrument,
  modulesOf,
  readRepoFile,
  readmeFiles,
  resolveCommand,
  snippetsIn,
  type Command,
  type Module,
  type Resolution,
} from "../../tools/readme.ts";
import { ROOT, TYPE_CHECKER } from "../../tools/paths.ts";
import { createSandbox } from "../../tools/sandbox.ts";

const rootManifest = JSON.parse(readRepoFile("package.json")) as { scripts: Record<string, string> };
const scripts = rootManifest.scripts;

interface WorkspacePackage {
  folder: string;
  manifest: { name: string; private?: boolean; bin?: Record<string, string> | string; dependencies?: Record<string, string> };
}
const workspace: WorkspacePackage[] = ["packages/callbacks", "packages/client", "packages/server", "packages/spec", "packages/types", "examples"].map((folder) => ({
  folder,
  manifest: JSON.parse(readRepoFile(`${folder}/package.json`)),
}));
const binsOf = (pkg: WorkspacePackage): Record<string, string> =>
  typeof pkg.manifest.bin === "string" ? { [pkg.manifest.name.split("/").pop()!]: pkg.manifest.bin } : (pkg.manifest.bin ?? {});

const readmes = readmeFiles(execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" }).split("\n"));
const commands: Command[] = readmes.flatMap((file) => commandsIn(readRepoFile(file), file));
const where = (command: Command) => `${command.file}:${command.line} \`${command.text}\``;

/** `node --import tsx scripts/<name>.ts args` for a script `tsx scripts/<name>.ts args`, `node file args` for `node file args`. */
function mirror(script: string, extra: string[] = []): string[] {
  const value = scripts[script];
  const match = value === undefined ? null : /^(tsx|node) (\S+)((?: \S+)*)$/.exec(value);
  if (!match) throw new Error(`cannot mirror script "${script}" (${value ?? "missing"}): expected \`tsx <file> [args]\` or \`node <file> [args]\``);
  const args = [match[2]!, ...match[3]!.trim().split(" ").filter(Boolean), ...extra];
  return match[1] === "tsx" ? ["--import", "tsx", ...args] : args;
}

function runNode(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { cwd: options.cwd ?? ROOT, env: { ...process.env, NO_COLOR: "1", ...options.env }, timeout: options.timeoutMs ?? 30_000, maxBuffer: 8 * 1024 * 1024 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr: error && typeof error.code !== "number" ? `${stderr}\n${error.message}` : stderr }),
    );
  });
}

/** What exists for each kind of command; a list of problems, empty when all is well. */
function existenceProblems(command: Command, resolution: Resolution): string[] {
  switch (resolution.kind) {
    case "invalid":
      return [resolution.reason];
    case "script": {
      const value = scripts[resolution.script];
      if (value === undefined) return [`the root package.json has no script "${resolution.script}"`];
      // Past node's own options (`--import tsx`, `--no-turbofan`) to the file it runs.
      const file = /^(?:tsx|node)(?: --import \S+| --[\w-]+)* (\S+)/.exec(value)?.[1];
      return file && !existsSync(path.join(ROOT, file)) ? [`script "${resolution.script}" runs ${file}, which does not exist`] : [];
    }
    case "node":
      return existsSync(path.join(ROOT, resolution.file)) ? [] : [`${resolution.file} does not exist`];
    case "bin": {
      const owner = workspace.find((pkg) => resolution.bin in binsOf(pkg));
      if (!owner) return [`no workspace package has a bin named ${resolution.bin}`];
      if (resolution.filter) {
        const filtered = workspace.find((pkg) => pkg.manifest.name === resolution.filter);
        if (!filtered) return [`no workspace package is named ${resolution.filter}`];
        if (filtered !== owner && !filtered.manifest.dependencies?.[owner.manifest.name]) return [`${resolution.filter} does not depend on ${owner.manifest.name}, which has the bin`];
      }
      return [];
    }
    case "install":
      return resolution.packages.flatMap((name) => {
        const pkg = workspace.find((candidate) => candidate.manifest.name === name);
        // A third-party package named beside ours must be a declared peer of one of them (e.g. ioredis@5).
        const bare = name.replace(/(?<=.)@[^@/]*$/, "");
        const peerOf = workspace.find((candidate) => (candidate.manifest as { peerDependencies?: Record<string, string> }).peerDependencies?.[bare] !== undefined);
        if (!pkg && peerOf) return [];
        return !pkg ? [`${name} is not a package of this repository (nor a peer dependency of one)`] : pkg.manifest.private ? [`${name} is private, so it cannot be installed`] : [];
      });
    case "builtin":
      // `pnpm setup` is pnpm's own command, not the setup script: a shadowed script name is a mistake.
      return scripts[resolution.command] !== undefined
        ? [`\`${resolution.tool} ${resolution.command}\` runs ${resolution.tool}'s own command, not the "${resolution.command}" script: write \`${resolution.tool} run ${resolution.command}\``]
        : COVERED_ELSEWHERE[`${resolution.tool}:${resolution.command}`]
          ? []
          : [`${resolution.tool} ${resolution.command} is not one of the ${resolution.tool} commands this test knows the READMEs to use`];
  }
}

/** Scripts this test runs (see below). */
const RUN_HERE = new Set(["docs", "setup"]);
/** Bins this test runs (see below). */
const BINS_RUN_HERE = new Set(["acs-connect-server"]);
/** Commands not run here, each with the test that covers it or the reason it cannot run in one. */
const COVERED_ELSEWHERE: Record<string, string> = {
  "script:test": "the test suite itself",
  "script:lint": "spec/test/rules.test.ts runs it on the spec (which passes) and on a bad document (file:line:column findings, exit 1)",
  "script:typecheck": "`pnpm test` runs the same tsc pass in the unit project's typecheck (vitest.config.ts)",
  "script:check:generated": "a step of `pnpm test`; scripts/test/generate.test.ts checks its failure output",
  "script:generate": "scripts/test/generate.test.ts and scripts/test/docs.test.ts run it in a sandbox copy",
  "script:dev": "scripts/test/generate.test.ts runs `generate --watch` in a sandbox copy",
  "script:test:golden": "the generators' golden tests (generators/<name>/golden.test.ts) compare the same golden files",
  "script:test:unit": "one project of `pnpm test`",
  "script:test:integration": "one project of `pnpm test`",
  "script:test:e2e": "one project of `pnpm test`",
  "script:check:contract-edits": "scripts/test/contract-edits.integration.test.ts runs the same check",
  "script:openapi-generator": "generators/test/wrapper.test.ts runs the wrapper offline",
  "script:bench:generate": "a benchmark: minutes of repeated runs, not a test",
  "script:bench:client": "a benchmark: minutes of repeated runs, not a test",
  "script:bench:server": "a benchmark: minutes of load, not a test",
  "script:spec:diff": "scripts/test/spec-diff/ tests it; `pnpm test` runs `pnpm run spec:diff --changeset --check`",
  "script:changeset": "`pnpm changeset` is interactive; e2e/registry.test.ts runs `changeset version` in a sandbox copy",
  "script:release": "publishes to a registry; e2e/registry.test.ts releases to a local one",
  "script:check:packages": "scripts/test/packages.test.ts runs the same checks",
  "script:api:report": "scripts/test/packages.test.ts checks the committed reports",
  "pnpm:install": "the workspace install, done by `npm run setup` (not repeatable inside a test run)",
  "pnpm:publish": "run by `pnpm release` (see e2e/registry.test.ts)",
  "npm:config": "reads the user's npm configuration (which registry `pnpm release` publishes to)",
  install: "installs from the npm registry; the package names are checked above, their use by the snippets below",
};

function classify(command: Command): string | undefined {
  const resolution = resolveCommand(command);
  switch (resolution.kind) {
    case "script":
      if (RUN_HERE.has(resolution.script)) return "run here";
      if (resolution.script.startsWith("example:")) return "examples";
      return COVERED_ELSEWHERE[`script:${resolution.script}`];
    case "node":
      return resolution.file.startsWith("examples/") ? "examples" : resolution.file === "scripts/setup.mjs" ? "run here" : undefined;
    case "bin":
      return BINS_RUN_HERE.has(resolution.bin) ? "run here" : undefined;
    case "builtin":
      return COVERED_ELSEWHERE[`${resolution.tool}:${resolution.command}`];
    case "install":
      return COVERED_ELSEWHERE.install;
    case "invalid":
      return undefined;
  }
}

describe("commands in the READMEs", () => {
  it("are found in every README", () => {
    expect(readmes).toEqual(expect.arrayContaining(["README.md", "examples/README.md", "packages/callbacks/README.md", "packages/client/README.md", "packages/server/README.md", "packages/spec/README.md", "packages/types/README.md"]));
    expect(commands.length).toBeGreaterThan(30);
    // The quick start: exactly these two commands, first.
    const top = commands.filter((command) => command.file === "README.md");
    expect(top.slice(0, 2).map((command) => command.words.join(" "))).toEqual(["npm run setup", "pnpm test"]);
  });

  it("name an existing script (and its file), file, bin or package, the way pnpm and npm read them", () => {
    const problems = commands.flatMap((command) => existenceProblems(command, resolveCommand(command)).map((problem) => `${where(command)}: ${problem}`));
    expect(problems).toEqual([]);
  });

  it("are each run here, run by the examples test, or covered by a named test", () => {
    const unclassified = commands.filter((command) => classify(command) === undefined).map(where);
    expect(unclassified, "classify these in scripts/test/readme.test.ts").toEqual([]);
    // Examples named anywhere are the ones examples/test/examples.test.ts runs (from examples/README.md).
    const examplesReadme = readRepoFile("examples/README.md");
    for (const command of commands.filter((candidate) => classify(candidate) === "examples")) {
      const resolution = resolveCommand(command);
      const file = resolution.kind === "node" ? resolution.file : resolution.kind === "script" ? /^node (\S+)$/.exec(scripts[resolution.script] ?? "")?.[1] : undefined;
      expect(file && examplesReadme.includes(`node ${file}`), `${where(command)} is not an example examples/README.md lists`).toBe(true);
    }
  });

  it("the API team's loop is in the top-level README, in order", () => {
    const top = commands.filter((command) => command.file === "README.md").map((command) => command.words.slice(0, 3).join(" "));
    const loop = ["pnpm generate", "pnpm run docs", "pnpm spec:diff", "pnpm changeset", "pnpm release"];
    const positions = loop.map((step) => top.findIndex((command) => command.startsWith(step)));
    expect(positions.every((position) => position >= 0), `missing from README.md: ${loop.filter((_, index) => positions[index]! < 0).join(", ")}`).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });
});

describe("README commands run here", () => {
  it("pnpm run docs: writes the page where the READMEs say it is", async () => {
    const documented = "packages/spec/dist/reference.html";
    expect(readRepoFile("README.md")).toContain(documented);
    const sandbox = await createSandbox();
    try {
      const { code, stdout, stderr } = await runNode(mirror("docs"), { cwd: sandbox.root, timeoutMs: 60_000 });
      expect(code, `${stdout}\n${stderr}`).toBe(0);
      expect(stdout).toContain(`docs: ${documented} (`);
      expect(existsSync(path.join(sandbox.root, documented))).toBe(true);
    } finally {
      await sandbox.remove();
    }
  });

  it("npm run setup: its dry run plans the install, Chromium, redis-server and pnpm generate, and changes nothing", async () => {
    expect(mirror("setup")).toEqual(["scripts/setup.mjs"]);
    const { code, stdout, stderr } = await runNode([...mirror("setup"), "--dry-run"]);
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stdout).toContain("would run: pnpm install --frozen-lockfile");
    expect(stdout).toMatch(/Chromium is already installed|would run: (?:sudo )?apt-get install -y chromium/);
    expect(stdout).toMatch(/redis-server is already installed|would run: (?:sudo )?apt-get install -y (?:chromium )?redis-server/);
    expect(stdout).toContain("would run: pnpm run generate");
    expect(stdout).toContain("Dry run: nothing was changed.");
  });
});

describe("code in the package READMEs", () => {
  const packageReadmes = readmes.filter((file) => /^packages\/[^/]+\/README\.md$/.test(file) && file !== "packages/README.md");
  const modules: Array<Module & { path: string }> = [];
  let folder = "";
  let server: ChildProcess | undefined;
  let serverOutput = "";
  let connectionString = "";

  // A set-up failure (packages not built, the server not starting) fails every test below with
  // its reason, rather than leaving them skipped.
  let setupError: unknown;
  const ready = () => {
    if (setupError) throw setupError;
  };
  beforeAll(async () => {
    try {
      await setUp();
    } catch (error) {
      setupError = error;
    }
  }, 30_000);

  async function setUp(): Promise<void> {
    for (const name of ["callbacks", "client", "server", "spec", "types"]) {
      if (!existsSync(path.join(ROOT, "packages", name, "dist/index.mjs"))) {
        throw new Error(`packages/${name}/dist is missing: run \`pnpm generate\`; the snippets import the built packages, as a consumer does.`);
      }
    }
    // A folder outside the repository (so no tsconfig.json of ours applies), whose
    // node_modules is the examples package's: @acs-connect/* resolve by name to the packages.
    folder = await mkdtemp(path.join(os.tmpdir(), "acs-connect-readme-"));
    await symlink(path.join(ROOT, "examples/node_modules"), path.join(folder, "node_modules"));
    await writeFile(path.join(folder, "package.json"), '{ "type": "module", "private": true }\n');
    await writeFile(path.join(folder, "tsconfig.json"), "{}\n");
    for (const file of packageReadmes) {
      modulesOf(snippetsIn(readRepoFile(file), file)).forEach((module, index) => {
        const name = `${path.basename(path.dirname(file))}-${index + 1}-line${module.snippet.line}.${module.snippet.language === "ts" ? "ts" : "mjs"}`;
        modules.push({ ...module, path: path.join(folder, name) });
      });
    }
    await Promise.all(modules.map((module) => writeFile(module.path, `${module.code}\nexport {};\n`)));

    // The server README's `npx acs-connect-server --port 8080`, on a free port instead.
    const serverPackage = workspace.find((pkg) => pkg.manifest.name === "@acs-connect/server")!;
    const cli = path.join(ROOT, serverPackage.folder, binsOf(serverPackage)["acs-connect-server"]!);
    server = spawn(process.execPath, [cli, "--port", "0"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    server.stdout!.on("data", (chunk) => (serverOutput += chunk));
    server.stderr!.on("data", (chunk) => (serverOutput += chunk));
    connectionString = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`acs-connect-server printed no connection string in 10 s:\n${serverOutput}`)), 10_000);
      const check = () => {
        const found = /connection string: (endpoint=\S+)/.exec(serverOutput)?.[1];
        if (found) {
          clearTimeout(timer);
          resolve(found);
        }
      };
      server!.stdout!.on("data", check);
      server!.once("exit", (code) => reject(new Error(`acs-connect-server exited with ${code}:\n${serverOutput}`)));
    });
  }

  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill("SIGTERM");
      await new Promise((resolve) => {
        const timer = setTimeout(() => {
          server!.kill("SIGKILL");
          resolve(undefined);
        }, 5_000);
        server!.once("exit", () => {
          clearTimeout(timer);
          resolve(undefined);
        });
      });
    }
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it("each package README shows the install command and a use that runs", () => {
    ready();
    expect(packageReadmes).toHaveLength(workspace.filter((pkg) => pkg.folder.startsWith("packages/")).length);
    for (const file of packageReadmes) {
      const name = JSON.parse(readRepoFile(path.join(path.dirname(file), "package.json"))).name;
      expect(commands.some((command) => command.file === file && command.text === `npm install ${name}`), `${file}: no \`npm install ${name}\``).toBe(true);
      expect(modules.some((module) => module.snippet.file === file && module.snippet.run), `${file}: no snippet marked run`).toBe(true);
    }
  });

  it("every snippet type-checks (strict) against the built packages", async () => {
    ready();
    expect(modules.length).toBeGreaterThanOrEqual(8);
    // The repository's compiler options and type checker (TypeScript 7, as `pnpm typecheck`), in
    // a process of its own: loading TypeScript's API here cost more than the check itself.
    const config = {
      extends: path.join(ROOT, "tsconfig.base.json"),
      compilerOptions: { allowJs: true, checkJs: true, noEmit: true, types: ["node"], typeRoots: [path.join(ROOT, "node_modules/@types")] },
      files: modules.map((module) => module.path),
    };
    await writeFile(path.join(folder, "tsconfig.snippets.json"), JSON.stringify(config, null, 2));
    const result = await runNode([TYPE_CHECKER, "-p", "tsconfig.snippets.json", "--pretty", "false"], { cwd: folder, timeoutMs: 60_000 });
    const byPath = new Map(modules.map((module) => [path.resolve(module.path), module]));
    // `file(line,column): error TSnnnn: message`, a message's further lines indented below it.
    const problems: string[] = [];
    for (const line of result.stdout.split("\n").filter(Boolean)) {
      const found = /^(.+?)\((\d+),\d+\): (?:error|warning) (TS\d+: .*)$/.exec(line);
      if (!found) {
        if (problems.length > 0) problems[problems.length - 1] += `\n${line}`;
        else problems.push(line);
        continue;
      }
      const module = byPath.get(path.resolve(folder, found[1]!));
      problems.push(module ? `${module.snippet.file}:${module.lines[Number(found[2]) - 1] ?? "?"}: ${found[3]}` : `${found[1]}: ${found[3]}`);
    }
    expect(problems).toEqual([]);
    expect(result.code, result.stderr).toBe(0);
  }, 60_000);

  it("the snippets marked run run, and print what their comments say", async () => {
    ready();
    const runnable = modules.filter((module) => module.snippet.run);
    expect(runnable.length).toBeGreaterThanOrEqual(5);
    const failures: string[] = [];
    let doctests = 0;
    const tsx = import.meta.resolve("tsx");
    for (const module of runnable) {
      const { code, doctests: count } = instrument(module);
      doctests += count;
      const file = module.path.replace(/\.(m?[jt]s)$/, ".run.$1");
      await writeFile(file, code);
      const result = await runNode(["--import", tsx, file], { cwd: folder, env: { ACS_CONNECTION_STRING: connectionString }, timeoutMs: 20_000 });
      if (result.code !== 0 || result.stderr.trim() !== "") {
        failures.push(`${module.snippet.file}:${module.snippet.line} exited with ${result.code}:\n${result.stdout}${result.stderr}`);
      }
    }
    expect(failures).toEqual([]);
    expect(doctests).toBeGreaterThanOrEqual(8);
  }, 120_000);

  it("the mock server CLI served the client snippet, and stops cleanly on SIGTERM", async () => {
    ready();
    expect(connectionString).toMatch(/^endpoint=http:\/\/127\.0\.0\.1:\d+\/;accesskey=\S+$/);
    server!.kill("SIGTERM");
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => resolve(-1), 10_000);
      server!.once("exit", (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode);
      });
    });
    expect(code, serverOutput).toBe(0);
    // Its request log: the client README's snippet connected, signed with the printed key.
    expect(serverOutput).toMatch(/ POST \/calling\/callConnections:connect 200 /);
    expect(serverOutput).toContain("acs-connect-server: stopped");
  });
});
