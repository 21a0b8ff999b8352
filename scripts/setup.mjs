#!/usr/bin/env node
// `npm run setup`: the README's first command. It runs with nothing but Node and npm (so it is
// plain JavaScript with no dependencies), installs the pinned pnpm, installs the workspace from
// the lockfile, installs Debian's Chromium (for the browser tests) and redis-server (for the
// multi-instance server tests) when they are missing, and runs the
// main job, `pnpm generate`: lint the spec, regenerate every artifact, build the packages and
// render the API reference. Safe to run again: each step is skipped or idempotent.
//
// `node scripts/setup.mjs --dry-run` checks the prerequisites and prints the steps it would take
// without changing anything (the README test runs it).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
const pnpmVersion = manifest.packageManager.replace(/^pnpm@/, "");
const dryRun = process.argv.includes("--dry-run");
const unknown = process.argv.slice(2).filter((arg) => arg !== "--dry-run");
if (unknown.length > 0) {
  console.error(`setup: unknown option ${unknown.join(" ")}; usage: npm run setup [-- --dry-run]`);
  process.exit(2);
}
// The browser tests drive Debian's Chromium (never a browser Playwright downloads: its hosts are
// not reachable from here). CHROMIUM_PATH points the tests at another binary.
const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
// The scale-out tests start their own redis-server (never a Redis of the machine's); REDIS_SERVER_PATH
// points them at another binary.
const redisServerPath = process.env.REDIS_SERVER_PATH ?? "/usr/bin/redis-server";

/** @param {string} message */
function fail(message) {
  console.error(`\nsetup failed: ${message}`);
  process.exit(1);
}

/**
 * @param {string} title @param {string} command @param {string[]} args @param {object} [options]
 * @param {string} [hint] what to do when the step fails
 */
function step(title, command, args, options = {}, hint = "") {
  console.log(`\n==> ${title}`);
  if (dryRun) {
    console.log(`    would run: ${command} ${args.join(" ")}`);
    return;
  }
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", ...options });
  const advice = hint ? `\n${hint}` : "";
  if (result.error) fail(`${command} ${args.join(" ")}: ${result.error.message}${advice}`);
  if (result.status !== 0) fail(`${command} ${args.join(" ")} exited with ${result.status}${advice}`);
  console.log(`    done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** @param {string} command @returns {string | undefined} */
function versionOf(command) {
  const result = spawnSync(command, ["--version"], { encoding: "utf8" });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  fail(`Node ${process.versions.node} is too old; this project needs Node >= 20.19.`);
}

const java = spawnSync("java", ["-version"], { encoding: "utf8" });
const javaVersion = /version "(\d+)/.exec(`${java.stderr ?? ""}${java.stdout ?? ""}`)?.[1];
if (java.error || !javaVersion) fail("Java 17 or newer is required (OpenAPI Generator renders the server stubs), and `java` is not on PATH.");
if (Number(javaVersion) < 17) fail(`Java ${javaVersion} is too old; OpenAPI Generator needs Java 17 or newer.`);

if (versionOf("pnpm") !== pnpmVersion) {
  step(`Installing pnpm ${pnpmVersion} (npm install --global)`, "npm", ["install", "--global", `pnpm@${pnpmVersion}`]);
  if (!dryRun && versionOf("pnpm") !== pnpmVersion) {
    fail(`pnpm ${pnpmVersion} was installed but "pnpm --version" does not report it; is npm's global bin directory on PATH?`);
  }
} else {
  console.log(`==> pnpm ${pnpmVersion} is already installed`);
}

step("Installing the workspace from the lockfile", "pnpm", ["install", "--frozen-lockfile"]);

/** Debian packages the tests drive, each installed only when its binary is missing. */
const systemPackages = [
  {
    name: "chromium",
    title: "Chromium",
    binary: chromiumPath,
    variable: "CHROMIUM_PATH",
    why: "the browser test of the API reference (packages/spec/test/reference.browser.test.ts) drives Debian's Chromium",
  },
  {
    name: "redis-server",
    title: "redis-server",
    binary: redisServerPath,
    variable: "REDIS_SERVER_PATH",
    why: "the scale-out tests (packages/server/test/redis.integration.test.ts) and `pnpm bench:server` start a real redis-server",
  },
];
const missing = [];
for (const wanted of systemPackages) {
  if (existsSync(wanted.binary)) console.log(`\n==> ${wanted.title} is already installed (${wanted.binary})`);
  else missing.push(wanted);
}
if (missing.length > 0) installDebianPackages(missing);

step("Generating and building every package from the spec (pnpm generate)", "pnpm", ["run", "generate"]);

console.log(dryRun ? "\nDry run: nothing was changed." : "\nReady. Run the tests with: pnpm test");

/**
 * Debian packages the tests need: `apt-get update`, then one `apt-get install -y <names>`, as root
 * or through sudo (which may ask for a password).
 * @param {typeof systemPackages} packages
 */
function installDebianPackages(packages) {
  const names = packages.map((wanted) => wanted.name);
  const why = packages.map((wanted) => wanted.why).join("; ");
  const manual = `Install them yourself (Debian/Ubuntu: \`sudo apt-get install -y ${names.join(" ")}\`) so that ${packages.map((wanted) => wanted.binary).join(" and ")} exist, or set ${packages.map((wanted) => wanted.variable).join(" / ")} to other binaries, then run \`npm run setup\` again.`;
  const what = packages.map((wanted) => wanted.binary).join(" and ");
  if (process.platform !== "linux" || spawnSync("apt-get", ["--version"], { stdio: "ignore" }).status !== 0) {
    fail(`${what} missing and this machine has no apt-get: ${why}. ${manual}`);
  }
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const hasSudo = !isRoot && spawnSync("sudo", ["--version"], { stdio: "ignore" }).status === 0;
  if (!isRoot && !hasSudo) fail(`${what} missing, and installing needs root or sudo, which is not available: ${why}. ${manual}`);
  const [command, prefix] = isRoot ? ["apt-get", []] : ["sudo", ["apt-get"]];
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const via = isRoot ? "apt-get" : "sudo apt-get";
  const hint = `${names.join(" and ")} could not be installed with ${via}; ${why}. ${manual}`;
  const titles = packages.map((wanted) => wanted.title).join(" and ");
  step(`Updating the package lists for ${titles} (${via} update)`, command, [...prefix, "update"], { env }, hint);
  step(`Installing ${titles} for the tests (${via} install -y ${names.join(" ")})`, command, [...prefix, "install", "-y", ...names], { env }, hint);
  for (const wanted of packages) {
    if (!dryRun && !existsSync(wanted.binary)) fail(`apt-get installed ${wanted.name}, but ${wanted.binary} does not exist. ${manual}`);
  }
}
