/**
 * The mock's controls, for `acs-connect-server`: choose the answer with `Prefer` (`code=`,
 * `example=`, `dynamic=true`), drive the call's callback events (`callback=`,
 * `disconnect-after=`), inject faults (latency, 503 with Retry-After, dropped connections), log
 * one line per request, and list and end the connections the mock created on admin paths.
 * Internal to the CLI: not exported from the package.
 *
 * Everything about the contract (statuses, named examples, the response schema) is read at run
 * time from the bundled document (`@acs-connect/spec`) and the generated route table, so a
 * change to the spec changes what the controls offer without an edit here.
 *
 * Extension point: each preference is one entry of `PREFERENCES` (a parser of its value and
 * parameters) and is applied either around the pipeline (faults, in `wrap`) or inside the
 * handler (answers and callbacks, in `connect`).
 */
import { randomInt, randomUUID } from "node:crypto";
import { STATUS_CODES } from "node:http";
import spec from "@acs-connect/spec";
import type { CallConnectionProperties, ConnectRequest, ResultInformation } from "@acs-connect/types";
import { generateSync } from "json-schema-faker";
import { ServiceError, errorResponse, type ErrorDetail, type OutgoingResponse } from "./errors.ts";
import { BodyTooLargeError, type IncomingExchange } from "./exchange.ts";
import { routes, type ConnectHandler, type Route } from "./generated/stubs/index.ts";
import type { ConnectContext, CoreHandler } from "./handler.ts";
import type { CallbackPlan, MockCallbacks } from "./mock-callbacks.ts";

/** A range of milliseconds, both ends included. */
export interface MsRange {
  min: number;
  max: number;
}

/** How the controls are configured (the CLI's `--latency`, `--fail-rate`, ... flags). */
export interface MockControlsOptions {
  /** The handler that answers when no `Prefer` chooses the answer. */
  connect: ConnectHandler<ConnectContext>;
  /** Seeds `dynamic=true` so that a run's sequence of generated answers repeats. */
  seed?: number | undefined;
  /** Delay added to every request. */
  latency?: MsRange | undefined;
  /** Share of requests (0..1) answered 503 with Retry-After, unexecuted. */
  failRate?: number | undefined;
  /** Share of requests (0..1) executed and then answered by destroying the connection. */
  dropRate?: number | undefined;
  /** The delay a fault's 503 asks for, in ms (Retry-After in whole seconds, retry-after-ms exact). */
  retryAfterMs?: number | undefined;
  /** Serve `GET /admin/connections` and `POST /admin/connections/{callConnectionId}:disconnect`. */
  admin?: boolean | undefined;
  /** Where the call's events go after a Connect; without it `callback=` and `disconnect-after=` are refused. */
  callbacks?: MockCallbacks | undefined;
  /** The request log: one line per request, as text or JSON, or none. */
  log?: "text" | "json" | "off" | undefined;
  /** Where log lines go. */
  write?: ((line: string) => void) | undefined;
  /** The random source for faults, for tests (default: crypto-random). */
  random?: (() => number) | undefined;
}

/** The admin path listing the connections the mock created. */
export const ADMIN_CONNECTIONS_PATH = "/admin/connections";
/** `POST /admin/connections/{callConnectionId}:disconnect` ends a call (its CallDisconnected is sent). */
const ADMIN_DISCONNECT = /^\/admin\/connections\/([^/]+):disconnect$/;
/** The admin disconnect's optional JSON body is small: a `resultInformation`. */
const MAX_ADMIN_BODY_BYTES = 4096;

const MAX_RECORDED = 1_000;
/** The listing's share of memory: a caller controls how large each connection is (its callbackUri). */
const MAX_RECORDED_BYTES = 16 * 1024 * 1024;

/** One connection the mock created. */
export interface RecordedConnection {
  createdAt: string;
  requestId: string;
  connection: CallConnectionProperties;
}

/**
 * The connections created, oldest first, bounded by count and by bytes so that a long run or a
 * flood of large requests cannot exhaust memory; the oldest go first.
 */
class ConnectionRegistry {
  readonly entries: RecordedConnection[] = [];
  private readonly sizes: number[] = [];
  private bytes = 0;
  total = 0;
  record(requestId: string, connection: CallConnectionProperties): void {
    this.total++;
    const size = JSON.stringify(connection).length;
    if (size > MAX_RECORDED_BYTES) return;
    this.entries.push({ createdAt: new Date().toISOString(), requestId, connection });
    this.sizes.push(size);
    this.bytes += size;
    while (this.entries.length > MAX_RECORDED || this.bytes > MAX_RECORDED_BYTES) {
      this.entries.shift();
      this.bytes -= this.sizes.shift()!;
    }
  }
}

/** A preference's value checker: the parsed value, or the reason it cannot be used. Parameters are the `; name=value` pairs after it. */
type PreferenceParser = (value: string, parameters: ReadonlyMap<string, string>) => { value: unknown } | { problem: string };

const rate = (value: string) => {
  const n = Number(value);
  return value !== "" && Number.isFinite(n) && n >= 0 && n <= 1 ? { value: n } : { problem: "a number from 0 to 1" };
};

/** The first event a Connect's callbacks can start with, or none; type-checked against the generated event names. */
const FIRST_EVENTS = ["CallConnected", "ConnectFailed", "none"] as const satisfies readonly CallbackPlan["first"][];
/** The parameters that set a callback event's `resultInformation`. */
const RESULT_PARAMETERS = { "result-code": "code", "result-subcode": "subCode", "result-message": "message" } as const;
const INT32_MAX = 2 ** 31 - 1;

/** `result-code`, `result-subcode`, `result-message` parameters as a partial `resultInformation` (undefined when none is given). */
function resultOf(parameters: ReadonlyMap<string, string>): { value: Partial<ResultInformation> | undefined } | { problem: string } {
  const result: Partial<Record<"code" | "subCode" | "message", unknown>> = {};
  for (const [parameter, field] of Object.entries(RESULT_PARAMETERS)) {
    const text = parameters.get(parameter);
    if (text === undefined) continue;
    if (field === "message") {
      if (text.length > 1024) return { problem: `given with a ${parameter} of at most 1024 characters` };
      result.message = text;
    } else {
      const n = Number(text);
      if (!/^\d{1,10}$/.test(text) || n > INT32_MAX) return { problem: `given with a ${parameter} that is a whole number from 0 to ${INT32_MAX}` };
      result[field] = n;
    }
  }
  return { value: Object.keys(result).length === 0 ? undefined : (result as Partial<ResultInformation>) };
}

/** Parses `2s`, `500ms` or `500` (milliseconds), at most 10 minutes, or undefined. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d{1,9})(ms|s)?$/.exec(text.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * (match[2] === "s" ? 1000 : 1);
  return ms <= 600_000 ? ms : undefined;
}

/**
 * The preferences the mock understands. Others are ignored, as RFC 7240 asks of a server that
 * does not know a preference (e.g. `return=minimal` from a generic HTTP client).
 */
const PREFERENCES: Record<string, PreferenceParser> = {
  code: (value) => (/^\d{3}$/.test(value) ? { value: Number(value) } : { problem: "a three-digit status" }),
  example: (value) => ({ value }),
  dynamic: (value) => (value === "true" || value === "false" ? { value: value === "true" } : { problem: "true or false" }),
  latency: (value) => {
    const range = parseMsRange(value);
    return range ? { value: range } : { problem: "milliseconds, e.g. 100 or 50..200" };
  },
  fail: rate,
  drop: rate,
  callback: (value, parameters) => {
    const first = FIRST_EVENTS.find((name) => name === value);
    if (!first) return { problem: `one of ${FIRST_EVENTS.join(", ")}` };
    const result = resultOf(parameters);
    return "problem" in result ? result : { value: { first, result: result.value } };
  },
  "disconnect-after": (value, parameters) => {
    const ms = parseDuration(value);
    if (ms === undefined) return { problem: "a duration of at most 10 minutes, e.g. 2s, 500ms or 500 (milliseconds)" };
    const result = resultOf(parameters);
    return "problem" in result ? result : { value: { ms, result: result.value } };
  },
};
/** The preferences whose parameters mean something (and are echoed in Preference-Applied). */
const WITH_PARAMETERS = new Set(["callback", "disconnect-after"]);

/** Parses `100` or `50..200` (milliseconds, at most 60 s), or undefined. */
export function parseMsRange(text: string): MsRange | undefined {
  const match = /^(\d+)(?:\.\.(\d+))?$/.exec(text.trim());
  if (!match) return undefined;
  const min = Number(match[1]);
  const max = Number(match[2] ?? match[1]);
  return max >= min && max <= 60_000 ? { min, max } : undefined;
}

/** A parsed `Prefer` header: the known preferences, or the first one that cannot be satisfied. */
interface Preferences {
  values: Map<string, unknown>;
  /** The raw `name=value` text of each known preference, for Preference-Applied. */
  raw: Map<string, string>;
}

/** Splits on `separator` outside double-quoted strings (a quoted `result-message` may hold commas). */
function splitUnquoted(text: string, separator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === "\\" && quoted) i++;
    else if (char === '"') quoted = !quoted;
    else if (char === separator && !quoted) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** `name=value` or `name="quoted \\"value\\""` or `name` (value "true"), with the name lower-cased. */
function nameAndValue(token: string): [string, string] {
  const equals = token.indexOf("=");
  const name = (equals === -1 ? token : token.slice(0, equals)).trim().toLowerCase();
  const raw = equals === -1 ? "true" : token.slice(equals + 1).trim();
  const value = /^"(.*)"$/s.test(raw) ? raw.slice(1, -1).replace(/\\(.)/gs, "$1") : raw;
  return [name, value];
}

/** Reads `Prefer` (RFC 7240): comma-separated `name[=value]`, each with optional `; parameter=value`s. */
function parsePrefer(header: string | undefined): Preferences | ServiceError {
  const values = new Map<string, unknown>();
  const raw = new Map<string, string>();
  if (header === undefined) return { values, raw };
  for (const item of splitUnquoted(header, ",")) {
    const [token = "", ...rest] = splitUnquoted(item, ";");
    const [name, value] = nameAndValue(token);
    const parser = PREFERENCES[name];
    if (!parser) continue;
    const parameters = new Map(rest.map(nameAndValue).filter(([parameter]) => parameter !== ""));
    const parsed = parser(value, parameters);
    if ("problem" in parsed) {
      return unsatisfiable(`Prefer ${name}=${value} cannot be applied: ${name} must be ${parsed.problem}.`, name);
    }
    values.set(name, parsed.value);
    raw.set(name, WITH_PARAMETERS.has(name) ? [`${name}=${token.slice(token.indexOf("=") + 1).trim()}`, ...rest.map((part) => part.trim())].join("; ") : `${name}=${value}`);
  }
  return { values, raw };
}

const unsatisfiable = (message: string, preference: string, details?: ErrorDetail[]): ServiceError =>
  new ServiceError(422, "UnsatisfiablePreference", message, { target: `Prefer ${preference}`, details });

/** A named example of one of the operation's responses, as the bundled document gives it. */
interface NamedExample {
  name: string;
  /** The response key it belongs to: a status such as "200", a range such as "4XX", or "default". */
  response: string;
  value: unknown;
}

/** What the spec says about one operation's answers. */
interface OperationAnswers {
  route: Route;
  examples: NamedExample[];
  /** The success status and its schema name (for `dynamic=true`). */
  success: { status: number; schema: string | undefined } | undefined;
  responseKeys: string[];
}

type JsonObject = Record<string, unknown>;

/** Follows a local `$ref` in the bundled document. */
export function deref(node: unknown): unknown {
  let current = node;
  for (let hops = 0; hops < 16 && current && typeof current === "object" && typeof (current as JsonObject).$ref === "string"; hops++) {
    const pointer = ((current as JsonObject).$ref as string).replace(/^#\//, "").split("/");
    let target: unknown = spec;
    for (const part of pointer) target = (target as JsonObject | undefined)?.[part.replace(/~1/g, "/").replace(/~0/g, "~")];
    current = target;
  }
  return current;
}

function answersOf(route: Route): OperationAnswers {
  const operation = deref((spec.paths as JsonObject)[route.path] && ((spec.paths as Record<string, JsonObject>)[route.path]![route.method.toLowerCase()] as JsonObject)) as
    | JsonObject
    | undefined;
  const responses = (operation?.responses ?? {}) as JsonObject;
  const examples: NamedExample[] = [];
  for (const [key, node] of Object.entries(responses)) {
    const content = ((deref(node) as JsonObject | undefined)?.content ?? {}) as Record<string, JsonObject>;
    for (const media of Object.values(content)) {
      for (const [name, example] of Object.entries((media.examples ?? {}) as JsonObject)) {
        examples.push({ name, response: key, value: (deref(example) as JsonObject | undefined)?.value });
      }
    }
  }
  const ok = route.responses.find((response) => typeof response.status === "number" && response.status < 300);
  return {
    route,
    examples,
    success: ok && typeof ok.status === "number" ? { status: ok.status, schema: "schema" in ok ? (ok.schema as string | undefined) : undefined } : undefined,
    responseKeys: Object.keys(responses),
  };
}

/** `Bad Request` → `BadRequest`: how the spec names its error examples and codes. */
const reasonName = (status: number): string => (STATUS_CODES[status] ?? "Error").replace(/[^A-Za-z]/g, "");

/** The status a named example of the `default` response stands for: the one whose reason phrase it is named after. */
function statusOfName(name: string): number | undefined {
  for (const [code, reason] of Object.entries(STATUS_CODES)) {
    if (reason && reason.replace(/[^A-Za-z]/g, "").toLowerCase() === name.toLowerCase()) return Number(code);
  }
  return undefined;
}

/** Which response key of the spec covers a status: the status itself, its range, or `default`. */
function responseKeyFor(answers: OperationAnswers, status: number): string | undefined {
  const exact = String(status);
  if (answers.responseKeys.includes(exact)) return exact;
  const range = `${exact[0]}XX`;
  if (answers.responseKeys.includes(range)) return range;
  // `default` stands for every status the operation does not list, errors in practice: a 2xx or
  // 3xx through `default` would be a success without the success schema.
  return status >= 400 && status <= 599 && answers.responseKeys.includes("default") ? "default" : undefined;
}

function allowedCodes(answers: OperationAnswers): string {
  const listed = answers.responseKeys.filter((key) => key !== "default");
  return [...listed, ...(answers.responseKeys.includes("default") ? ["400-599 (default)"] : [])].join(", ");
}

/** The admin disconnect's body: empty, or `{"resultInformation": {"code"?, "subCode"?, "message"?}}`. */
function disconnectResultOf(body: Uint8Array): Partial<ResultInformation> | undefined | ServiceError {
  const text = new TextDecoder().decode(body).trim();
  if (text === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return new ServiceError(400, "BadRequest", "The body is not valid JSON.", { target: "$" });
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return new ServiceError(400, "BadRequest", "The body must be a JSON object.", { target: "$" });
  const result = (value as { resultInformation?: unknown }).resultInformation;
  if (result === undefined) return undefined;
  if (result === null || typeof result !== "object" || Array.isArray(result)) {
    return new ServiceError(400, "BadRequest", "resultInformation must be an object with code, subCode and message.", { target: "$.resultInformation" });
  }
  const { code, subCode, message } = result as Record<string, unknown>;
  for (const [name, field] of [["code", code], ["subCode", subCode]] as const) {
    if (field !== undefined && !(Number.isInteger(field) && (field as number) >= 0 && (field as number) <= INT32_MAX)) {
      return new ServiceError(400, "BadRequest", `resultInformation.${name} must be a whole number from 0 to ${INT32_MAX}.`, { target: `$.resultInformation.${name}` });
    }
  }
  if (message !== undefined && (typeof message !== "string" || message.length > 1024)) {
    return new ServiceError(400, "BadRequest", "resultInformation.message must be a string of at most 1024 characters.", { target: "$.resultInformation.message" });
  }
  return { ...(code === undefined ? {} : { code: code as number }), ...(subCode === undefined ? {} : { subCode: subCode as number }), ...(message === undefined ? {} : { message: message as string }) };
}

/** The controls: the handler to serve and the wrapper to put around the pipeline. */
export interface MockControls {
  /** Answers `Prefer: code=`, `example=`, `dynamic=true`; else calls the configured handler. Records what it returns. */
  connect: ConnectHandler<ConnectContext>;
  /** Puts faults, the admin path, Preference-Applied and the request log around a pipeline's core. */
  wrap(core: CoreHandler): CoreHandler;
  /** The connections created so far (the admin listing). */
  readonly connections: readonly RecordedConnection[];
}

/** Creates the controls; see the module comment. */
export function createMockControls(options: MockControlsOptions): MockControls {
  const registry = new ConnectionRegistry();
  const random = options.random ?? (() => randomInt(0, 2 ** 32) / 2 ** 32);
  let dynamicCount = 0;
  const baseSeed = options.seed ?? randomInt(0, 2 ** 31);
  const answersByHandler = new Map<string, OperationAnswers>(routes.map((route) => [route.handler, answersOf(route)]));
  const connectAnswers = answersByHandler.get("connect");
  const applied = new Map<string, string[]>();
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const retryAfterMs = options.retryAfterMs ?? 1_000;

  function dynamic(answers: OperationAnswers): CallConnectionProperties {
    const schema = answers.success?.schema;
    if (!schema) throw unsatisfiable(`Prefer dynamic=true cannot be applied: ${answers.route.operationId} has no success schema.`, "dynamic");
    // Seed + sequence number: the n-th dynamic answer of a run is the same in every run with that seed.
    return generateSync({ $ref: `#/components/schemas/${schema}`, components: spec.components } as never, { seed: baseSeed + dynamicCount++ }) as CallConnectionProperties;
  }

  function answerFromExample(answers: OperationAnswers, example: NamedExample, requested?: number): CallConnectionProperties {
    const status = requested ?? (/^\d{3}$/.test(example.response) ? Number(example.response) : statusOfName(example.name) ?? 400);
    if (answers.success && status === answers.success.status) return structuredClone(example.value) as CallConnectionProperties;
    const error = ((example.value as JsonObject | undefined)?.error ?? {}) as { code?: string; message?: string; target?: string; details?: ErrorDetail[] };
    throw new ServiceError(status, error.code ?? reasonName(status), error.message ?? `The mock answered ${status} as Prefer asked.`, {
      target: error.target,
      details: error.details,
    });
  }

  const connect: ConnectHandler<ConnectContext> = async (request: ConnectRequest, context: ConnectContext) => {
    const preferences = parsePrefer(context.header("prefer"));
    if (preferences instanceof ServiceError) throw preferences;
    const answers = connectAnswers!;
    const used: string[] = [];
    const note = (name: string) => used.push(preferences.raw.get(name)!);
    let result: CallConnectionProperties;
    // Checked before the handler runs: a control it cannot apply refuses the request unexecuted.
    const plan = callbackPlan(preferences);
    try {
      const code = preferences.values.get("code") as number | undefined;
      const exampleName = preferences.values.get("example") as string | undefined;
      if (exampleName !== undefined) {
        const example = answers.examples.find((candidate) => candidate.name === exampleName);
        if (!example) {
          throw unsatisfiable(
            `Prefer example=${exampleName} cannot be applied: the spec's examples of ${answers.route.operationId} are ${answers.examples.map((e) => e.name).join(", ") || "none"}.`,
            "example",
          );
        }
        note("example");
        if (code !== undefined) note("code");
        result = answerFromExample(answers, example, code);
      } else if (code !== undefined) {
        const key = responseKeyFor(answers, code);
        if (key === undefined) {
          throw unsatisfiable(`Prefer code=${code} cannot be applied: the spec answers ${answers.route.operationId} with ${allowedCodes(answers)}.`, "code");
        }
        note("code");
        if (answers.success && code === answers.success.status) {
          const example = answers.examples.find((candidate) => candidate.response === key);
          if (example) result = answerFromExample(answers, example);
          else {
            if (preferences.values.get("dynamic") === true) note("dynamic");
            result = preferences.values.get("dynamic") === true ? dynamic(answers) : await options.connect(request, context);
          }
        } else {
          const example = answers.examples.find((candidate) => candidate.response === key && (key !== "default" || statusOfName(candidate.name) === code));
          if (example) result = answerFromExample(answers, example, code);
          else throw new ServiceError(code, reasonName(code), `The mock answered ${code} because Prefer code=${code} asked for it; the spec has no example for it.`);
        }
      } else if (preferences.values.get("dynamic") === true) {
        note("dynamic");
        result = dynamic(answers);
      } else {
        result = await options.connect(request, context);
      }
      // Only an answer that succeeded applied them: an error answer has no callbacks.
      for (const name of ["callback", "disconnect-after"]) if (preferences.values.has(name)) note(name);
    } finally {
      if (used.length > 0) applied.set(context.requestId, used);
    }
    // Kept only for the admin listing: without --admin nothing is remembered.
    if (options.admin) registry.record(context.requestId, result);
    // Scheduled, never awaited: the answer does not wait for the receiver.
    options.callbacks?.connected(request, result, plan);
    return result;
  };

  /** What the callback preferences ask for; refuses combinations that cannot happen. */
  function callbackPlan(preferences: Preferences): CallbackPlan {
    const callback = preferences.values.get("callback") as { first: CallbackPlan["first"]; result: Partial<ResultInformation> | undefined } | undefined;
    const disconnect = preferences.values.get("disconnect-after") as { ms: number; result: Partial<ResultInformation> | undefined } | undefined;
    for (const [name, given] of [["callback", callback], ["disconnect-after", disconnect]] as const) {
      if (given !== undefined && !options.callbacks) {
        throw unsatisfiable(`Prefer ${name} cannot be applied: this server sends no callbacks (the built-in mock does; --handler does not).`, name);
      }
    }
    const first = callback?.first ?? "CallConnected";
    if (disconnect !== undefined && first !== "CallConnected") {
      throw unsatisfiable(`Prefer disconnect-after cannot be applied with callback=${first}: only a connected call disconnects.`, "disconnect-after");
    }
    return { first, result: callback?.result, disconnectAfterMs: disconnect?.ms, disconnectResult: disconnect?.result };
  }

  function adminListing(exchange: IncomingExchange, path: string): OutgoingResponse | undefined {
    if (!options.admin || path !== ADMIN_CONNECTIONS_PATH) return undefined;
    if (exchange.method !== "GET") {
      return errorResponse(405, "MethodNotAllowed", `${ADMIN_CONNECTIONS_PATH} accepts GET, not ${exchange.method}.`, { target: "method", headers: { allow: "GET" } });
    }
    return {
      status: 200,
      headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
      body: JSON.stringify({ total: registry.total, value: registry.entries }),
    };
  }

  /** `POST /admin/connections/{callConnectionId}:disconnect` with an optional `{"resultInformation": {...}}`: queues the call's CallDisconnected. */
  async function adminDisconnect(exchange: IncomingExchange, path: string): Promise<OutgoingResponse | undefined> {
    const match = options.admin ? ADMIN_DISCONNECT.exec(path) : null;
    if (!match) return undefined;
    if (exchange.method !== "POST") {
      return errorResponse(405, "MethodNotAllowed", `${path} accepts POST, not ${exchange.method}.`, { target: "method", headers: { allow: "POST" } });
    }
    let callConnectionId: string;
    try {
      callConnectionId = decodeURIComponent(match[1]!);
    } catch {
      return errorResponse(400, "BadRequest", "The call connection id in the path is not valid percent-encoding.", { target: "callConnectionId" });
    }
    let body: Uint8Array;
    try {
      body = await exchange.readBody(MAX_ADMIN_BODY_BYTES);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return errorResponse(413, "PayloadTooLarge", `The body exceeds ${MAX_ADMIN_BODY_BYTES} bytes.`);
      throw error;
    }
    const result = disconnectResultOf(body);
    if (result instanceof ServiceError) return errorResponse(result.status, result.code, result.message, { target: result.target });
    if (!options.callbacks) return errorResponse(409, "Conflict", "This server sends no callbacks (the built-in mock does; --handler does not).", { target: "callConnectionId" });
    const outcome = options.callbacks.disconnect(callConnectionId, result);
    if (outcome === "unknown") {
      return errorResponse(404, "NotFound", "The mock has no call connection with this id (it remembers the newest 1000 whose callbackUri it could use).", { target: "callConnectionId" });
    }
    if (outcome === "ended") return errorResponse(409, "Conflict", "The call already ended: its ConnectFailed or CallDisconnected was sent.", { target: "callConnectionId" });
    return {
      status: 202,
      headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
      body: JSON.stringify({ callConnectionId, event: "CallDisconnected" }),
    };
  }

  function log(exchange: IncomingExchange, path: string, response: OutgoingResponse | "dropped", started: number, fault: string | undefined): void {
    if (options.log === "off") return;
    const durationMs = Math.round((performance.now() - started) * 100) / 100;
    const status = response === "dropped" ? 0 : response.status;
    const requestId = response === "dropped" ? undefined : response.headers["x-ms-request-id"];
    let problem: { target?: string; message?: string } | undefined;
    if (response !== "dropped" && response.status >= 400) {
      try {
        const error = (JSON.parse(response.body) as { error?: { target?: string; message?: string; details?: { target?: string; message?: string }[] } }).error;
        const first = error?.details?.[0] ?? error;
        problem = { target: first?.target, message: first?.message };
      } catch {
        problem = undefined;
      }
    }
    const time = new Date().toISOString();
    // Only the method, the path (never the query or a header), the status, and our own message:
    // credentials and bodies never reach this line.
    if (options.log === "json") {
      write(JSON.stringify({ time, method: exchange.method, path, status, durationMs, requestId, fault, target: problem?.target, problem: problem?.message }));
      return;
    }
    const parts = [time, exchange.method, path, response === "dropped" ? "dropped" : String(status), `${durationMs} ms`];
    if (requestId) parts.push(requestId);
    if (fault) parts.push(`fault=${fault}`);
    if (problem?.message) parts.push(`- ${problem.target ? `${problem.target}: ` : ""}${problem.message}`);
    write(parts.join(" "));
  }

  function wrap(core: CoreHandler): CoreHandler {
    return async (exchange) => {
      const started = performance.now();
      const queryAt = exchange.target.indexOf("?");
      const path = queryAt === -1 ? exchange.target : exchange.target.slice(0, queryAt);
      const admin = options.callbacks?.serve(exchange.method, path) ?? adminListing(exchange, path) ?? (await adminDisconnect(exchange, path));
      if (admin) {
        log(exchange, path, admin, started, undefined);
        return admin;
      }
      const preferences = parsePrefer(exchange.header("prefer"));
      if (preferences instanceof ServiceError) {
        const refused = errorResponse(preferences.status, preferences.code, preferences.message, { target: preferences.target });
        log(exchange, path, refused, started, undefined);
        return refused;
      }
      const faultsApplied: string[] = [];
      const latency = (preferences.values.get("latency") as MsRange | undefined) ?? options.latency;
      if (latency) {
        if (preferences.values.has("latency")) faultsApplied.push(preferences.raw.get("latency")!);
        await new Promise((resolve) => setTimeout(resolve, latency.min + Math.floor(random() * (latency.max - latency.min + 1))));
      }
      const failRate = (preferences.values.get("fail") as number | undefined) ?? options.failRate ?? 0;
      if (failRate > 0 && random() < failRate) {
        if (preferences.values.has("fail")) faultsApplied.push(preferences.raw.get("fail")!);
        const failed = errorResponse(503, "ServiceUnavailable", "The mock injected this failure (fail rate); retry after the time in Retry-After.", {
          headers: { "retry-after": String(Math.ceil(retryAfterMs / 1000)), "retry-after-ms": String(retryAfterMs), "x-ms-request-id": randomUUID() },
        });
        if (faultsApplied.length > 0) failed.headers["preference-applied"] = faultsApplied.join(", ");
        log(exchange, path, failed, started, "fail");
        return failed;
      }
      const dropRate = (preferences.values.get("drop") as number | undefined) ?? options.dropRate ?? 0;
      const response = await core(exchange);
      const requestId = response.headers["x-ms-request-id"];
      const answered = requestId === undefined ? undefined : applied.get(requestId);
      if (requestId !== undefined) applied.delete(requestId);
      const all = [...faultsApplied, ...(answered ?? [])];
      if (all.length > 0) response.headers["preference-applied"] = all.join(", ");
      // The request was executed and its answer is lost: what a client's retry must survive.
      if (dropRate > 0 && random() < dropRate) {
        log(exchange, path, "dropped", started, "drop");
        return { ...response, drop: true };
      }
      log(exchange, path, response, started, undefined);
      return response;
    };
  }

  return { connect, wrap, connections: registry.entries };
}
