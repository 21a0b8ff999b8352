/**
 * Global setup of the e2e project: one sandbox copy of the repository with every package built
 * (the working tree's builds and the reference page), shared by the test files that pack,
 * publish or install the packages. Each of them copies the built dist/ folders into a sandbox of
 * its own (`createPackageSandbox({ prebuilt })`), so none of them pays for a build.
 */
import type { TestProject } from "vitest/node";
import { buildChanged } from "../generators/pipeline/build.ts";
import { createPackageSandbox } from "../tools/packages/sandbox.ts";
import { ROOT } from "../tools/paths.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** Root of the sandbox whose packages are built. */
    prebuiltPackages: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The working tree's builds, brought up to date as `pnpm generate` does (the integration
  // project's set-up did so already when it runs too), are copied rather than made again: the
  // same sources and build configuration give the same dist/. Its reference page is reused when
  // it shows the current spec (the sandbox checks that); else it is rendered here.
  await buildChanged();
  const sandbox = await createPackageSandbox({ prebuilt: ROOT, pageFrom: ROOT });
  try {
    await sandbox.build();
  } catch (error) {
    await sandbox.remove();
    throw error;
  }
  project.provide("prebuiltPackages", sandbox.root);
  return () => sandbox.remove();
}
