/**
 * Global setup of the e2e project: one sandbox copy of the repository with every package built
 * (tsdown and the reference page), shared by the test files that pack, publish or install the
 * packages. Each of them copies the built dist/ folders into a sandbox of its own
 * (`createPackageSandbox({ prebuilt })`), so none of them pays for a build.
 */
import type { TestProject } from "vitest/node";
import { createPackageSandbox } from "../tools/packages/sandbox.ts";
import { ROOT } from "../tools/paths.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** Root of the sandbox whose packages are built. */
    prebuiltPackages: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The reference page of the working tree is reused when it shows the current spec (the
  // sandbox checks that); else it is rendered here.
  const sandbox = await createPackageSandbox({ pageFrom: ROOT });
  try {
    await sandbox.build();
  } catch (error) {
    await sandbox.remove();
    throw error;
  }
  project.provide("prebuiltPackages", sandbox.root);
  return () => sandbox.remove();
}
