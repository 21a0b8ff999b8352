/**
 * Global setup of the integration project: every package's dist/ brought up to date with the
 * pipeline's own build step (only packages whose sources changed since their last build are
 * built), before any test file starts. The tests then start `acs-connect-server` as a user does,
 * from its bin and the build, instead of loading each process's sources through a TypeScript
 * loader (about 0.6 s more CPU per process, and the suite starts dozens).
 */
import { buildChanged } from "../../generators/pipeline/build.ts";

export default async function setup(): Promise<void> {
  await buildChanged();
}
