/**
 * Every packaging check of every published package, on a fresh build of the current sources:
 * pack with pnpm, then the manifest rules, publint, arethetypeswrong and the API report.
 * `pnpm check:packages` prints the results; scripts/test/packages.test.ts asserts on them.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { compareReport, describeReportChange, extractApi, type ReportComparison } from "./api-report.ts";
import { attwProblems, manifestProblems, publintProblems, type AttwResult } from "./checks.ts";
import type { PackageSandbox } from "./sandbox.ts";
import { packPackages, type PackedPackage } from "./tarball.ts";
import type { WorkspacePackage } from "./workspace.ts";

export interface PackageCheck {
  pkg: WorkspacePackage;
  packed: PackedPackage;
  manifest: string[];
  publint: string[];
  attw: AttwResult;
  api: { problems: string[]; comparison: ReportComparison; report: string };
}

export const CHECK_NAMES = ["manifest", "publint", "attw", "api report"] as const;

/** The problems of one check of a package; empty when it passes. */
export function problemsOf(check: PackageCheck, name: (typeof CHECK_NAMES)[number]): string[] {
  switch (name) {
    case "manifest":
      return check.manifest;
    case "publint":
      return check.publint;
    case "attw":
      return check.attw.problems;
    case "api report":
      return [...check.api.problems, ...(check.api.comparison.changed ? [describeReportChange(check.pkg.name, check.api.comparison)] : [])];
  }
}

/** Packs and checks every published package of a built sandbox; API reports compare against `reportRoot`. */
export async function checkPackages(sandbox: PackageSandbox, reportRoot?: string): Promise<PackageCheck[]> {
  const destination = path.join(sandbox.root, ".packed");
  await mkdir(destination, { recursive: true });
  const packages = await sandbox.packages();
  const packed = await packPackages(
    sandbox.root,
    packages.map((pkg) => pkg.folder),
    destination,
  );
  // attw, publint and API Extractor all run in this process (one load of each, TypeScript's included).
  const attw = await Promise.all(packed.map((item) => attwProblems(item)));
  const publint = await Promise.all(packed.map((item) => publintProblems(item)));
  const api: PackageCheck["api"][] = [];
  for (const pkg of packages) {
    const { report, problems } = await extractApi(pkg.folder, pkg.dir);
    api.push({ problems, report, comparison: await compareReport(pkg.dir, report, reportRoot) });
  }
  const attwResults = attw;
  return packages.map((pkg, index) => ({
    pkg,
    packed: packed[index]!,
    manifest: manifestProblems(packed[index]!, pkg.dir),
    publint: publint[index]!,
    attw: attwResults[index]!,
    api: api[index]!,
  }));
}
