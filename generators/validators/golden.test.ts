import path from "node:path";
import { describe } from "vitest";
import { fixtureSpec, goldenTests } from "../test/golden.ts";
import { config } from "./config.ts";
import { generate } from "./index.ts";

describe("validators generator: golden files", async () => {
  const output = await generate(await fixtureSpec());
  // One golden folder per package the generator writes into (golden/server/, golden/callbacks/).
  const byPackage = new Map(
    [...output.files].map(([file, content]) => {
      const folder = config.outputs.folders!.find((candidate) => file.startsWith(`${candidate}/`))!;
      return [`${folder.split("/")[1]}/${path.posix.relative(folder, file)}`, content] as const;
    }),
  );
  await goldenTests(path.join(import.meta.dirname, "golden"), byPackage);
});
