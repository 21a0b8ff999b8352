/**
 * The steps of `pnpm release` that talk to a registry: which one npm is configured for, what is
 * already there, publishing, and a check afterwards that each version arrived.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import getChangesets from "@changesets/read";
import { ROOT } from "../paths.ts";
import { CommandError, commandLine, run } from "./process.ts";
import { publishedPackages } from "./workspace.ts";

/** The registry npm (and so `pnpm publish`) would use here: user/project .npmrc and npm_config_* env included. */
export async function configuredRegistry(env: NodeJS.ProcessEnv = process.env, cwd = ROOT): Promise<string> {
  const result = await run("npm", ["config", "get", "registry"], { cwd, env, timeoutMs: 30_000 });
  const registry = result.stdout.trim();
  if (result.code !== 0 || !/^https?:\/\//.test(registry)) throw new CommandError("npm config get registry", result);
  return registry.endsWith("/") ? registry : `${registry}/`;
}

/** The names of changeset files not yet consumed by `changeset version`. */
export async function pendingChangesets(root = ROOT): Promise<string[]> {
  return (await getChangesets(root)).map((changeset) => `.changeset/${changeset.id}.md`);
}

/**
 * The versions of a package in the registry; empty when the registry does not know the package.
 *
 * Read with one anonymous GET of the package's metadata (what `npm view` requests), which
 * public registries and a local Verdaccio answer; a registry that wants credentials for it
 * (401, 403) is asked through `npm view`, which sends the ones npm is configured with. One npm
 * process per package cost about half a second of CPU, and a release asks for each package twice.
 */
export async function registryVersions(name: string, registry: string, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const base = registry.endsWith("/") ? registry : `${registry}/`;
  const response = await fetch(new URL(name.replace("/", "%2f"), base), {
    headers: { accept: "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8" },
    signal: AbortSignal.timeout(30_000),
  }).catch(() => undefined);
  if (response?.status === 404) return [];
  if (response?.ok) {
    const metadata = (await response.json()) as { versions?: Record<string, unknown> };
    return Object.keys(metadata.versions ?? {});
  }
  await response?.body?.cancel();
  return npmViewVersions(name, registry, env);
}

async function npmViewVersions(name: string, registry: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const args = ["view", name, "versions", "--json", `--registry=${registry}`];
  const result = await run("npm", args, { cwd: ROOT, env, timeoutMs: 60_000 });
  if (result.code !== 0) {
    if (/\bE404\b/.test(result.stdout + result.stderr)) return [];
    throw new CommandError(commandLine("npm", args), result);
  }
  const parsed = JSON.parse(result.stdout || "[]") as string | string[];
  return Array.isArray(parsed) ? parsed : [parsed];
}

export interface PlannedRelease {
  name: string;
  version: string;
  /** True when the registry already has this version (publishing skips it). */
  published: boolean;
}

/** Each published package at its current version, and whether the registry already has it. */
export async function releasePlan(registry: string, env: NodeJS.ProcessEnv = process.env, root = ROOT): Promise<PlannedRelease[]> {
  const packages = await publishedPackages(root);
  return Promise.all(
    packages.map(async ({ name, manifest }) => ({
      name,
      version: manifest.version,
      published: (await registryVersions(name, registry, env)).includes(manifest.version),
    })),
  );
}

/**
 * Publishes the named workspace packages to the registry with one recursive `pnpm publish`:
 * `workspace:` ranges become the real versions, `access` is public (scoped packages are private
 * on npm otherwise; .changeset/config.json says the same) and a version the registry already
 * has is skipped. Then, with `gitTag`, each package's `<name>@<version>` git tag is created
 * (the tags `changeset publish` makes), unless it exists. `changeset publish` did the same with
 * a `pnpm --version`, one or two `npm info` and a `pnpm publish` per package: about 4 s of CPU
 * each. Output goes to the terminal; resolves with the exit code.
 */
export async function publishPackages(options: {
  packages: ReadonlyArray<{ name: string; version: string }>;
  registry: string;
  gitTag: boolean;
  env?: NodeJS.ProcessEnv;
  root?: string;
}): Promise<number> {
  const root = options.root ?? ROOT;
  const env = options.env ?? process.env;
  const filters = options.packages.flatMap(({ name }) => ["--filter", name]);
  const code = await inherit("pnpm", ["--recursive", ...filters, "publish", "--access", "public", "--no-git-checks", `--registry=${options.registry}`], root, env);
  if (code !== 0 || !options.gitTag) return code;
  return tagPackages(options.packages, root, env);
}

/**
 * Creates the `<name>@<version>` git tag of each package, annotated as changesets makes them (so
 * that `git push --follow-tags` pushes them); a tag that exists is left as it is. Resolves with
 * git's exit code.
 */
export async function tagPackages(packages: ReadonlyArray<{ name: string; version: string }>, root = ROOT, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  for (const { name, version } of packages) {
    const tag = `${name}@${version}`;
    if ((await run("git", ["rev-parse", "--verify", "--quiet", `refs/tags/${tag}`], { cwd: root, env, timeoutMs: 30_000 })).code === 0) continue;
    const created = await inherit("git", ["tag", "--annotate", "--message", tag, tag], root, env);
    if (created !== 0) return created;
    console.log(`New tag:  ${tag}`);
  }
  return 0;
}

/** Runs a command with its output on the terminal; resolves with its exit code. */
function inherit(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<number> {
  const child = spawn(command, args, { cwd, env, stdio: ["ignore", "inherit", "inherit"] });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve(code ?? 1));
  });
}
