#!/usr/bin/env node
// `npm run setup`: the README's first command. It runs with nothing but Node and npm (so it is
// plain JavaScript with no dependencies), installs the pinned pnpm, installs the workspace from
// the lockfile and runs the main job, `pnpm generate`: lint the spec, regenerate every artifact
// and build the packages. Safe to run again: each step is skipped or idempotent.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
const pnpmVersion = manifest.packageManager.replace(/^pnpm@/, "");

/** @param {string} message */
function fail(message) {
  console.error(`\nsetup failed: ${message}`);
  process.exit(1);
}

/** @param {string} title @param {string} command @param {string[]} args @param {object} [options] */
function step(title, command, args, options = {}) {
  console.log(`\n==> ${title}`);
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", ...options });
  if (result.error) fail(`${command} ${args.join(" ")}: ${result.error.message}`);
  if (result.status !== 0) fail(`${command} ${args.join(" ")} exited with ${result.status}`);
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
  const java = spawnSync("java", ["-version"], { encoding: "utf8" });
const javaVersion = /version "(\d+)/.exec(`${java.stderr ?? ""}${java.stdout ?? ""}`)?.[1];
if (java.error || !javaVersion) fail("Java 17 or newer is required (OpenAPI Generator renders the server stubs), and `java` is not on PATH.");
if (Number(javaVersion) < 17) fail(`Java ${javaVersion} is too old; OpenAPI Generator needs Java 17 or newer.`);

if (versionOf("pnpm") !== pnpmVersion) {
    fail(`pnpm ${pnpmVersion} was installed but "pnpm --version" does not report it; is npm's global bin directory on PATH?`);
  }
} else {
  console.log(`==> pnpm ${pnpmVersion} is already installed`);
}

step("Installing the workspace from the lockfile", "pnpm", ["install", "--frozen-lockfile"]);
step("Generating and building every package from the spec (pnpm generate)", "pnpm", ["run", "generate"]);

console.log("\nReady. Run the tests with: pnpm test");
