import path from "node:path";
import { describe } from "vitest";
import { generate as bundle } from "../bundle/index.ts";
import { fixtureSpec, goldenTests } from "../test/golden.ts";
import { referenceDocument } from "./index.ts";

// What Redocly is given (value descriptions as x-enumDescriptions, extensible marks); the page
// itself is checked in a browser by packages/spec/test/reference.browser.test.ts.
describe("reference generator: golden files", async () => {
  const bundled = JSON.parse([...bundle(await fixtureSpec()).files.values()][0]!);
  await goldenTests(path.join(import.meta.dirname, "golden"), new Map([["reference-document.json", `${JSON.stringify(referenceDocument(bundled), null, 2)}\n`]]));
});
