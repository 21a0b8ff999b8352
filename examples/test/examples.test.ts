/**
 * Runs every example exactly as examples/README.md tells a reader to (`node examples/<file>`
 * from the repository root, one process each, so a timeout cannot orphan anything) and checks
 * what it prints and its exit code. The README's `pnpm example:*` commands must be the root
 * package.json scripts that run the same files, and every example file must be listed.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { audioFormatValues } from "@acs-connect/types";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const README = readFileSync(path.join(ROOT, "examples/README.md"), "utf8");
const scripts: Record<string, string> = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts;
const exampleFiles = readdirSync(path.join(ROOT, "examples")).filter((file) => file.endsWith(".mjs"));

const nodeCommands = [...README.matchAll(/^node (examples\/[\w.-]+\.mjs)$/gm)].map((match) => match[1]!);
const pnpmCommands = [...new Set([...README.matchAll(/`pnpm (example:[\w-]+)`/g)].map((match) => match[1]!))];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [file], { cwd: ROOT, timeout: 30_000, env: { ...process.env, NO_COLOR: "1" } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr: error && typeof error.code !== "number" ? `${stderr}\n${error.message}` : stderr });
    });
  });
}

/** The packages resolve to their built dist/ (as for a consumer); without a build, say what to do. */
function assertBuilt(): void {
  for (const name of ["client", "server"]) {
    const entry = path.join(ROOT, "packages", name, "dist/index.mjs");
    if (!existsSync(entry)) throw new Error(`${path.relative(ROOT, entry)} is missing: run \`pnpm generate\` to build the packages the examples import.`);
  }
}

describe("examples/README.md", () => {
  it("lists every example with a node command and a pnpm script that runs the same file", () => {
    expect(exampleFiles.length).toBeGreaterThanOrEqual(3);
    expect(nodeCommands.sort()).toEqual(exampleFiles.map((file) => `examples/${file}`).sort());
    expect(pnpmCommands).toHaveLength(exampleFiles.length);
    for (const name of pnpmCommands) {
      expect(scripts[name], `root package.json has no script "${name}"`).toBeDefined();
      const target = /^node (examples\/[\w.-]+\.mjs)$/.exec(scripts[name]!)?.[1];
      expect(nodeCommands, `script ${name} (${scripts[name]}) runs a file the README does not list`).toContain(target);
    }
  });

  it("examples import the packages by name, as a consumer does", () => {
    for (const file of exampleFiles) {
      const source = readFileSync(path.join(ROOT, "examples", file), "utf8");
      expect(source, file).toMatch(/from "@acs-connect\/(client|server)"/);
      expect(source, file).not.toMatch(/from "\.\.?\//);
    }
  });
});

describe("the examples run", () => {
  it("node examples/mock-server-and-client.mjs: connects to the mock and stops it", async () => {
    assertBuilt();
    const { code, stdout, stderr } = await run("examples/mock-server-and-client.mjs");
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stderr).toBe("");
    expect(stdout).toMatch(/^mock server listening on http:\/\/127\.0\.0\.1:\d+\/$/m);
    expect(stdout).toMatch(/callConnectionId {5}[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/m);
    expect(stdout).toMatch(/callConnectionState {2}connecting$/m);
    expect(stdout).toMatch(/callbackUri {10}https:\/\/app\.example\/callback$/m);
    expect(stdout).toMatch(/media streaming {6}active \(audio\)$/m);
    expect(stdout.trimEnd().split("\n").at(-1)).toBe("mock server stopped");
  });

  it("node examples/custom-handler.mjs: a repeat with the same pair returns the same connection", async () => {
    assertBuilt();
    const { code, stdout, stderr } = await run("examples/custom-handler.mjs");
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stderr).toBe("");
    const id = (label: string) => new RegExp(`^${label}:\\s+(\\S+)`, "m").exec(stdout)?.[1];
    expect(id("first call")).toMatch(/^[0-9a-f-]{36}$/);
    expect(id("repeat")).toBe(id("first call"));
    expect(id("new call")).toMatch(/^[0-9a-f-]{36}$/);
    expect(id("new call")).not.toBe(id("first call"));
    expect(stdout).toContain("(same connection)");
    expect(stdout).toContain("the handler ran 2 time(s) for 3 requests");
    expect(stdout.trimEnd().split("\n").at(-1)).toBe("server stopped");
  });

  it("node examples/handle-errors.mjs: prints each CallAutomationError's fields", async () => {
    assertBuilt();
    const { code, stdout, stderr } = await run("examples/handle-errors.mjs");
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stderr).toBe("");
    const [, invalid = "", denied = "", offline = ""] = stdout.split(/^\d\. /m);
    expect(invalid).toMatch(/^ {2}status: {3}400$/m);
    expect(invalid).toMatch(/^ {2}code: {5}InvalidRequestBody$/m);
    expect(invalid).toMatch(/^ {2}target: {3}\$\.mediaStreamingOptions\.audioFormat$/m);
    expect(invalid).toMatch(new RegExp(`^ {2}detail: {3}UnknownEnumValue .*${audioFormatValues.join(", ")}`, "m"));
    expect(invalid).toMatch(/^ {2}request: {2}x-ms-request-id [0-9a-f-]{36}$/m);
    expect(denied).toMatch(/^ {2}status: {3}401$/m);
    expect(denied).toMatch(/^ {2}code: {5}Unauthorized$/m);
    expect(offline).toMatch(/^ {2}status: {3}0$/m);
    expect(offline).toMatch(/^ {2}code: {5}NetworkError$/m);
    expect(stdout).toContain("all three failures were handled as CallAutomationError");
    // No credential in what an application would log.
    expect(stdout).not.toMatch(/accesskey=|HMAC-SHA256 |Signature=/i);
  });
});
