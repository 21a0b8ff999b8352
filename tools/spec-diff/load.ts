/**
 * Reads one side of a comparison: a file, or the spec as committed at a git ref.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { ROOT, SPEC_FILE, relative } from "../paths.ts";

const run = promisify(execFile);

/** Git tags that mark a release of the packages (made by `pnpm release`, in changesets' form). */
export const RELEASE_TAG_PATTERN = "@acs-connect/spec@*";

export interface Side {
  /** What the user named, for the report: a file path or `<ref>:spec/openapi.yaml`. */
  label: string;
  doc: any;
}

async function git(args: string[], cwd = ROOT): Promise<string> {
  const { stdout } = await run("git", args, { cwd, maxBuffer: 32 * 1024 * 1024 });
  return stdout;
}

/** The newest release tag, or undefined before the first release. */
export async function lastReleaseTag(cwd = ROOT): Promise<string | undefined> {
  try {
    const tag = (await git(["describe", "--tags", "--abbrev=0", "--match", RELEASE_TAG_PATTERN], cwd)).trim();
    return tag || undefined;
  } catch {
    return undefined;
  }
}

function parseDocument(text: string, label: string): any {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw new Error(`${label} is not valid YAML or JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof doc !== "object" || doc === null || typeof (doc as { openapi?: unknown }).openapi !== "string") {
    throw new Error(`${label} is not an OpenAPI document (no "openapi" field).`);
  }
  return doc;
}

/**
 * Loads `spec` as a file when one exists at that path, else as the spec at the git ref `spec`.
 * Without `spec`, the working tree's spec/openapi.yaml.
 */
export async function loadSide(spec: string | undefined, cwd = ROOT): Promise<Side> {
  if (spec === undefined) {
    return { label: relative(SPEC_FILE), doc: parseDocument(await readFile(SPEC_FILE, "utf8"), relative(SPEC_FILE)) };
  }
  const file = path.resolve(process.cwd(), spec);
  if (existsSync(file)) return { label: spec, doc: parseDocument(await readFile(file, "utf8"), spec) };
  const specPath = path.relative(cwd, SPEC_FILE).split(path.sep).join("/");
  try {
    await git(["rev-parse", "--verify", "--quiet", `${spec}^{commit}`], cwd);
  } catch {
    throw new Error(`"${spec}" is neither a file nor a git ref (branch, tag or commit).`);
  }
  const label = `${spec}:${specPath}`;
  let text: string;
  try {
    text = await git(["show", label], cwd);
  } catch {
    throw new Error(`${spec} has no ${specPath}.`);
  }
  return { label, doc: parseDocument(text, label) };
}
