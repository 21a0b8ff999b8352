/**
 * `acs-connect-server proxy <upstream-url>`: forwards each request to a real server (ours or
 * another implementation) and checks both directions against the spec through the generated
 * route table and validators: the route and method, the parameters, the request body, the
 * response's status, media type and body. Each violation goes to the log and to the
 * `x-acs-connect-violations` response header; with `errors`, a request violation is answered
 * 400 without forwarding and a response violation replaced by a 502, both in the API's
 * `CommunicationErrorResponse` shape. Internal to the CLI.
 *
 * The request is forwarded byte for byte with its Host header and target unchanged, so an HMAC
 * signature made for the upstream still verifies there.
 */
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { request as httpsRequest } from "node:https";
import { randomUUID } from "node:crypto";
import { errorBody } from "./errors.ts";
import { routes, type Route } from "./generated/stubs/index.ts";
import { requestValidators, responseValidators, type SchemaValidator } from "./generated/validators/validators.gen.js";
import { createServer } from "node:http";
import { bodyProblems, readParameters } from "./validation.ts";

/** One way a request or a response departs from the spec. */
export interface Violation {
  /** Which side broke the contract. */
  side: "request" | "response";
  /** The header, parameter or JSON path at fault. */
  target: string;
  message: string;
}

/** How the proxy is configured. */
export interface ValidationProxyOptions {
  /** Where requests go, e.g. `http://127.0.0.1:9000` (a path prefix is kept). */
  upstream: URL;
  /** Turn a violation into an error response (default: report it only). */
  errors?: boolean;
  /** The log: one line per request, then one per violation. */
  log?: "text" | "json" | "off";
  write?: (line: string) => void;
  /** The largest body read in either direction (default 1 MiB). */
  maxBodyBytes?: number;
}

/** The response header listing the violations. */
export const VIOLATIONS_HEADER = "x-acs-connect-violations";

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer", "proxy-authorization", "proxy-authenticate"]);

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
}

const compiled: CompiledRoute[] = routes.map((route) => ({
  route,
  pattern: new RegExp(
    `^${route.path
      .split(/(\{[^}]+\})/)
      .map((part) => (part.startsWith("{") ? "([^/]+)" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
      .join("")}$`,
  ),
}));

function routeOf(method: string, rawPath: string): { route?: Route; violation?: Violation } {
  let path = rawPath;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    // Kept as received: it matches no route and is reported as such.
  }
  const matching = compiled.filter((candidate) => candidate.pattern.test(path));
  if (matching.length === 0) return { violation: { side: "request", target: "path", message: `No operation of the spec has the path ${path}.` } };
  const route = matching.find((candidate) => candidate.route.method === method)?.route;
  if (!route) {
    return { violation: { side: "request", target: "method", message: `${path} accepts ${matching.map((c) => c.route.method).join(", ")}, not ${method}.` } };
  }
  return { route };
}

function mediaType(value: string | undefined): string {
  return (value ?? "").split(";")[0]!.trim().toLowerCase();
}

function jsonProblems(side: Violation["side"], schema: string, bytes: Buffer, validators: Record<string, SchemaValidator>): Violation[] {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString("utf8"));
  } catch (error) {
    return [{ side, target: "body", message: `The ${side} body is not valid JSON: ${error instanceof Error ? error.message : String(error)}.` }];
  }
  const validator = validators[schema];
  if (!validator || validator(value)) return [];
  return bodyProblems(validator.errors).map((detail) => ({ side, target: detail.target ?? "body", message: `${schema}: ${detail.message}` }));
}

/** The request's violations: route, parameters, media type and body. */
function checkRequest(method: string, target: string, headers: IncomingHttpHeaders, body: Buffer): { route?: Route; violations: Violation[] } {
  const queryAt = target.indexOf("?");
  const { route, violation } = routeOf(method, queryAt === -1 ? target : target.slice(0, queryAt));
  if (!route) return { violations: [violation!] };
  const violations: Violation[] = [];
  const header = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value.join(", ") : value;
  };
  const problem = readParameters(route.parameters, queryAt === -1 ? "" : target.slice(queryAt + 1), { header }, {});
  if (problem) violations.push({ side: "request", target: problem.target, message: problem.message });
  if (route.body) {
    if (body.byteLength === 0) {
      if (route.body.required) violations.push({ side: "request", target: "body", message: "The request body is required." });
    } else if (mediaType(header("content-type")) !== route.body.contentType) {
      violations.push({ side: "request", target: "Content-Type", message: `The request body must be ${route.body.contentType}, not ${header("content-type") ?? "untyped"}.` });
    } else {
      violations.push(...jsonProblems("request", route.body.schema, body, requestValidators as Record<string, SchemaValidator>));
    }
  }
  return { route, violations };
}

/** The response's violations: a status the operation declares, its media type and body schema. */
function checkResponse(route: Route, status: number, headers: IncomingHttpHeaders, body: Buffer): Violation[] {
  const declared = route.responses.find((response) => response.status === status) ?? route.responses.find((response) => response.status === "default");
  if (!declared) {
    return [{ side: "response", target: "status", message: `${route.operationId} does not declare the status ${status} (it declares ${route.responses.map((r) => r.status).join(", ")}).` }];
  }
  // `default` covers the statuses not listed; a 2xx through it would be a success without the success schema.
  if (declared.status === "default" && status < 400) {
    return [{ side: "response", target: "status", message: `${route.operationId} declares no ${status}; its success is ${route.responses.filter((r) => r.status !== "default").map((r) => r.status).join(", ")}.` }];
  }
  const schema = "schema" in declared ? (declared.schema as string | undefined) : undefined;
  if (!schema) return [];
  const contentType = "contentType" in declared ? (declared.contentType as string) : "application/json";
  const type = headers["content-type"];
  if (mediaType(type) !== contentType) {
    return [{ side: "response", target: "Content-Type", message: `The ${status} response must be ${contentType}, not ${type ?? "untyped"}.` }];
  }
  return jsonProblems("response", schema, body, responseValidators as Record<string, SchemaValidator>);
}

class TooLarge extends Error {}

function readAll(stream: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        stream.destroy();
        reject(new TooLarge(`The body is larger than ${limit} bytes.`));
      } else chunks.push(chunk);
    });
    stream.on("end", () => resolve(Buffer.concat(chunks, size)));
    stream.on("error", reject);
    stream.on("close", () => stream.readableEnded || reject(new TooLarge("The connection closed before the body was complete.")));
  });
}

/** A header value: one line of printable ASCII, bounded, whatever the violation's text held. */
function headerValue(violations: readonly Violation[]): string {
  const text = violations.map((v) => `${v.side} ${v.target}: ${v.message}`).join("; ");
  const clean = text.replace(/[^\x20-\x7e]/g, "?");
  return clean.length > 4_000 ? `${clean.slice(0, 3_990)} [more]` : clean;
}

/** Creates the proxy server (not listening yet). */
export function createValidationProxy(options: ValidationProxyOptions): Server {
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const upstream = options.upstream;
  const send = upstream.protocol === "https:" ? httpsRequest : httpRequest;
  const prefix = upstream.pathname.replace(/\/$/, "");

  function log(method: string, path: string, status: number | "failed", started: number, violations: readonly Violation[]): void {
    if (options.log === "off") return;
    const durationMs = Math.round((performance.now() - started) * 100) / 100;
    if (options.log === "json") {
      write(JSON.stringify({ time: new Date().toISOString(), method, path, status, durationMs, violations }));
      return;
    }
    write(`${new Date().toISOString()} ${method} ${path} ${status} ${durationMs} ms ${violations.length} violation${violations.length === 1 ? "" : "s"}`);
    for (const v of violations) write(`  violation (${v.side}) ${v.target}: ${v.message}`);
  }

  function answer(response: ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer): void {
    if (response.headersSent || response.destroyed) return;
    response.writeHead(status, headers);
    response.end(body);
  }

  return createServer(async (request, response) => {
    const started = performance.now();
    const method = (request.method ?? "GET").toUpperCase();
    const target = request.url ?? "/";
    const path = target.split("?")[0]!;
    let body: Buffer;
    try {
      body = await readAll(request, maxBodyBytes);
    } catch (error) {
      answer(response, 413, { "content-type": "application/json; charset=utf-8", connection: "close" }, errorBody("PayloadTooLarge", error instanceof Error ? error.message : "The body is too large.", { target: "body" }));
      log(method, path, 413, started, []);
      return;
    }
    const { route, violations } = checkRequest(method, target, request.headers, body);
    if (options.errors && violations.length > 0) {
      const details = violations.map((v) => ({ code: "RequestViolation", message: v.message, target: v.target }));
      answer(
        response,
        400,
        { "content-type": "application/json; charset=utf-8", [VIOLATIONS_HEADER]: headerValue(violations) },
        errorBody("SpecViolation", `The request does not match the spec: ${violations[0]!.message}`, { target: violations[0]!.target, details }),
      );
      log(method, path, 400, started, violations);
      return;
    }
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(request.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    headers["content-length"] = String(body.byteLength);
    let upstreamResponse: IncomingMessage;
    let upstreamBody: Buffer;
    try {
      upstreamResponse = await new Promise<IncomingMessage>((resolve, reject) => {
        const outgoing = send(
          { protocol: upstream.protocol, hostname: upstream.hostname, port: upstream.port, method, path: `${prefix}${target}`, headers, timeout: 30_000 },
          resolve,
        );
        outgoing.on("timeout", () => outgoing.destroy(new Error("the upstream did not answer within 30 s")));
        outgoing.on("error", reject);
        outgoing.end(body);
      });
      upstreamBody = await readAll(upstreamResponse, maxBodyBytes);
    } catch (error) {
      const requestId = randomUUID();
      answer(
        response,
        502,
        { "content-type": "application/json; charset=utf-8", "x-ms-request-id": requestId },
        errorBody("BadGateway", `The upstream ${upstream.origin} could not be reached or answered incompletely: ${error instanceof Error ? error.message : String(error)}.`),
      );
      log(method, path, "failed", started, violations);
      return;
    }
    const status = upstreamResponse.statusCode ?? 502;
    if (route) violations.push(...checkResponse(route, status, upstreamResponse.headers, upstreamBody));
    const outHeaders: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(upstreamResponse.headers)) if (value !== undefined && !HOP_BY_HOP.has(name) && name !== "content-length") outHeaders[name] = value;
    if (violations.length > 0) outHeaders[VIOLATIONS_HEADER] = headerValue(violations);
    const responseViolations = violations.filter((v) => v.side === "response");
    if (options.errors && responseViolations.length > 0) {
      const details = responseViolations.map((v) => ({ code: "ResponseViolation", message: v.message, target: v.target }));
      answer(
        response,
        502,
        { "content-type": "application/json; charset=utf-8", [VIOLATIONS_HEADER]: headerValue(violations), ...(outHeaders["x-ms-request-id"] ? { "x-ms-request-id": String(outHeaders["x-ms-request-id"]) } : {}) },
        errorBody("UpstreamViolation", `The upstream's ${status} response does not match the spec: ${responseViolations[0]!.message}`, {
          target: responseViolations[0]!.target,
          details,
        }),
      );
      log(method, path, 502, started, violations);
      return;
    }
    response.writeHead(status, outHeaders);
    response.end(upstreamBody);
    log(method, path, status, started, violations);
  });
}
