import path from "node:path";
import { describe } from "vitest";
import { fixtureSpec, goldenTests, under } from "../test/golden.ts";
import { config } from "./config.ts";
import { generate } from "./index.ts";

describe("runtime generator: golden files", async () => {
  const output = await generate(await fixtureSpec());
  await goldenTests(path.join(import.meta.dirname, "golden"), under(config.outputs.folders![0]!, new Map([...output.files].filter(([file]) => file.startsWith(config.outputs.folders![0]!)))));
});
