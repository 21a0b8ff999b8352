/**
 * API reports: API Extractor reads a package's built ESM declarations (`dist/index.d.mts`, then
 * those of each further subpath of its `exports`, e.g. `./redis`) and writes its public
 * TypeScript surface as `<dir>.api.md`, one section per subpath. The committed copy lives in
 * `packages/<dir>/review/`, so every change to a package's surface shows up in review.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { Extractor, ExtractorConfig, ExtractorLogLevel, type ExtractorMessage, type IConfigFile } from "@microsoft/api-extractor";
import { relative } from "../paths.ts";
import { lineDiff } from "./diff.ts";
import { apiReportPath } from "./workspace.ts";

export interface ExtractedApi {
  /** The report API Extractor wrote for the built package. */
  report: string;
  /** Warnings and errors worth a reader's attention (a forgotten export, a broken declaration). */
  problems: string[];
}

/**
 * Runs API Extractor on `<folder>/dist/index.d.mts` and on the ESM declarations of every other
 * module subpath in `exports` (the package must be built), and returns the report text: the
 * main entry's report, then one section per subpath. Nothing is written outside
 * `<folder>/.api-extractor/` (removed afterwards).
 */
export async function extractApi(folder: string, dir: string): Promise<ExtractedApi> {
  const main = await extractEntry(folder, dir, "dist/index.d.mts");
  let report = main.report;
  const problems = [...main.problems];
  for (const [subpath, declarations] of await subpathDeclarations(folder)) {
    const extracted = await extractEntry(folder, dir, declarations);
    report += `\n# Subpath \`${subpath}\`\n\n${extracted.report}`;
    problems.push(...extracted.problems.map((problem) => `${subpath}: ${problem}`));
  }
  return { report, problems };
}

/** The module subpaths of `exports` besides `.`, each with its ESM declaration file. */
async function subpathDeclarations(folder: string): Promise<Array<[string, string]>> {
  const manifest = JSON.parse(await readFile(path.join(folder, "package.json"), "utf8")) as { exports?: Record<string, unknown> };
  const found: Array<[string, string]> = [];
  for (const [subpath, value] of Object.entries(manifest.exports ?? {})) {
    if (subpath === "." || typeof value !== "object" || value === null) continue;
    const types = (value as { import?: { types?: unknown } }).import?.types;
    if (typeof types === "string" && types.endsWith(".d.mts")) found.push([subpath, types.replace(/^\.\//, "")]);
  }
  return found;
}

/** One entry point's report, from `<folder>/<declarations>`. */
async function extractEntry(folder: string, dir: string, declarations: string): Promise<ExtractedApi> {
  const entry = path.join(folder, declarations);
  if (!existsSync(entry)) throw new Error(`${entry} does not exist: build the package first`);
  const work = path.join(folder, ".api-extractor");
  await mkdir(work, { recursive: true });
  const configObject: IConfigFile = {
    projectFolder: folder,
    mainEntryPointFilePath: `<projectFolder>/${declarations}`,
    // The declarations are self-contained apart from their dependencies and Node's types; an
    // explicit file list keeps the analysis off src/ and test/.
    compiler: {
      overrideTsconfig: {
        compilerOptions: {
          target: "es2022",
          module: "nodenext",
          moduleResolution: "nodenext",
          lib: ["es2023", "dom", "dom.iterable"],
          types: ["node"],
          strict: true,
          skipLibCheck: true,
        },
        files: [declarations],
      },
    },
    apiReport: {
      enabled: true,
      reportFileName: `${dir}.api.md`,
      reportFolder: work,
      reportTempFolder: path.join(work, "temp"),
      includeForgottenExports: false,
    },
    docModel: { enabled: false },
    dtsRollup: { enabled: false },
    tsdocMetadata: { enabled: false },
    // Reports are committed: the same bytes on every machine.
    newlineKind: "lf",
    messages: {
      compilerMessageReporting: { default: { logLevel: ExtractorLogLevel.Warning } },
      extractorMessageReporting: {
        default: { logLevel: ExtractorLogLevel.Warning, addToApiReportFile: false },
        // The packages have one audience and no @public/@beta/@alpha staging, so release tags
        // would be noise on every declaration.
        "ae-missing-release-tag": { logLevel: ExtractorLogLevel.None },
        // Documentation coverage is the docs' concern; the report records shapes.
        "ae-undocumented": { logLevel: ExtractorLogLevel.None },
      },
      // The generated types carry openapi-typescript's JSDoc (@description, @enum, `{...}`
      // examples), which is valid JSDoc but not TSDoc; TSDoc syntax is not part of the surface.
      tsdocMessageReporting: { default: { logLevel: ExtractorLogLevel.None } },
    },
  };
  const config = ExtractorConfig.prepare({
    configObject,
    configObjectFullPath: path.join(folder, "api-extractor.json"),
    packageJsonFullPath: path.join(folder, "package.json"),
  });
  const problems: string[] = [];
  try {
    const result = Extractor.invoke(config, {
      // "Local" mode writes the report instead of comparing it; the comparison is ours.
      localBuild: true,
      messageCallback: (message: ExtractorMessage) => {
        message.handled = true;
        // Its own notices (the bundled TypeScript version, "report created") are not problems.
        if (message.category === "console") return;
        if (message.logLevel === ExtractorLogLevel.Warning || message.logLevel === ExtractorLogLevel.Error) {
          const where = message.sourceFilePath ? ` (${path.basename(message.sourceFilePath)}:${message.sourceFileLine ?? "?"})` : "";
          problems.push(`${message.messageId}: ${message.text}${where}`);
        }
      },
    });
    const file = path.join(work, `${dir}.api.md`);
    if (!existsSync(file)) throw new Error(`API Extractor wrote no report for ${dir} (errors: ${result.errorCount}): ${problems.join("; ")}`);
    return { report: await readFile(file, "utf8"), problems };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export interface ReportComparison {
  file: string;
  committed: string | undefined;
  changed: boolean;
  /** A line diff from the committed report to the current one; empty when unchanged. */
  diff: string;
}

/** Compares a freshly extracted report with the committed one of `packages/<dir>/review/`. */
export async function compareReport(dir: string, report: string, root?: string): Promise<ReportComparison> {
  const file = apiReportPath(dir, root);
  const committed = existsSync(file) ? await readFile(file, "utf8") : undefined;
  const changed = committed !== report;
  return { file, committed, changed, diff: changed ? lineDiff(committed ?? "", report) : "" };
}

/** The message a failing API check prints: what to run, and what changed. */
export function describeReportChange(name: string, comparison: ReportComparison): string {
  const what = comparison.committed === undefined ? `has no committed API report (${relative(comparison.file)})` : `changed its public API`;
  return [
    `${name} ${what}. If the change is intended, run \`pnpm api:report\` and commit ${relative(comparison.file)}.`,
    comparison.committed === undefined ? "" : `Changes (- committed, + now):\n${comparison.diff}`,
  ]
    .filter(Boolean)
    .join("\n");
}
