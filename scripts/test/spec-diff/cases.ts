/**
 * The spec:diff fixture cases: one base document (base.yaml) and, per case, a JSON Patch
 * (RFC 6902, applied with rfc6902) in cases/<name>.patch.yaml. A case's file is either the list
 * of operations that turns the base into its "after" document (its "before" is the base), or
 * `{ before, after }` when the case needs another starting point: `before` turns the base into
 * the case's "before", and `after` turns that into its "after".
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { applyPatch, type Operation } from "rfc6902";
import { parse } from "yaml";

/** Where the per-case patches live. */
export const CASES_DIR = path.join(import.meta.dirname, "cases");

const PATCH_SUFFIX = ".patch.yaml";

/** A case file: the change from the base, or the base's edit into the case's start and then the change. */
type CasePatch = Operation[] | { before: Operation[]; after: Operation[] };

/** The two documents spec:diff compares for a case. */
export interface CaseDocuments {
  before: unknown;
  after: unknown;
}

/** The names of the cases, from the files in cases/ (any file not named `<name>.patch.yaml` is returned whole). */
export async function caseNames(): Promise<string[]> {
  return (await readdir(CASES_DIR)).map((file) => (file.endsWith(PATCH_SUFFIX) ? file.slice(0, -PATCH_SUFFIX.length) : file)).sort();
}

/** The base document, parsed afresh on each call so that no case can change another's. */
export async function loadBase(): Promise<unknown> {
  return parse(await readFile(path.join(import.meta.dirname, "base.yaml"), "utf8"));
}

/**
 * A copy of `document` with `operations` applied. rfc6902 reports a failed operation (a path that
 * does not resolve, a `test` that does not hold) in its result instead of throwing; a fixture
 * must not quietly skip an edit, so any failure throws, naming the file and the operation.
 */
export function patched(document: unknown, operations: Operation[], where: string): unknown {
  const result = structuredClone(document);
  applyPatch(result, operations).forEach((error, index) => {
    if (error) throw new Error(`${where}: operation ${index} (${operations[index]!.op} ${operations[index]!.path}) failed: ${error.message}`);
  });
  return result;
}

/** The before and after documents of case `name`. */
export async function loadCase(name: string): Promise<CaseDocuments> {
  const file = `cases/${name}${PATCH_SUFFIX}`;
  const patch = parse(await readFile(path.join(import.meta.dirname, file), "utf8")) as CasePatch;
  const { before: toBefore, after: toAfter } = Array.isArray(patch) ? { before: [], after: patch } : patch;
  const before = patched(await loadBase(), toBefore, `${file} (before)`);
  return { before, after: patched(before, toAfter, `${file} (after)`) };
}
