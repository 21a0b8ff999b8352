/**
 * `pnpm release [--dry-run] [--publish-only] [--no-git-tag]`
 *
 * Publishes the `@acs-connect/*` packages at their current (shared) version, after
 * `pnpm changeset version` has been run and committed:
 *
 *   1. `pnpm generate`: lint the spec, regenerate, build every package;
 *   2. `pnpm test`: type-check, check:generated, every test (packaging checks included);
 *   3. `pnpm publish` of the packages whose version the registry lacks, to the registry npm is
 *      configured for (`npm config get registry`: .npmrc files and npm_config_* variables
 *      decide), `workspace:` ranges replaced by the real versions;
 *   4. checks that every version is now in the registry and prints what was published.
 *
 * It stops at the first failing step. `--dry-run` runs steps 1-2 and lists what step 3 would
 * publish; `--publish-only` skips steps 1-2 (to finish a publish that failed half-way after the
 * checks passed, or when the caller built and tested already, as the registry test does);
 * `--no-git-tag` does not create the `<name>@<version>` git tags (the ones `changeset publish`
 * would create, which `pnpm spec:diff` compares against).
 */
import { spawnSync } from "node:child_process";
import { ROOT } from "../tools/paths.ts";
import { configuredRegistry, publishPackages, pendingChangesets, registryVersions, releasePlan } from "../tools/packages/release.ts";

const OPTIONS = ["--dry-run", "--publish-only", "--no-git-tag"];
const args = process.argv.slice(2);
const unknown = args.filter((arg) => !OPTIONS.includes(arg));
if (unknown.length > 0) {
  console.error(`release: unknown argument ${unknown.join(" ")}; usage: pnpm release [${OPTIONS.join("] [")}]`);
  process.exit(2);
}
const dryRun = args.includes("--dry-run");
const publishOnly = args.includes("--publish-only");
const gitTag = !args.includes("--no-git-tag");

function stop(message: string, nothingPublished = true): never {
  console.error(`\nrelease: stopped: ${message}${nothingPublished ? "\nNothing was published." : ""}`);
  process.exit(1);
}

const pending = await pendingChangesets();
if (pending.length > 0) {
  stop(`${pending.length} changeset(s) not yet applied (${pending.join(", ")}). Run \`pnpm changeset version\`, review and commit the new versions and CHANGELOGs, then release.`);
}

const registry = await configuredRegistry().catch((error: unknown) => stop(`cannot tell which registry npm uses: ${error instanceof Error ? error.message : String(error)}`));
console.log(`release: registry ${registry}`);

if (!publishOnly) {
  for (const script of ["generate", "test"]) {
    console.log(`\n==> pnpm ${script}`);
    const result = spawnSync("pnpm", ["run", script], { cwd: ROOT, stdio: "inherit" });
    if (result.error) stop(`pnpm ${script} could not be started: ${result.error.message}`);
    if (result.status !== 0) stop(`\`pnpm ${script}\` failed (exit ${result.status ?? result.signal}).`);
  }
}

const plan = await releasePlan(registry).catch((error: unknown) => stop(`cannot read ${registry}: ${error instanceof Error ? error.message : String(error)}`));
const versions = new Set(plan.map((item) => item.version));
if (versions.size !== 1) {
  stop(`the packages do not share one version (${plan.map((item) => `${item.name}@${item.version}`).join(", ")}); they are one fixed group in .changeset/config.json.`);
}
const toPublish = plan.filter((item) => !item.published);
console.log(`\nrelease: ${dryRun ? "would publish" : "publishing"} to ${registry}`);
for (const item of plan) console.log(`  ${item.name}@${item.version}  ${item.published ? "already in the registry, skipped" : "new"}`);
if (toPublish.length === 0) {
  console.log("release: nothing to publish.");
  process.exit(0);
}
if (dryRun) {
  console.log("release --dry-run: stopping before `pnpm publish`.");
  process.exit(0);
}

console.log("\n==> pnpm publish");
const code = await publishPackages({ packages: toPublish, registry, gitTag });
if (code !== 0) stop(`publishing failed (exit ${code}). Packages its output lists as published are in the registry; fix the cause and run \`pnpm release --publish-only\` to publish the rest.`, false);

// Trust the registry, not the tool's log: every new version must now be there.
const arrived = await Promise.all(toPublish.map(async (item) => (await registryVersions(item.name, registry)).includes(item.version)));
const missing = toPublish.filter((_, index) => !arrived[index]).map((item) => `${item.name}@${item.version}`);
if (missing.length > 0) {
  console.error(`\nrelease: ${registry} does not list ${missing.join(", ")} after publishing.`);
  process.exit(1);
}
console.log(`\nrelease: published to ${registry}`);
for (const item of toPublish) console.log(`  ${item.name}@${item.version}`);
if (gitTag) console.log("release: tagged the release; push the tags with `git push --follow-tags`.");
