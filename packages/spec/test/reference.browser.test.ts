/**
 * The shipped API reference (`@acs-connect/spec/reference.html`) in a real browser: Debian's
 * Chromium, headless, opening the file from disk as a reader would. Everything it looks for is
 * read from spec/openapi.yaml, so the test follows the spec. Any request that would leave the
 * machine is recorded (and aborted, so the test never depends on the network) and fails the
 * test, as does any console error or uncaught exception. A screenshot of the operation is saved
 * to test-results/reference.png.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { EXTENSIBLE_MARK, SCHEMAS_GROUP, embeddedDefinition, extensibleEnumOf, referenceDocument, type ExtensibleEnum } from "../../../generators/reference/index.ts";
import { launchChromium, type Browser } from "./chromium.ts";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const spec = parse(readFileSync(path.join(ROOT, "spec/openapi.yaml"), "utf8"));
// Resolved through the package's own exports map, as a consumer's require.resolve would.
const PAGE = createRequire(path.join(ROOT, "packages/spec/package.json")).resolve("@acs-connect/spec/reference.html");
const SCREENSHOT = path.join(ROOT, "test-results/reference.png");
const relative = (file: string) => path.relative(ROOT, file);
/** A description as the page shows it: Markdown code spans and emphasis rendered, not spelled out. */
const plain = (markdown: string) => markdown.replace(/`([^`]*)`/g, "$1").replace(/\*\*([^*]+)\*\*/g, "$1").replace(/\s+/g, " ").trim();

const [apiPath, pathItem] = Object.entries<any>(spec.paths)[0]!;
const operation = pathItem.post;
const resolveRef = (node: any): any => (typeof node?.$ref === "string" ? node.$ref.slice(2).split("/").reduce((at: any, key: string) => at?.[key], spec) : node);
const parameters: any[] = operation.parameters.map(resolveRef);
const schemaNames = Object.keys(spec.components.schemas);
const componentEnums = Object.values<any>(spec.components.schemas).map(extensibleEnumOf).filter((found) => found !== undefined);

let browser: Browser | undefined;
let page: Page;
/** Every request to anything but the page itself (file:), inline data (data:), page-made blobs (blob:, e.g. the search worker) or about:. */
const external: string[] = [];
const errors: string[] = [];

/** Waits (bounded) for the first match to be visible; false when it does not become visible in time. */
async function visible(locator: Locator, timeout = 3_000): Promise<boolean> {
  return locator
    .first()
    .waitFor({ state: "visible", timeout })
    .then(() => true)
    .catch(() => false);
}

/** Which of the texts are not visible on the page (or within `scope`). */
async function missing(texts: string[], scope: Page | Locator = page, exact = false): Promise<string[]> {
  const absent: string[] = [];
  for (const text of texts) if (!(await visible(scope.getByText(text, { exact }), 2_000))) absent.push(text);
  return absent;
}

/**
 * What an enum's schema page lacks of its values (each in a table cell of its own) and their
 * descriptions, read from the page's visible text (innerText holds only rendered, visible
 * text) in one go rather than by a lookup per text, each a round trip to the browser and a
 * search of the page. Read again until complete or 5 s have passed: the page renders the
 * schema after the sidebar click, and the enum's mark may already show on the previous page
 * (a property of that type carries it too).
 */
async function enumShown({ name, values }: ExtensibleEnum): Promise<string[]> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const shown = await page.locator("body").innerText({ timeout: 5_000 });
    const cells = new Set(shown.split("\n").flatMap((line) => line.split("\t").map((cell) => cell.trim())));
    const prose = shown.replace(/\s+/g, " ");
    const problems = [
      ...values.filter(({ value }) => !cells.has(value)).map(({ value }) => `${name}: value ${value} not shown in a cell of its own`),
      ...values.filter(({ description }) => !prose.includes(plain(description))).map(({ description }) => `${name}: description "${plain(description)}" not shown`),
    ];
    if (problems.length === 0 || Date.now() > deadline) return problems;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const sidebar = () => page.locator('[data-component-name="Menu/Menu"]').first();

async function openInSidebar(label: string): Promise<void> {
  const entry = sidebar().getByText(label, { exact: true }).first();
  if (!(await visible(entry, 5_000))) throw new Error(`the sidebar has no entry "${label}"`);
  await entry.click({ timeout: 5_000 });
}

/**
 * Set-up failures (no Chromium, no page, a stale page) are rethrown by every test, so that each
 * is reported failed with the reason rather than skipped.
 */
let setupError: unknown;
function ready(): void {
  if (setupError) throw setupError;
}

beforeAll(async () => {
  try {
    await setUp();
  } catch (error) {
    setupError = error;
  }
}, 90_000);

async function setUp(): Promise<void> {
  if (!existsSync(PAGE)) {
    throw new Error(`${relative(PAGE)} is missing: run \`pnpm generate\` (or \`pnpm run docs\`) to render the reference page.`);
  }
  // The page must show the spec as it is now, not as it was at the last render.
  const bundled = JSON.parse(readFileSync(path.join(ROOT, "packages/spec/src/generated/openapi.json"), "utf8"));
  if (JSON.stringify(embeddedDefinition(readFileSync(PAGE, "utf8"))) !== JSON.stringify(referenceDocument(bundled))) {
    throw new Error(`${relative(PAGE)} is stale (it shows another version of the spec): run \`pnpm generate\` or \`pnpm run docs\`.`);
  }

  browser = await launchChromium();
  const { context } = browser;
  context.on("request", (request) => {
    if (!/^(file|data|blob|about):/i.test(request.url())) external.push(`${request.method()} ${request.url()}`);
  });
  // Recorded above, then refused: the test must not depend on (or reach) the network.
  await context.route(/^(https?|wss?|ftp):/i, (route) => route.abort("blockedbyclient"));
  page = context.pages()[0] ?? (await context.newPage());
  page.on("websocket", (socket) => external.push(`WebSocket ${socket.url()}`));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console error: ${message.text()}`);
  });
  page.on("pageerror", (error) => errors.push(`uncaught: ${error.message}`));
  await page.goto(pathToFileURL(PAGE).href, { waitUntil: "load", timeout: 20_000 });
  // Hydrated once the API's title is on screen.
  if (!(await visible(page.getByText(spec.info.title), 15_000))) throw new Error(`the page never showed the API title "${spec.info.title}"`);
}

afterAll(async () => {
  await browser?.close();
});

describe(`the API reference page (${relative(PAGE)}) in headless Chromium`, () => {
  it("shows the Connect operation: summary, path, parameters, headers, security and the named examples", async () => {
    ready();
    await page.getByText(apiPath, { exact: true }).first().click({ timeout: 5_000 });
    expect(await visible(page.getByRole("heading", { name: operation.summary }), 10_000), `heading "${operation.summary}"`).toBe(true);

    const headerNames = parameters.filter((parameter) => parameter.in === "header").map((parameter) => parameter.name);
    expect(headerNames).toContain("Repeatability-Request-ID");
    expect(await missing([apiPath, ...parameters.map((parameter) => parameter.name)], page, true)).toEqual([]);
    expect(await missing(Object.keys(operation.responses["200"].headers), page, true)).toEqual([]);
    // The response header's enum is inline (no schema page of its own): its values, their
    // descriptions and the extensible mark appear here.
    const header = extensibleEnumOf(resolveRef(operation.responses["200"].headers["Repeatability-Result"]).schema)!;
    expect(await missing([`${EXTENSIBLE_MARK} (${header.name})`, ...header.values.map(({ description }) => plain(description))])).toEqual([]);
    expect(await missing(header.values.map(({ value }) => value), page, true)).toEqual([]);

    // Security: the scheme's name in the operation's Security box, and its details.
    const [schemeName] = Object.keys(spec.security[0]);
    const scheme = spec.components.securitySchemes[schemeName!];
    expect(await missing(["Security", schemeName!], page, true)).toEqual([]);
    await page.getByText("View security details").first().click({ timeout: 5_000 });
    try {
      // A modal (without a dialog role) with the scheme's description, shown nowhere else.
      expect(await missing(["Access key (HMAC-SHA256).", "Bearer.", "Header parameter name:", scheme.name])).toEqual([]);
    } finally {
      await page.keyboard.press("Escape");
    }
    expect(await page.getByText("Header parameter name:").count(), "the security details stay open").toBe(0);

    // The named request and response examples, as JSON samples (Redoc expands two levels).
    const shown = await page.locator("body").innerText({ timeout: 5_000 });
    const samples = (value: unknown, depth = 1): string[] =>
      value && typeof value === "object" && !Array.isArray(value)
        ? Object.entries(value).flatMap(([key, child]) =>
            child && typeof child === "object" ? (depth < 2 ? samples(child, depth + 1) : []) : [`"${key}": ${JSON.stringify(child)}`],
          )
        : [];
    const requestExample = operation.requestBody.content["application/json"].examples.Connect.value;
    const responseExample = operation.responses["200"].content["application/json"].examples.Connect.value;
    expect(requestExample.callLocator.roomId).toBe("99434917639286209");
    const expected = [...samples(requestExample), ...samples(responseExample)];
    expect(expected.length).toBeGreaterThan(15);
    expect(expected.filter((line) => !shown.includes(line))).toEqual([]);

    await mkdir(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, timeout: 10_000 });
    console.log(`reference page screenshot: ${SCREENSHOT}`);
  });

  it("shows the callback: its summary, description, request body and bearer-JWT security scheme, and every event schema", async () => {
    ready();
    const callback = Object.values<any>(operation.callbacks)[0]!;
    const callbackOperation = Object.values<any>(callback)[0]!.post;
    await page.getByText(apiPath, { exact: true }).first().click({ timeout: 5_000 });
    expect(await missing(["Callbacks", callbackOperation.summary], page, true)).toEqual([]);
    await page.getByText(callbackOperation.summary, { exact: true }).first().click({ timeout: 5_000 });
    expect(await missing([plain(callbackOperation.description).slice(0, 80), "Callback Request", plain(callbackOperation.requestBody.description)])).toEqual([]);
    // The callback's own scheme (a bearer JWT) is listed with the document's schemes.
    const [schemeName] = Object.keys(callbackOperation.security[0]);
    expect(spec.components.securitySchemes[schemeName!]).toMatchObject({ type: "http", scheme: "bearer" });
    expect(await missing([schemeName!], page, true)).toEqual([]);
    // Every event envelope the discriminator maps, and its payload schema, is a component, so
    // the next test finds it in the sidebar's schema list (which it opens: a second click here
    // would close it again).
    const envelope = resolveRef(callbackOperation.requestBody.content["application/json"].schema.items);
    const mapped = Object.values<string>(envelope.discriminator.mapping).map((ref) => ref.split("/").pop()!);
    const payloads = mapped.map((name) => spec.components.schemas[name].allOf[1].properties.data.allOf[0].$ref.split("/").pop()!);
    expect(mapped.length).toBeGreaterThanOrEqual(11);
    expect([...mapped, ...payloads].filter((name) => !schemaNames.includes(name))).toEqual([]);
  });

  it(`lists every schema, all ${schemaNames.length} of them`, async () => {
    ready();
    expect(schemaNames.length).toBeGreaterThan(0);
    await openInSidebar(SCHEMAS_GROUP);
    expect(await missing(schemaNames, sidebar(), true)).toEqual([]);
  });

  it("shows every enum's values with their descriptions, marked extensible", async () => {
    ready();
    expect(componentEnums.length).toBeGreaterThanOrEqual(10);
    const problems: string[] = [];
    for (const { name, values } of componentEnums) {
      await openInSidebar(name);
      const note = page.getByText(`${EXTENSIBLE_MARK} (${name})`);
      if (!(await visible(note, 5_000))) problems.push(`${name}: no "${EXTENSIBLE_MARK} (${name})" mark`);
      problems.push(...(await enumShown({ name, values })));
    }
    expect(problems).toEqual([]);
  });

  it("made no network request and logged no error", () => {
    ready();
    expect(external, "requests that left the machine").toEqual([]);
    expect(errors).toEqual([]);
  });
});
