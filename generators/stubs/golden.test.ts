import path from "node:path";
import { describe } from "vitest";
import { fixtureSpec, goldenTests, under } from "../test/golden.ts";
import { generate } from "./index.ts";

// The stubs import the golden types, so `pnpm typecheck` compiles both together.
describe("stubs generator: golden files", async () => {
  await goldenTests(path.join(import.meta.dirname, "golden"), under(".", (await generate(await fixtureSpec(), { modelsImport: "../../../types/golden/schemas.gen.ts", root: "." })).files));
});
