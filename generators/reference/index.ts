/**
 * The API reference page: a self-contained HTML file rendered by Redocly (`build-docs
 * --inlineBundle`, Redoc 3) from the bundled document, shipped as
 * `@acs-connect/spec/reference.html` (packages/spec/dist/reference.html).
 *
 * Redocly gets a transformed copy of the bundled document, never spec/openapi.yaml itself:
 * - each enum's value descriptions, which the spec keeps in `x-ms-enum.values`, become the
 *   `x-enumDescriptions` map Redoc renders as a value/description table;
 * - every enum, and every parameter, header or property whose schema is one, gets a sentence
 *   saying that the enum is extensible (`modelAsString: true`), since Redoc shows nothing for
 *   `x-ms-enum`. Properties need it too because Redoc shows a property's own description
 *   instead of the referenced enum's.
 *
 * The page must load nothing from the network (it is opened from disk, often offline): the
 * scripts are inlined, the remote assets Redoc 3 names (see {@link inlineRemoteAssets}) are
 * replaced by inline ones, and the result is scanned for anything that would still load from
 * elsewhere. A browser test (packages/spec/test/reference.browser.test.ts) checks the same
 * with the network log. Redocly's output is deterministic: the same document gives the same
 * bytes.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { enumOf, referencedEnum as coreReferencedEnum, type EnumInfo } from "../../core/src/index.ts";
import { ROOT } from "../../tools/paths.ts";

/** Where `pnpm run docs` and `pnpm generate` put the page: the `./reference.html` export of @acs-connect/spec. */
export const REFERENCE_FILE = path.join(ROOT, "packages/spec/dist/reference.html");

/** The sidebar group that lists every schema of `components.schemas` (Redoc's `schemaDefinitionsTagName`). */
export const SCHEMAS_GROUP = "Schemas";

/** The sentence start that marks an enum as extensible on the page; the enum's name follows in parentheses. */
export const EXTENSIBLE_MARK = "Extensible enum";

export function extensibleNote(name: string): string {
  return `**${EXTENSIBLE_MARK}** (\`${name}\`): the service may add values that are not listed here; clients must accept them.`;
}

type JsonObject = { [key: string]: unknown };

const isObject = (value: unknown): value is JsonObject => typeof value === "object" && value !== null && !Array.isArray(value);

export interface ExtensibleEnum {
  /** `x-ms-enum.name`, or "enum" when the spec gives none. */
  name: string;
  values: Array<{ value: string; description: string }>;
}

/** The core's reading of an enum a schema declares, when it is extensible, in the page's terms. */
function asExtensible(info: EnumInfo | undefined): ExtensibleEnum | undefined {
  if (!info?.extensible) return undefined;
  return { name: info.name ?? "enum", values: info.values.map(({ value, description }) => ({ value: String(value), description })) };
}

/** The extensible enum a schema declares itself. */
export function extensibleEnumOf(schema: unknown): ExtensibleEnum | undefined {
  return asExtensible(enumOf(schema));
}

/** The extensible enum a schema stands for through a `$ref`, a one-member `allOf` or an array's items. */
function referencedEnum(document: JsonObject, schema: unknown): ExtensibleEnum | undefined {
  return asExtensible(coreReferencedEnum(document, schema));
}

const appendParagraph = (description: unknown, paragraph: string) =>
  typeof description === "string" && description.trim() !== "" ? `${description.trimEnd()}\n\n${paragraph}` : paragraph;

/** Values of these keys are payloads or extension data, never schemas: left exactly as written. */
const OPAQUE_KEYS = new Set(["example", "examples", "default", "enum", "x-ms-enum", "x-enumDescriptions"]);
/** Maps keyed by names (a property or response may well be called "default" or "example"): every value is visited. */
const NAMED_MAPS = new Set(["properties", "patternProperties", "schemas", "responses", "headers", "parameters", "requestBodies", "securitySchemes", "paths", "content"]);

/** The children of a node that may hold schemas, parameters or headers. */
function* children(node: JsonObject): Generator<[string, unknown]> {
  for (const [key, value] of Object.entries(node)) {
    if (NAMED_MAPS.has(key) && isObject(value)) for (const [name, child] of Object.entries(value)) yield [`${key}/${name}`, child];
    else if (!OPAQUE_KEYS.has(key)) yield [key, value];
  }
}

/**
 * The copy of the bundled document that Redocly renders (see the file comment). The input is
 * not modified.
 */
export function referenceDocument(bundled: unknown): JsonObject {
  if (!isObject(bundled)) throw new TypeError("the bundled OpenAPI document must be a JSON object");
  const document = structuredClone(bundled);
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (!isObject(node)) return;
    const own = extensibleEnumOf(node);
    if (own) {
      // An author-written map wins; otherwise derive it from x-ms-enum.values.
      node["x-enumDescriptions"] ??= Object.fromEntries(own.values.map(({ value, description }) => [value, description]));
      node.description = appendParagraph(node.description, extensibleNote(own.name));
    } else if (typeof node.description === "string") {
      // A property (allOf/$ref/array of an enum) or a parameter or header (its `schema`).
      const referenced = referencedEnum(document, node) ?? (isObject(node.schema) ? (extensibleEnumOf(node.schema) ?? referencedEnum(document, node.schema)) : undefined);
      if (referenced) node.description = appendParagraph(node.description, extensibleNote(referenced.name));
    }
    for (const [, child] of children(node)) visit(child);
  };
  visit(document);
  return document;
}

/** Every extensible enum of the document, by where it is declared (components or inline), for tests and summaries. */
export function extensibleEnums(document: unknown): Array<ExtensibleEnum & { at: string }> {
  const found: Array<ExtensibleEnum & { at: string }> = [];
  const visit = (node: unknown, at: string): void => {
    if (Array.isArray(node)) return node.forEach((item, index) => visit(item, `${at}/${index}`));
    if (!isObject(node)) return;
    const own = extensibleEnumOf(node);
    if (own) found.push({ ...own, at });
    for (const [key, child] of children(node)) visit(child, `${at}/${key}`);
  };
  visit(document, "#");
  return found;
}

/** Inline stand-ins for the Redocly attribution logos Redoc 3 would fetch from cdn.redoc.ly. */
const LOGOS: Record<string, string> = {
  "logo-mini-full": svgDataUri(
    `<svg xmlns="http://www.w3.org/2000/svg" width="52" height="14" viewBox="0 0 52 14"><text x="0" y="11" font-family="sans-serif" font-size="12" font-weight="600" fill="#0044d4">Redocly</text></svg>`,
  ),
  "logo-mini": svgDataUri(
    `<svg xmlns="http://www.w3.org/2000/svg" width="14" height="14" viewBox="0 0 14 14"><text x="2" y="11" font-family="sans-serif" font-size="12" font-weight="700" fill="#0044d4">R</text></svg>`,
  ),
};

/**
 * Redoc 3's bundle names two kinds of remote asset: the attribution logos (an `<img>` it adds
 * after hydration) and icon-set base URLs (for Markdoc and sidebar icons, which this page does
 * not use). The logos become inline SVGs; the icon bases become an empty `data:` URL, so an
 * icon could at worst come out blank, never be fetched. Anything else remote that a new Redocly
 * version adds is caught by {@link externalResources}.
 */
export function inlineRemoteAssets(html: string): string {
  return html
    .replace(/https:\/\/cdn\.redoc\.ly\/redoc\/(logo-mini(?:-full)?)\.svg/g, (match, name: string) => LOGOS[name] ?? match)
    .replace(/https:\/\/cdn\.redocly\.com\/icons\/[\w.-]+\/[\w.-]+/g, "data:,");
}

function svgDataUri(svg: string): string {
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}

/** Hosts that serve scripts, styles or fonts: no mention of them may remain in the page. */
const CDN_HOSTS = [
  "cdn.redoc.ly",
  "cdn.redocly.com",
  "cdn.jsdelivr.net",
  "unpkg.com",
  "cdnjs.cloudflare.com",
  "esm.sh",
  "cdn.skypack.dev",
  "fonts.googleapis.com",
  "fonts.gstatic.com",
  "use.typekit.net",
];

/**
 * What in the HTML would make a browser load something from the network: `<script src>`,
 * `<link href>`, `<img>`/`<iframe>`/`<source>` sources and `srcset`, CSS `url()` and `@import`
 * of remote addresses, font files, and any mention of a CDN or web-font host (Redoc sets some
 * sources from script, so a host inside the inlined bundle counts too). Plain hyperlinks
 * (`<a href>`) and strings such as the spec's own example URLs load nothing and are allowed.
 */
export function externalResources(html: string): string[] {
  const remote = String.raw`(?:https?:)?//`;
  const patterns: RegExp[] = [
    new RegExp(String.raw`<script\b[^>]*\bsrc\s*=\s*["']?[^"'\s>]+`, "gi"),
    new RegExp(String.raw`<link\b[^>]*\bhref\s*=\s*["']?${remote}[^"'\s>]+`, "gi"),
    new RegExp(String.raw`<(?:img|iframe|source|video|audio|embed|object)\b[^>]*\b(?:src|data)\s*=\s*["']?${remote}[^"'\s>]+`, "gi"),
    new RegExp(String.raw`\bsrcset\s*=\s*["'][^"']*${remote}[^"']*`, "gi"),
    new RegExp(String.raw`url\(\s*["']?${remote}[^)"']+`, "gi"),
    new RegExp(String.raw`@import\s+(?:url\()?\s*["']?${remote}[^"')\s;]+`, "gi"),
    new RegExp(String.raw`${remote}[^"'\s)]+\.(?:woff2?|ttf|otf|eot)\b`, "gi"),
    new RegExp(String.raw`${remote}(?:${CDN_HOSTS.map((host) => host.replaceAll(".", String.raw`\.`)).join("|")})[^"'\s)\x60]*`, "gi"),
  ];
  const found = new Set<string>();
  for (const pattern of patterns) for (const match of html.matchAll(pattern)) found.add(match[0].slice(0, 200));
  return [...found];
}

export interface RenderedReference {
  html: string;
  ms: number;
}

const require = createRequire(import.meta.url);

/** Redocly CLI's entry point; run with this Node (no shell, no npx). */
function redoclyCli(): string {
  return path.join(path.dirname(require.resolve("@redocly/cli/package.json", { paths: [ROOT] })), "bin/cli.js");
}

/**
 * Renders the reference page of a bundled document. Redocly's CLI is started as a child process
 * (its bundle has no public Node API for build-docs; it takes about 0.5 s), with telemetry and
 * update checks off, in a scratch folder so that no redocly.yaml is picked up by accident.
 * Throws, with Redocly's output, when the render fails or the page would load anything from the
 * network.
 */
export async function renderReference(bundled: unknown, options: { signal?: AbortSignal } = {}): Promise<RenderedReference> {
  const started = performance.now();
  const document = referenceDocument(bundled);
  const info = isObject(document.info) ? document.info : {};
  const title = `${String(info.title ?? "API")} (${String(info.version ?? "")}): API reference`;
  const scratchRoot = path.join(ROOT, ".tmp");
  await mkdir(scratchRoot, { recursive: true });
  const scratch = await mkdtemp(path.join(scratchRoot, "docs-"));
  try {
    const input = path.join(scratch, "openapi.json");
    const output = path.join(scratch, "reference.html");
    await writeFile(input, `${JSON.stringify(document, null, 2)}\n`);
    const args = [
      // A one-off run of code that runs once: the optimizing compiler would cost more than it saves (about 10% of the CPU).
      "--no-turbofan",
      redoclyCli(),
      "build-docs",
      input,
      "--inlineBundle",
      "--output",
      output,
      "--title",
      title,
      `--openapi.schemaDefinitionsTagName=${SCHEMAS_GROUP}`,
    ];
    const result = await new Promise<{ code: number | null; output: string; error?: Error & { code?: unknown } }>((resolve) => {
      execFile(
        process.execPath,
        args,
        {
          cwd: scratch,
          env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", NO_COLOR: "1" },
          timeout: 60_000,
          maxBuffer: 16 * 1024 * 1024,
          ...(options.signal ? { signal: options.signal } : {}),
        },
        (error, stdout, stderr) =>
          resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, output: `${stdout}${stderr}`, ...(error ? { error } : {}) }),
      );
    });
    if (result.code !== 0) {
      // Without the boxed notice Redocly prints on Node 20 (that support is ending), which is noise here.
      const output = result.output
        .split("\n")
        .filter((line) => !/[║╔╚═]/.test(line))
        .join("\n")
        .trim();
      const why = typeof result.error?.code === "number" || !result.error ? `exit code ${result.code}` : result.error.message.split("\n")[0];
      throw new Error(`redocly build-docs failed (${why}):\n${output}`);
    }
    let html = await readFile(output, "utf8");
    html = inlineRemoteAssets(html);
    const external = externalResources(html);
    if (external.length > 0) {
      throw new Error(
        `the rendered reference page would load from the network:\n  ${external.join("\n  ")}\n` +
          "Redocly's output changed; inline or remove these in generators/reference/index.ts.",
      );
    }
    return { html, ms: performance.now() - started };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Writes the page atomically (a temporary file renamed into place), so that a reader, such as
 * the browser test while `pnpm run docs` runs, never sees half a file.
 */
export async function writeReference(html: string, file = REFERENCE_FILE): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  await writeFile(temporary, html);
  await rename(temporary, file);
}

/** "2.5 MB" */
export function formatSize(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.round(bytes / 1024)} kB`;
}

/**
 * The document a page embeds (Redoc's `__redoc_definition`), to tell whether a page on disk
 * matches the current spec.
 */
export function embeddedDefinition(html: string): unknown {
  const match = /const __redoc_definition = (.*);\n/.exec(html);
  if (!match) throw new Error("the page embeds no __redoc_definition: not a Redocly build-docs page?");
  return JSON.parse(match[1]!);
}
