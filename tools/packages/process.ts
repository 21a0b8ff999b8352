/**
 * Child processes for the packaging scripts and tests: every run has a time limit, and a failure
 * carries the command and its whole output, so that a red test says what went wrong.
 */
import { spawn, type ChildProcess } from "node:child_process";

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Killed (SIGKILL) after this long; default 120 s. */
  timeoutMs?: number;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly result: RunResult,
  ) {
    super(`${command} exited with ${result.code}\n${formatOutput(result)}`);
  }
}

export function formatOutput({ stdout, stderr }: Pick<RunResult, "stdout" | "stderr">): string {
  const parts = [stdout.trim() && `--- stdout\n${stdout.trim()}`, stderr.trim() && `--- stderr\n${stderr.trim()}`].filter(Boolean);
  return parts.length > 0 ? parts.join("\n") : "(no output)";
}

/** Runs a command to its end; resolves with its exit code and output, whatever the code. */
export function run(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${commandLine(command, args)} did not finish within ${timeoutMs / 1000} s and was killed\n${formatOutput({ stdout, stderr })}`));
    }, timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`${commandLine(command, args)} could not be started: ${error.message}`));
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

/** Runs a command and throws a CommandError (with its output) unless it exits 0. */
export async function runOk(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const result = await run(command, args, options);
  if (result.code !== 0) throw new CommandError(commandLine(command, args), result);
  return result;
}

/** The command as one would type it, for messages. */
export function commandLine(command: string, args: readonly string[]): string {
  return [command, ...args].map((part) => (/^[\w@%+=:,./-]+$/.test(part) ? part : JSON.stringify(part))).join(" ");
}

/**
 * The environment without any npm_* / NPM_* variable. `pnpm <script>` exports its whole
 * configuration that way (the registry included), and a child npm would obey it; processes that
 * must talk to one registry only start from this and add their own settings.
 */
export function environmentWithoutNpmConfig(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^npm_/i.test(key)) env[key] = value;
  return { ...env, ...extra };
}

/** Waits until `ready()` returns a value, the child exits, or the deadline passes (then throws). */
export async function waitFor<T>(
  what: string,
  ready: () => T | undefined | null,
  options: { child?: ChildProcess; timeoutMs: number; output?: () => string },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = ready();
    if (value !== undefined && value !== null) return value;
    const output = options.output ? `\n${options.output()}` : "";
    if (options.child && options.child.exitCode !== null) throw new Error(`${what}: the process exited with ${options.child.exitCode} first${output}`);
    if (Date.now() > deadline) throw new Error(`${what}: gave up after ${options.timeoutMs / 1000} s${output}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Sends SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (null when killed by a signal). */
export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}
