/**
 * `pnpm spec:diff` as a command, in a sandbox copy of the repository with its own git history:
 * sides from files and git refs, the last release tag as the default base, Markdown and JSON
 * output, exit codes, and the changeset check that keeps a breaking change from shipping as a
 * minor release.
 */
import { execFile } from "node:child_process";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, type Sandbox } from "../../../tools/sandbox.ts";

const git = promisify(execFile);
let sandbox: Sandbox;
let spec: string;
let original: string;

let main: (argv: string[], io: { out(text: string): void; err(text: string): void }) => Promise<number>;

/**
 * Runs the command in this process, through the sandbox's copy of scripts/spec-diff.ts (whose
 * paths are the sandbox's): a process per case would cost a Node start each.
 */
const run = async (args: string[] = []) => {
  let stdout = "";
  let stderr = "";
  const code = await main(args, { out: (text) => (stdout += text), err: (text) => (stderr += text) });
  return { code, stdout, stderr };
};
/** Runs the command as a process, as `pnpm spec:diff` does: the entry point, its output and exit code. */
const runProcess = (args: string[] = []) => sandbox.script("spec-diff", args);
const inRepo = (args: string[]) => git("git", args, { cwd: sandbox.root });
const pendingChangesets = async () => (await readdir(path.join(sandbox.root, ".changeset"))).filter((file) => file.endsWith(".md") && file !== "README.md");

beforeAll(async () => {
  sandbox = await createSandbox();
  spec = path.join(sandbox.root, "spec/openapi.yaml");
  original = await readFile(spec, "utf8");
  ({ main } = (await import(pathToFileURL(path.join(sandbox.root, "scripts/spec-diff.ts")).href)) as { main: typeof main });
  // The tests decide which changesets are pending: none of the repository's own.
  for (const file of await pendingChangesets()) await rm(path.join(sandbox.root, ".changeset", file));
  await inRepo(["init", "-q", "-b", "main"]);
  await inRepo(["-c", "user.name=t", "-c", "user.email=t@example.org", "add", "-A"]);
  await inRepo(["-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "release"]);
}, 60_000);
afterAll(async () => {
  await sandbox.remove();
});

describe("before the first release", () => {
  it("asks for a base, and requires no changeset", async () => {
    const report = await run();
    expect(report.code).toBe(2);
    expect(report.stderr).toContain("spec:diff: nothing is released yet (no @acs-connect/spec@* tag); name the base to compare with.");
    const check = await run(["--changeset", "--check"]);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toContain("nothing is released yet");
  });
});

describe("after a release", () => {
  beforeAll(async () => {
    await inRepo(["tag", "@acs-connect/spec@1.0.0"]);
  });

  it("compares the working tree with the last release tag", async () => {
    const same = await run();
    expect(same.code).toBe(0);
    expect(same.stdout).toContain("# Contract changes: `@acs-connect/spec@1.0.0:spec/openapi.yaml` -> `spec/openapi.yaml`");
    expect(same.stdout).toContain("No change to the contract.");
  });

  it("reports a docs-only change with exit 0 and a patch bump", async () => {
    await writeFile(spec, original.replace("description: The callback URI.\n        operationContext:", "description: Where events go.\n        operationContext:"));
    const json = await run(["--json"]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      changes: [
        {
          id: "schema-description-changed",
          level: "docs",
          location: "#/components/schemas/ConnectRequest/properties/callbackUri",
          message: "description changed: documentation only",
        },
      ],
      summary: { breaking: 0, nonBreaking: 0, docs: 1 },
      bump: "patch",
    });
  });

  it("reports a breaking change in Markdown, per schema, with exit 1", async () => {
    await writeFile(spec, original.replace("        - serverCallLocator\n        - roomCallLocator\n", "        - serverCallLocator\n"));
    const report = await run();
    expect(report.code).toBe(1);
    expect(report.stdout).toContain("Required version bump: **major** (1 breaking, 0 non-breaking, 0 docs-only).");
    expect(report.stdout).toContain("## Schemas\n\n### CallLocatorKind\n");
    expect(report.stdout).toContain(
      '| **breaking** | enum value "roomCallLocator" removed: clients that send it are refused |  | `request-enum-value-removed` |',
    );
  });

  it("takes git refs and files on either side", async () => {
    await inRepo(["-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qam", "drop roomCallLocator"]);
    const refs = await run(["@acs-connect/spec@1.0.0", "HEAD", "--json"]);
    expect(refs.code).toBe(1);
    expect(JSON.parse(refs.stdout).bump).toBe("major");
    const reversed = await run(["HEAD", "@acs-connect/spec@1.0.0", "--json"]);
    expect(JSON.parse(reversed.stdout).changes[0].id).toBe("request-enum-value-added");
    // A file side is resolved from the working directory: a process in the sandbox.
    const file = await runProcess(["spec/openapi.yaml", "HEAD"]);
    expect(file.code, file.stderr).toBe(0);
    expect(file.stdout).toContain("No change to the contract.");
  });

  it("refuses a side that is neither a file nor a ref", async () => {
    const bad = await runProcess(["no-such-ref"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('spec:diff: "no-such-ref" is neither a file nor a git ref (branch, tag or commit).\n');
  });

  it("refuses a breaking change without a major changeset, writes one, and then accepts it", async () => {
    expect(await pendingChangesets()).toEqual([]);
    const missing = await run(["--changeset", "--check"]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain(
      "The contract change since @acs-connect/spec@1.0.0:spec/openapi.yaml needs a major release, but the pending changesets give nothing.",
    );

    const written = await run(["--changeset"]);
    expect(written.code, written.stderr).toBe(0);
    const [file] = await pendingChangesets();
    expect(file).toMatch(/^spec-[0-9a-f]{10}\.md$/);
    const body = await readFile(path.join(sandbox.root, ".changeset", file!), "utf8");
    expect(body).toMatch(/^---\n"@acs-connect\/callbacks": major\n"@acs-connect\/client": major\n"@acs-connect\/server": major\n"@acs-connect\/spec": major\n"@acs-connect\/types": major\n---\n/);
    expect(body).toContain('- breaking: enum value "roomCallLocator" removed: clients that send it are refused (`#/components/schemas/CallLocatorKind`)');

    const covered = await run(["--changeset", "--check"]);
    expect(covered.code).toBe(0);
    expect(covered.stdout).toContain(`gives major`);
  });

  it("does not accept a minor changeset for a breaking change", async () => {
    for (const file of await pendingChangesets()) await writeFile(path.join(sandbox.root, ".changeset", file), '---\n"@acs-connect/types": minor\n---\n\nA feature.\n');
    const check = await run(["--changeset", "--check"]);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain("needs a major release, but the pending changesets give minor.");
  });
});
