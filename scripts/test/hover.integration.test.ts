/**
 * Documentation as a consumer's editor shows it: the published packages are packed with pnpm,
 * unpacked into a temporary node_modules, and the TypeScript language service hovers a consumer
 * file that imports them. The bundled declarations once put each property's `/** … *\/` at the
 * end of the previous property's line, where TypeScript attaches it to nothing, and dropped every
 * `@packageDocumentation`; both only show in the built, packed output, so that is what this reads.
 *
 * The packages must be built (`pnpm generate`); the expected texts come from the bundled spec
 * and from each package's source, never typed here.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packPackages } from "../../tools/packages/tarball.ts";
import { publishedPackages, type WorkspacePackage } from "../../tools/packages/workspace.ts";
import { ROOT } from "../../tools/paths.ts";

interface SchemaObject {
  properties?: Record<string, { description?: string; format?: string }>;
}
const bundled = JSON.parse(await readFile(path.join(ROOT, "packages/spec/src/generated/openapi.json"), "utf8")) as {
  components: { schemas: Record<string, SchemaObject> };
};
const schemas = bundled.components.schemas;
const packages = await publishedPackages();

/** One property access in the consumer file, and what its hover must say. */
interface Probe {
  schema: string;
  property: string;
  description: string;
  /** Offset of the property name in the consumer file. */
  offset: number;
}

// Markdown collapses runs of white space, and openapi-typescript re-indents continuation lines.
const normalize = (text: string) => text.replace(/\s+/g, " ").trim();

/** What a hover shows as the symbol's description: its documentation and its `@description` tags. */
function describedAs(info: ts.QuickInfo | undefined): string {
  if (!info) return "";
  const parts = [ts.displayPartsToString(info.documentation)];
  for (const tag of info.tags ?? []) if (tag.name === "description") parts.push(ts.displayPartsToString(tag.text));
  return normalize(parts.join(" "));
}

/** The text of a `/** … *\/` comment without its delimiters and leading asterisks. */
function jsDocText(comment: string): string {
  return normalize(
    comment
      .replace(/^\/\*\*|\*\/$/g, "")
      .split("\n")
      .map((line) => line.replace(/^\s*\* ?/, ""))
      .join("\n"),
  );
}

/** The first JSDoc comment at the top of a file: where API Extractor looks for `@packageDocumentation`. */
function leadingJsDoc(text: string): string | undefined {
  const range = (ts.getLeadingCommentRanges(text, 0) ?? []).find((candidate) => text.startsWith("/**", candidate.pos));
  return range && text.slice(range.pos, range.end);
}

/** An ES module consumer resolves the `import` condition (.d.mts), a CommonJS one `require` (.d.cts). */
const CONSUMERS = [
  { file: "consumer.mts", declarations: "dist/index.d.mts" },
  { file: "consumer.cts", declarations: "dist/index.d.cts" },
];

let temp: string;
let consumerText: string;
let probes: Probe[];
let service: ts.LanguageService;
const installed = new Map<string, string>();

beforeAll(async () => {
  temp = await mkdtemp(path.join(os.tmpdir(), "acs-hover-"));
  const missing = packages.filter((pkg) => !existsSync(path.join(pkg.folder, "dist/index.d.mts")));
  if (missing.length > 0) throw new Error(`${missing.map((pkg) => pkg.name).join(", ")} not built: run \`pnpm generate\` first`);
  // The exact bytes npm would publish (files list, rewritten workspace ranges), unpacked as a
  // package manager would place them.
  const tarballs = path.join(temp, "tarballs");
  await mkdir(tarballs);
  // One `pnpm --recursive pack` for all of them: one pnpm start instead of one per package.
  const packed = await packPackages(ROOT, packages.map((pkg) => pkg.folder), tarballs);
  for (const [index, pkg] of packages.entries()) {
    const target = path.join(temp, "node_modules", pkg.name);
    installed.set(pkg.name, target);
    for (const entry of packed[index]!.entries.values()) {
      const file = path.join(target, entry.path);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, entry.data);
    }
  }

  // One variable per schema type and one access per documented property, so every hover is
  // on a property in use, whatever its position in its object.
  probes = [];
  const typed = Object.entries(schemas).filter(([, schema]) => Object.keys(schema.properties ?? {}).length > 0);
  let text = `import type { ${typed.map(([name]) => name).join(", ")} } from "@acs-connect/types";\n`;
  for (const [name, schema] of typed) {
    text += `declare const the${name}: ${name};\n`;
    for (const [property, { description, format }] of Object.entries(schema.properties ?? {})) {
      if (description === undefined) continue;
      const access = `the${name}[${JSON.stringify(property)}];\n`;
      // openapi-typescript opens the comment of a property with a format with "Format: <format>".
      const shown = format === undefined ? description : `Format: ${format} ${description}`;
      probes.push({ schema: name, property, description: shown, offset: text.length + access.indexOf(JSON.stringify(property)) + 1 });
      text += access;
    }
  }
  // Every package is imported, so that one the consumer cannot resolve fails the first check.
  for (const pkg of packages) text += `import * as ${pkg.dir}Package from "${pkg.name}";\n`;
  consumerText = text;
  for (const consumer of CONSUMERS) await writeFile(path.join(temp, consumer.file), text);

  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host: ts.LanguageServiceHost = {
    getCompilationSettings: () => options,
    getScriptFileNames: () => CONSUMERS.map((consumer) => path.join(temp, consumer.file)),
    getScriptVersion: () => "1",
    getScriptSnapshot: (file) => {
      const content = ts.sys.readFile(file);
      return content === undefined ? undefined : ts.ScriptSnapshot.fromString(content);
    },
    getCurrentDirectory: () => temp,
    getDefaultLibFileName: (compilerOptions) => ts.getDefaultLibFilePath(compilerOptions),
    fileExists: ts.sys.fileExists,
    readFile: ts.sys.readFile,
    readDirectory: ts.sys.readDirectory,
    directoryExists: ts.sys.directoryExists,
    getDirectories: ts.sys.getDirectories,
    realpath: ts.sys.realpath,
  };
  service = ts.createLanguageService(host, ts.createDocumentRegistry());
}, 120_000);

afterAll(async () => {
  service?.dispose();
  if (temp) await rm(temp, { recursive: true, force: true });
});

describe.each(CONSUMERS)("$file", ({ file, declarations }) => {
  const consumerFile = () => path.join(temp, file);

  it(`resolves every package from the unpacked tarballs, @acs-connect/types to its ${declarations}`, () => {
    const unresolved = service.getSemanticDiagnostics(consumerFile()).filter((diagnostic) => diagnostic.code === 2307);
    expect(unresolved.map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"))).toEqual([]);
    const loaded = service.getProgram()!.getSourceFiles().map((source) => source.fileName);
    expect(loaded).toContain(path.join(installed.get("@acs-connect/types")!, declarations));
  });

  it("shows the spec's description on hover of ConnectRequest.operationContext, which is not the first property", () => {
    const probe = probes.find((candidate) => candidate.schema === "ConnectRequest" && candidate.property === "operationContext");
    expect(probe, "spec/openapi.yaml documents ConnectRequest.operationContext").toBeDefined();
    expect(Object.keys(schemas.ConnectRequest!.properties!).indexOf("operationContext")).toBeGreaterThan(0);
    expect(consumerText.slice(probe!.offset, probe!.offset + "operationContext".length)).toBe("operationContext");
    expect(describedAs(service.getQuickInfoAtPosition(consumerFile(), probe!.offset))).toBe(normalize(probe!.description));
  });

  it("shows the spec's description on hover of every documented schema property", () => {
    expect(probes.length).toBeGreaterThan(0);
    const shown = probes.map((probe) => {
      const hover = describedAs(service.getQuickInfoAtPosition(consumerFile(), probe.offset));
      // A property of a polymorphic type is one per subtype: TypeScript shows each subtype's documentation, here all the same.
      const once = normalize(probe.description);
      const repeated = hover.length > once.length && hover.split(once).every((rest) => rest.trim() === "");
      return { at: `${probe.schema}.${probe.property}`, hover: repeated ? once : hover };
    });
    expect(shown).toEqual(probes.map((probe) => ({ at: `${probe.schema}.${probe.property}`, hover: normalize(probe.description) })));
  });
});

describe.each(packages.map((pkg): [string, WorkspacePackage] => [pkg.name, pkg]))("%s", (name, pkg) => {
  it("ships its @packageDocumentation at the top of both declaration files", async () => {
    const source = leadingJsDoc(await readFile(path.join(pkg.folder, "src/index.ts"), "utf8"));
    expect(source, `${pkg.dir}/src/index.ts starts with its package documentation`).toMatch(/@packageDocumentation/);
    for (const file of ["dist/index.d.mts", "dist/index.d.cts"]) {
      const published = leadingJsDoc(await readFile(path.join(installed.get(name)!, file), "utf8"));
      expect(published && jsDocText(published), `${name}/${file}`).toBe(jsDocText(source!));
    }
  });
});
