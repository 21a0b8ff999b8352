/**
 * What the READMEs tell people to run, extracted so that a test can check it: shell commands
 * (inline code and shell blocks that start with pnpm, npm, npx or node) and TypeScript or
 * JavaScript code blocks, with the directives written in an HTML comment right above a block:
 *
 *   <!-- snippet: run -->            type-check it, then run it (and check its printed values)
 *   <!-- snippet: continues -->      it continues the block before it (which declares what it uses)
 *   <!-- snippet: skip (reason) -->  neither, for the stated reason
 *
 * A block without a directive is type-checked. In a block that runs, a line
 * `console.log(<expression>); // <JSON>` (optionally followed by prose) is a doctest: the
 * printed value must equal the JSON.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./paths.ts";

export interface Command {
  /** Repository-relative README path. */
  file: string;
  line: number;
  /** The command as written, placeholders included (`pnpm lint [file...]`). */
  text: string;
  /** Its words without placeholders (`[...]`, `<...>`) and trailing comments. */
  words: string[];
}

export interface Snippet {
  file: string;
  /** Line of the first code line in the README. */
  line: number;
  language: "ts" | "js";
  code: string;
  run: boolean;
  continues: boolean;
  /** Why it is neither checked nor run; set only for `skip`. */
  skip?: string;
}

const COMMAND_START = /^(?:pnpm|npm|npx|node)\s/;
const SHELL_LANGUAGES = new Set(["sh", "bash", "shell", "console", "zsh"]);
const CODE_LANGUAGES: Record<string, "ts" | "js"> = { ts: "ts", typescript: "ts", js: "js", javascript: "js", mjs: "js" };

function words(command: string): string[] {
  const withoutComment = command.replace(/\s+#.*$/, "");
  return withoutComment
    .replace(/\[[^\]]*\]|<[^>]*>/g, " ")
    .split(/\s+/)
    .filter(Boolean);
}

interface Fence {
  language: string;
  start: number;
  lines: string[];
  directive?: string;
}

/** The fenced blocks of a Markdown text, each with the `<!-- snippet: ... -->` directive above it, if any. */
function fences(markdown: string): { fences: Fence[]; prose: Array<{ line: number; text: string }> } {
  const lines = markdown.split("\n");
  const found: Fence[] = [];
  const prose: Array<{ line: number; text: string }> = [];
  let current: Fence | undefined;
  let lastNonBlank = "";
  lines.forEach((text, index) => {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/.exec(text);
    if (current) {
      if (open && open[3] === "" && text.trim().startsWith(open[2]!)) {
        found.push(current);
        current = undefined;
        lastNonBlank = "";
      } else current.lines.push(text);
      return;
    }
    if (open) {
      const directive = /^<!--\s*snippet:\s*(.*?)\s*-->$/.exec(lastNonBlank.trim())?.[1];
      current = { language: open[3]!.toLowerCase(), start: index + 2, lines: [], ...(directive !== undefined ? { directive } : {}) };
      return;
    }
    prose.push({ line: index + 1, text });
    if (text.trim() !== "") lastNonBlank = text;
  });
  if (current) throw new Error(`a code block opened at line ${current.start - 1} is never closed`);
  return { fences: found, prose };
}

/** Every command a README shows: in `inline code` and, line by line, in shell blocks. */
export function commandsIn(markdown: string, file: string): Command[] {
  const { fences: blocks, prose } = fences(markdown);
  const commands: Command[] = [];
  for (const { line, text } of prose) {
    for (const match of text.matchAll(/`([^`\n]+)`/g)) {
      const command = match[1]!.trim();
      if (COMMAND_START.test(command)) commands.push({ file, line, text: command, words: words(command) });
    }
  }
  for (const block of blocks) {
    if (!SHELL_LANGUAGES.has(block.language)) continue;
    block.lines.forEach((raw, index) => {
      const command = raw.trim().replace(/^\$\s+/, "");
      if (COMMAND_START.test(command)) commands.push({ file, line: block.start + index, text: command, words: words(command) });
    });
  }
  return commands.sort((a, b) => a.line - b.line);
}

/** The TypeScript and JavaScript blocks of a README, with their directives. */
export function snippetsIn(markdown: string, file: string): Snippet[] {
  const snippets: Snippet[] = [];
  for (const block of fences(markdown).fences) {
    const language = CODE_LANGUAGES[block.language];
    if (!language) {
      if (block.directive !== undefined) throw new Error(`${file}:${block.start - 1}: a snippet directive above a ${block.language || "plain"} block`);
      continue;
    }
    const snippet: Snippet = { file, line: block.start, language, code: block.lines.join("\n"), run: false, continues: false };
    // "skip (reason)" stands alone (its reason may contain commas); the others combine: "continues, run".
    const skip = /^skip\b\s*(?:\((.*)\)|:(.*))?$/.exec(block.directive ?? "");
    if (skip) {
      const reason = (skip[1] ?? skip[2] ?? "").trim();
      if (reason === "") throw new Error(`${file}:${block.start - 1}: "skip" needs a reason: <!-- snippet: skip (why) -->`);
      snippet.skip = reason;
    } else {
      for (const item of (block.directive ?? "").split(",").map((part) => part.trim()).filter(Boolean)) {
        if (item === "run") snippet.run = true;
        else if (item === "continues") snippet.continues = true;
        else throw new Error(`${file}:${block.start - 1}: unknown snippet directive "${item}" (run, continues, skip (reason))`);
      }
    }
    snippets.push(snippet);
  }
  return snippets;
}

export interface Module {
  /** The snippet this module ends with (its line names the module in messages). */
  snippet: Snippet;
  /** The source: the snippet, after those it continues. */
  code: string;
  /** For each line of `code`, the README line it came from. */
  lines: number[];
}

/**
 * One module per checked snippet; a `continues` snippet is appended to the module of the snippet
 * before it. Each ends with `export {}` so that every module has its own scope.
 */
export function modulesOf(snippets: Snippet[]): Module[] {
  const modules: Module[] = [];
  let previous: Module | undefined;
  for (const snippet of snippets) {
    if (snippet.skip !== undefined) continue;
    const own = snippet.code.split("\n").map((_, index) => snippet.line + index);
    if (snippet.continues && !previous) throw new Error(`${snippet.file}:${snippet.line - 2}: "continues", but no snippet comes before it`);
    const module: Module =
      snippet.continues && previous
        ? { snippet, code: `${previous.code}\n${snippet.code}`, lines: [...previous.lines, ...own] }
        : { snippet, code: snippet.code, lines: own };
    modules.push(module);
    previous = module;
  }
  return modules;
}

/** Parses the JSON at the start of a comment ("[1, 2] and prose" gives [1, 2]); undefined when there is none. */
export function leadingJson(comment: string): { value: unknown } | undefined {
  for (let end = comment.length; end > 0; end--) {
    const rest = comment.slice(end);
    if (rest !== "" && !/^[\s,;(]/.test(rest)) continue;
    try {
      return { value: JSON.parse(comment.slice(0, end)) };
    } catch {
      // Not JSON up to here; try a shorter prefix.
    }
  }
  return undefined;
}

/**
 * The source to run: each doctest line (see the file comment) becomes a check that prints the
 * value and sets exit code 1, naming the README line, when it differs from the comment.
 * Returns how many doctests there are.
 */
export function instrument(module: Module): { code: string; doctests: number } {
  let doctests = 0;
  const lines = module.code.split("\n").map((line, index) => {
    const match = /^(\s*)console\.log\((.+)\);\s*\/\/\s*(.+)$/.exec(line);
    const expected = match ? leadingJson(match[3]!) : undefined;
    if (!match || !expected) return line;
    doctests++;
    const where = `${module.snippet.file}:${module.lines[index]}`;
    return `${match[1]}__readmeExpect(${match[2]}, ${JSON.stringify(expected.value)}, ${JSON.stringify(where)});`;
  });
  // A function declaration: hoisted, so it serves the lines above it. Plain JavaScript, which
  // tsx runs as is in a .ts file too.
  const helper = `
function __readmeExpect(actual, expected, where) {
  const shown = JSON.stringify(actual);
  console.log(typeof actual === "string" ? actual : shown);
  if (shown !== JSON.stringify(expected)) {
    console.error(where + ": printed " + shown + ", the README says " + JSON.stringify(expected));
    process.exitCode = 1;
  }
}
export {};
`;
  return { code: `${lines.join("\n")}\n${helper}`, doctests };
}

/** Every README.md the repository tracks outside node_modules, repository-relative. */
export function readmeFiles(listed: string[]): string[] {
  return listed.filter((file) => path.basename(file) === "README.md" && !file.split("/").includes("node_modules")).sort();
}

export function readRepoFile(file: string): string {
  return readFileSync(path.join(ROOT, file), "utf8");
}

/**
 * Commands that `pnpm <name>` does not run as a script: pnpm 10 hands them to npm (so
 * `pnpm docs` opens the package's web page instead of running the `docs` script), or they are
 * pnpm's own commands. A README must write `pnpm run <name>` for a script of such a name.
 */
export const PNPM_PASSES_TO_NPM = new Set(
  "access adduser bugs deprecate dist-tag docs edit find home info issues login logout owner ping prefix profile pkg repo s se search set-script show star stars team token unpublish unstar v version view whoami xmas".split(" "),
);
export const PNPM_BUILTINS = new Set(
  "add audit bin cat-file cat-index config create dedupe deploy dlx doctor env exec fetch find-hash i import init install install-test it licenses link list ln ls outdated pack patch patch-commit patch-remove prune publish rb rebuild remove rm root self-update server setup store un uninstall unlink up update why".split(" "),
);

/** npm's own commands that a README may name (npm run, test and install are handled apart). */
export const NPM_BUILTINS = new Set("ci config exec explain ls outdated pack ping prefix publish root view whoami".split(" "));

export type Resolution =
  | { kind: "script"; script: string; args: string[] }
  | { kind: "node"; file: string; args: string[] }
  | { kind: "bin"; bin: string; args: string[]; filter?: string }
  | { kind: "install"; packages: string[] }
  | { kind: "builtin"; tool: "pnpm" | "npm"; command: string; args: string[] }
  | { kind: "invalid"; reason: string };

/** What a command refers to, by the rules of pnpm 10 and npm. */
export function resolveCommand(command: Command): Resolution {
  const [tool, first, ...rest] = command.words;
  if (!first) return { kind: "invalid", reason: "no command after the tool" };
  if (tool === "node") return { kind: "node", file: first, args: rest };
  if (tool === "npx") return { kind: "bin", bin: first, args: rest };
  if (tool === "npm") {
    if (first === "run" || first === "run-script") return rest[0] ? { kind: "script", script: rest[0], args: rest.slice(1).filter((word) => word !== "--") } : { kind: "invalid", reason: "npm run without a script" };
    if (first === "test" || first === "start") return { kind: "script", script: first, args: rest };
    if (first === "install" || first === "i") return { kind: "install", packages: rest.filter((word) => !word.startsWith("-")) };
    if (NPM_BUILTINS.has(first)) return { kind: "builtin", tool: "npm", command: first, args: rest };
    return { kind: "invalid", reason: `npm ${first} is not a script; write \`npm run ${first}\`` };
  }
  // pnpm
  if (first === "run") return rest[0] ? { kind: "script", script: rest[0], args: rest.slice(1) } : { kind: "invalid", reason: "pnpm run without a script" };
  if (first === "--filter" || first === "-F") {
    const [filter, verb, bin, ...args] = rest;
    if (verb === "exec" && filter && bin) return { kind: "bin", bin, args, filter };
    return { kind: "invalid", reason: "only `pnpm --filter <package> exec <bin>` is understood" };
  }
  if (PNPM_PASSES_TO_NPM.has(first)) {
    return { kind: "invalid", reason: `\`pnpm ${first}\` runs npm's own "${first}" command, not a script: write \`pnpm run ${first}\`` };
  }
  if (first === "test" || first === "start") return { kind: "script", script: first, args: rest };
  if (PNPM_BUILTINS.has(first)) return { kind: "builtin", tool: "pnpm", command: first, args: rest };
  return { kind: "script", script: first, args: rest };
}
