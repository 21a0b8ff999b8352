/**
 * The reference page's build (generators/reference/index.ts, `pnpm run docs`, the docs stage of
 * `pnpm generate`): the document Redocly is given, the scan for anything remote, determinism,
 * and the commands, the latter in a sandbox copy of the repository.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  EXTENSIBLE_MARK,
  embeddedDefinition,
  extensibleEnums,
  externalResources,
  inlineRemoteAssets,
  referenceDocument,
  renderReference,
} from "../../generators/reference/index.ts";
import { run } from "../../tools/packages/process.ts";
import { ROOT, SPEC_FILE } from "../../tools/paths.ts";
import { createSandbox, type Sandbox } from "../../tools/sandbox.ts";

const spec = parse(readFileSync(SPEC_FILE, "utf8"));
const bundled = JSON.parse(readFileSync(path.join(ROOT, "packages/spec/src/generated/openapi.json"), "utf8"));
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("the document Redocly renders", () => {
  const copy = referenceDocument(bundled);

  it("gives every extensible enum an x-enumDescriptions map from x-ms-enum.values, and marks it extensible", () => {
    const enums = extensibleEnums(bundled);
    // Every enum component schema and the Repeatability-Result header's inline schema.
    expect(enums.map((found) => found.name).sort()).toEqual(
      [...Object.values<any>(spec.components.schemas).filter((schema) => schema["x-ms-enum"]).map((schema) => schema["x-ms-enum"].name), "RepeatabilityResult"].sort(),
    );
    expect(enums).toHaveLength(Object.values<any>(spec.components.schemas).filter((schema) => schema["x-ms-enum"]).length + 1);
    for (const { at, values, name } of enums) {
      const node = at
        .slice(2)
        .split("/")
        .reduce((parent: any, key) => parent[key], copy);
      expect(node["x-enumDescriptions"], at).toEqual(Object.fromEntries(values.map(({ value, description }) => [value, description])));
      expect(Object.keys(node["x-enumDescriptions"]), at).toEqual(node.enum);
      expect(node.description, at).toContain(`**${EXTENSIBLE_MARK}** (\`${name}\`)`);
    }
  });

  it("marks the properties, parameters and headers of an enum type too, whose own description Redoc shows instead", () => {
    const schemas = copy.components as any;
    expect(schemas.schemas.CallLocator.properties.kind.description).toMatch(/^The call locator kind\.\n\n\*\*Extensible enum\*\* \(`CallLocatorKind`\)/);
    expect(schemas.schemas.MediaStreamingSubscription.properties.subscribedContentTypes.description).toContain("(`MediaStreamingContentType`)");
    expect(schemas.headers.RepeatabilityResult.description).toContain("(`RepeatabilityResult`)");
    // Not an enum: untouched.
    expect(schemas.schemas.ConnectRequest.properties.callbackUri.description).toBe("The callback URI.");
    expect(schemas.parameters.RepeatabilityRequestId.description).toBe(bundled.components.parameters.RepeatabilityRequestId.description);
  });

  it("changes nothing else: not the input, not the examples, not the structure", () => {
    const before = JSON.stringify(bundled);
    const again = referenceDocument(bundled);
    expect(JSON.stringify(bundled)).toBe(before);
    expect(again).toEqual(copy);
    const strip = (node: unknown): unknown =>
      Array.isArray(node)
        ? node.map(strip)
        : node && typeof node === "object"
          ? Object.fromEntries(Object.entries(node).filter(([key]) => key !== "description" && key !== "x-enumDescriptions").map(([key, value]) => [key, strip(value)]))
          : node;
    expect(strip(copy)).toEqual(strip(bundled));
    const media = (document: any) => document.paths["/calling/callConnections:connect"].post.requestBody.content["application/json"];
    expect(media(copy).examples).toEqual(media(bundled).examples);
  });

  it("keeps an x-enumDescriptions map the author wrote", () => {
    const document = {
      openapi: "3.0.3",
      components: {
        schemas: {
          Color: { type: "string", enum: ["red"], "x-enumDescriptions": { red: "Own words." }, "x-ms-enum": { name: "Color", modelAsString: true, values: [{ value: "red", description: "Spec words." }] } },
          // A closed enum (modelAsString false) is not extensible: no mark.
          Fixed: { type: "string", description: "Closed.", enum: ["a"], "x-ms-enum": { name: "Fixed", modelAsString: false } },
        },
      },
    };
    const rendered = referenceDocument(document) as any;
    expect(rendered.components.schemas.Color["x-enumDescriptions"]).toEqual({ red: "Own words." });
    expect(rendered.components.schemas.Fixed.description).toBe("Closed.");
  });
});

describe("externalResources", () => {
  it("finds everything that would load from elsewhere", () => {
    const cases = [
      '<script src="https://cdn.example/redoc.js"></script>',
      "<script defer src=//cdn.example/x.js></script>",
      '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">',
      '<link rel="icon" href="//example.com/favicon.ico">',
      '<img alt="logo" src="https://example.com/logo.png">',
      '<img srcset="a.png 1x, https://example.com/b.png 2x">',
      "<style>@font-face{src:url(https://example.com/font.woff2)}</style>",
      "<style>@import url('https://example.com/x.css');</style>",
      "<style>body{background:url( \"//example.com/bg.png\" )}</style>",
      "const logo = `https://cdn.redoc.ly/redoc/logo-mini.svg`;",
      'fetch("https://fonts.gstatic.com/s/roboto.woff")',
    ];
    for (const html of cases) expect(externalResources(html), html).not.toEqual([]);
  });

  it("lets links, inline data and the spec's own example URLs be", () => {
    const html = [
      '<a href="https://opensource.org/license/mit">MIT</a>',
      '<script type="module">const x = "https://contoso.communications.azure.com/callback";</script>',
      '<img src="data:image/svg+xml,%3Csvg%2F%3E">',
      "<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>",
    ].join("\n");
    expect(externalResources(html)).toEqual([]);
  });

  it("inlineRemoteAssets replaces Redoc's logo and icon-set URLs", () => {
    const html = "a=`https://cdn.redoc.ly/redoc/logo-mini-full.svg`;b=`https://cdn.redoc.ly/redoc/logo-mini.svg`;c={fa:`https://cdn.redocly.com/icons/fa/7.0.0`}";
    const inlined = inlineRemoteAssets(html);
    expect(externalResources(html)).toHaveLength(3);
    expect(externalResources(inlined)).toEqual([]);
    expect(inlined).toMatch(/a=`data:image\/svg\+xml,[^`]*Redocly[^`]*`/);
  });
});

describe("renderReference", () => {
  it("renders a self-contained page embedding the reference document, the same bytes every time", async () => {
    const [first, second] = await Promise.all([renderReference(bundled), renderReference(bundled)]);
    expect(sha256(second.html)).toBe(sha256(first.html));
    expect(externalResources(first.html)).toEqual([]);
    expect(first.html).not.toMatch(/<script[^>]*\ssrc=/i);
    expect(embeddedDefinition(first.html)).toEqual(referenceDocument(bundled));
    // Redoc's own telemetry (an OpenTelemetry exporter in the inlined bundle) is switched off.
    expect(first.html).toMatch(/const __redoc_options = \{[^\n]*"disableTelemetry":true/);
  }, 60_000);

  it("reports Redocly's failure", async () => {
    await expect(renderReference({ openapi: "3.0.3" })).rejects.toThrow(/^redocly build-docs failed \(exit code 1\):/);
  }, 60_000);
});

describe("the commands, in a sandbox copy", () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await createSandbox();
  });
  afterAll(async () => {
    await sandbox?.remove();
  });

  it("pnpm run docs --out <file> writes there; an unknown option is refused", async () => {
    const out = path.join(sandbox.root, ".tmp/elsewhere/page.html");
    const result = await sandbox.script("docs", ["--out", out]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^docs: \.tmp\/elsewhere\/page\.html \(2\.\d MB, self-contained\) from spec\/openapi\.yaml in \d+\.\d\d s$/m);
    expect(result.stdout).toContain(`open file://${out}`);
    expect(externalResources(await readFile(out, "utf8"))).toEqual([]);

    const wrong = await sandbox.script("docs", ["--bogus"]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("usage: pnpm run docs [--out <file>]");
  }, 60_000);

  it("pnpm generate prints a docs stage and writes the page into the built package; --no-build skips both", async () => {
    const page = path.join(sandbox.root, "packages/spec/dist/reference.html");
    const skipped = await sandbox.script("generate.mjs", ["--no-build"]);
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(skipped.stdout).not.toMatch(/^ {2}(build|docs) /m);
    expect(existsSync(page)).toBe(false);

    const result = await sandbox.script("generate.mjs");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^ {2}build\s+\d+\.\d\d s {2}@acs-connect\/callbacks, @acs-connect\/client/m);
    // The sandbox shares node_modules (and so the stage cache) with the repository: the page is
    // rendered afresh or taken from the cache, whichever a previous `pnpm generate` left.
    expect(result.stdout).toMatch(
      /^ {2}docs\s+\d+\.\d\d s {2}(?:\(unchanged\) )?packages\/spec\/dist\/reference\.html \(2\.\d MB, self-contained(?:; rendered alongside the stages above)?\)$/m,
    );
    // After the build (tsdown empties dist/ first), beside the package's own output.
    expect(existsSync(page)).toBe(true);
    expect(existsSync(path.join(sandbox.root, "packages/spec/dist/index.mjs"))).toBe(true);
    const html = await readFile(page, "utf8");
    expect(embeddedDefinition(html)).toEqual(referenceDocument(bundled));
    // How long it took is a figure for `pnpm bench:generate`, not an assertion: on a shared
    // machine the same run takes 15 s or 30 s.
    expect(result.stdout).toMatch(/^generate: done in [\d.]+ s/m);

    // A rebuild outside \`pnpm generate\` (the test suite's set-up, after a package's source
    // changed) keeps the page that tsdown's emptying of dist/ would remove.
    const index = path.join(sandbox.root, "packages/spec/src/index.ts");
    await writeFile(index, `${await readFile(index, "utf8")}\nexport const editedByDocsTest = true;\n`);
    const rebuild = await run(process.execPath, ["--import", "tsx", "--input-type=module", "--eval", 'await (await import("./scripts/test/setup.ts")).default();'], { cwd: sandbox.root, timeoutMs: 60_000 });
    expect(rebuild.code, rebuild.stderr).toBe(0);
    expect(await readFile(path.join(sandbox.root, "packages/spec/dist/index.mjs"), "utf8")).toContain("editedByDocsTest");
    expect(await readFile(page, "utf8")).toBe(html);
  }, 120_000);
});
