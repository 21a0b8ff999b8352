#!/usr/bin/env node
/**
 * `acs-connect-server`: serves the Connect operation over HTTP with the built-in mock or a
 * handler module, and prints the URL and a connection string for clients. The connection string
 * holds the access key only when the CLI generated it: a key it was given stays out of its
 * output (terminals, CI logs and log collectors keep what a server prints).
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { apiVersion } from "./generated/stubs/index.ts";
import pkg from "../package.json" with { type: "json" };
import { CORE, createConnectHandler, type ConnectHandlerOptions, type CoreHandler, type Logger } from "./handler.ts";
import { mockConnect } from "./mock.ts";
import { ADMIN_CONNECTIONS_PATH, createMockControls, parseMsRange } from "./mock-controls.ts";
import { createMockCallbacks, DEFAULT_RESOURCE_ID, type MockCallbacks } from "./mock-callbacks.ts";
import { createValidationProxy, VIOLATIONS_HEADER } from "./proxy.ts";
import { closeGracefully, createNodeServer, requestsInFlight } from "./node.ts";
import type { RedisRepeatabilityStore } from "./redis.ts";

const USAGE = `Usage: acs-connect-server [options]
       acs-connect-server proxy <upstream-url> [--errors] [options]

Serves the Azure Communication Services Call Automation Connect operation
(api-version ${apiVersion}) over HTTP, with the built-in mock or your handler.

Options:
  --port <n>           port to listen on (default 8080; 0 picks a free port)
  --host <address>     address to bind (default 127.0.0.1)
  --access-key <key>   the base64 access key clients sign requests with
                       (default: $ACS_CONNECT_ACCESS_KEY, else a new random key,
                       which is printed). Other users of this machine can read
                       it in the process list: prefer --access-key-file or
                       $ACS_CONNECT_ACCESS_KEY for a key that matters.
  --access-key-file <path>
                       read the access key from a file (surrounding whitespace
                       ignored)
  --handler <module>   a module exporting \`connect\` (or a default function) to
                       serve instead of the built-in mock (JavaScript; for
                       TypeScript set NODE_OPTIONS=--import=tsx, or compile it)
  --redis <url>        remember repeatable requests in Redis (e.g.
                       redis://127.0.0.1:6379) instead of this process's
                       memory, so that several instances behind one endpoint
                       execute each Repeatability-Request-ID once. Needs the
                       ioredis package installed beside @acs-connect/server.
  --redis-lease-ms <n> how long a claim outlives an instance that died while
                       executing it (default 5000)
  --quiet              do not log requests (same as --log off)
  -h, --help           show this help
  --version            print the version

Access (HMAC with the access key is always accepted):
  --no-auth            also accept requests without credentials (loopback only)
  --allow-remote-no-auth
                       allow --no-auth on a non-loopback --host
  --token <value>      also accept this one static bearer token

Callbacks (built-in mock): after a Connect the mock POSTs CallConnected (and
MediaStreamingStarted / TranscriptionStarted when asked) to callbackUri, with a
JWT it signs; its OpenID configuration is <url>/calling/.well-known/acsopenidconfiguration.
  --resource-id <id>   the tokens' audience (default ${DEFAULT_RESOURCE_ID})
  --allow-callback-host <host>
                       also deliver to this host name (repeatable); by default
                       only loopback addresses get callbacks
  --allow-any-callback-host
                       deliver callbacks to any host

Mock controls (Prefer: code=<status>, example=<name>, dynamic=true,
latency=<ms|a..b>, fail=<0..1>, drop=<0..1>, callback=<CallConnected|
ConnectFailed|none>[; result-code=<n>; result-subcode=<n>; result-message=<text>],
disconnect-after=<2s|500ms>[; result-...] choose per request):
  --seed <n>           seed dynamic=true answers (reproducible runs)
  --latency <ms|a..b>  delay every request by ms, or uniformly from a to b ms
  --fail-rate <0..1>   answer this share of requests 503 with Retry-After
  --drop-rate <0..1>   execute this share of requests, then drop the connection
  --retry-after-ms <n> the delay a --fail-rate 503 asks for (default 1000)
  --admin              serve GET ${ADMIN_CONNECTIONS_PATH} (the connections created)
                       and POST ${ADMIN_CONNECTIONS_PATH}/<id>:disconnect (end a call)
  --log <text|json|off>
                       the request log's format (default text)

Validation proxy (acs-connect-server proxy <upstream-url>): forwards every
request to the upstream server and checks request and response against the
spec, reporting violations in the log and the ${VIOLATIONS_HEADER} header:
  --errors             answer a request violation 400 (not forwarded) and a
                       response violation 502, instead of only reporting them
`;

/** One line and a pointer to --help: the whole usage would bury the problem. */
function usageError(message: string): never {
  process.stderr.write(`acs-connect-server: ${message}\nRun acs-connect-server --help for the options.\n`);
  process.exit(2);
}

let parsed: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    options: {
      port: { type: "string", default: "8080" },
      host: { type: "string", default: "127.0.0.1" },
      "access-key": { type: "string" },
      "access-key-file": { type: "string" },
      handler: { type: "string" },
      redis: { type: "string" },
      "redis-lease-ms": { type: "string" },
      quiet: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
      version: { type: "boolean", default: false },
      // Access options (issue 13).
      "no-auth": { type: "boolean", default: false },
      "allow-remote-no-auth": { type: "boolean", default: false },
      token: { type: "string" },
      // Mock-control options (issue 13).
      seed: { type: "string" },
      latency: { type: "string" },
      "fail-rate": { type: "string" },
      "drop-rate": { type: "string" },
      "retry-after-ms": { type: "string" },
      admin: { type: "boolean", default: false },
      log: { type: "string" },
      // Callback options (issue 12).
      "resource-id": { type: "string" },
      "allow-callback-host": { type: "string", multiple: true },
      "allow-any-callback-host": { type: "boolean", default: false },
      // Validation-proxy options (issue 13).
      errors: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: true,
  });
}
try {
  parsed = parse();
} catch (error) {
  usageError(error instanceof Error ? error.message : String(error));
}
const { values, positionals } = parsed;
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (values.version) {
  process.stdout.write(`${pkg.version}\n`);
  process.exit(0);
}

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535) usageError(`--port must be a whole number from 0 to 65535, got "${values.port}"`);
const host = values.host;
const loopback = /^(127\.|localhost$|::1$)/.test(host);
if (values["access-key"] !== undefined && values["access-key-file"] !== undefined) usageError("give --access-key or --access-key-file, not both");
let keySource: string | undefined;
let givenKey: string | undefined;
if (values["access-key-file"] !== undefined) {
  try {
    givenKey = readFileSync(values["access-key-file"], "utf8").trim();
  } catch (error) {
    usageError(`--access-key-file ${values["access-key-file"]} could not be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  keySource = "--access-key-file";
} else if (values["access-key"] !== undefined) {
  givenKey = values["access-key"];
  keySource = "--access-key";
} else if (process.env.ACS_CONNECT_ACCESS_KEY !== undefined) {
  givenKey = process.env.ACS_CONNECT_ACCESS_KEY;
  keySource = "$ACS_CONNECT_ACCESS_KEY";
}
const accessKey = givenKey ?? randomBytes(32).toString("base64");
// Only a key this process made up is shown; a given one is named by where it came from.
const shownKey = keySource === undefined ? accessKey : `<the key from ${keySource}>`;

// --- Access options (issue 13): open access on purpose, or one static token. ---
const noAuth = values["no-auth"];
if (values["allow-remote-no-auth"] && !noAuth) usageError("--allow-remote-no-auth only widens --no-auth; give --no-auth too");
if (noAuth && !loopback && !values["allow-remote-no-auth"]) {
  usageError(`--no-auth on the non-loopback address ${host} would let anyone on the network in; add --allow-remote-no-auth if that is what you want`);
}
const staticToken = values.token;
if (staticToken !== undefined && (staticToken === "" || /\s/.test(staticToken))) usageError("--token must be a non-empty token without spaces");
/** The principal of requests that came in without credentials under --no-auth. */
const ANONYMOUS = "Bearer anonymous-no-auth";
const verifyToken =
  noAuth || staticToken !== undefined
    ? (token: string) => {
        if (noAuth) return { principal: "anonymous" };
        const given = Buffer.from(token);
        const expected = Buffer.from(staticToken!);
        return given.length === expected.length && timingSafeEqual(given, expected) ? { principal: "token" } : false;
      }
    : undefined;

// --- Mock-control options (issue 13). ---
function rateOption(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || n < 0 || n > 1) usageError(`${name} must be a number from 0 to 1, got "${text}"`);
  return n;
}
const seed = values.seed === undefined ? undefined : Number(values.seed);
if (seed !== undefined && (!Number.isSafeInteger(seed) || seed < 0)) usageError(`--seed must be a whole number of 0 or more, got "${values.seed}"`);
const latency = values.latency === undefined ? undefined : parseMsRange(values.latency);
if (values.latency !== undefined && latency === undefined) usageError(`--latency must be milliseconds or a range a..b (at most 60000), got "${values.latency}"`);
const failRate = rateOption("--fail-rate", values["fail-rate"]);
const dropRate = rateOption("--drop-rate", values["drop-rate"]);
const retryAfterMs = values["retry-after-ms"] === undefined ? undefined : Number(values["retry-after-ms"]);
if (retryAfterMs !== undefined && (!Number.isInteger(retryAfterMs) || retryAfterMs < 0 || retryAfterMs > 60_000)) {
  usageError(`--retry-after-ms must be a whole number from 0 to 60000, got "${values["retry-after-ms"]}"`);
}
const logFormat = values.quiet ? "off" : (values.log ?? "text");
if (logFormat !== "text" && logFormat !== "json" && logFormat !== "off") usageError(`--log must be text, json or off, got "${values.log}"`);

// --- Callback options (issue 12). ---
const resourceId = values["resource-id"] ?? DEFAULT_RESOURCE_ID;
if (resourceId.trim() === "" || /\s/.test(resourceId)) usageError("--resource-id must be a non-empty id without spaces");
const allowCallbackHosts = values["allow-callback-host"] ?? [];
for (const allowed of allowCallbackHosts) {
  if (!/^[A-Za-z0-9.\-:\[\]]+$/.test(allowed)) usageError(`--allow-callback-host takes a host name or IP address, e.g. app.example, got "${allowed}"`);
}

// --- Validation-proxy mode (issue 13): `acs-connect-server proxy <upstream-url>`. ---
let upstream: URL | undefined;
if (positionals.length > 0) {
  if (positionals[0] !== "proxy") usageError(`unexpected argument "${positionals[0]}"; the only command is proxy <upstream-url>`);
  if (positionals.length !== 2) usageError("proxy needs exactly one upstream URL, e.g. proxy http://127.0.0.1:9000");
  try {
    upstream = new URL(positionals[1]!);
  } catch {
    usageError(`proxy: "${positionals[1]}" is not a URL; give e.g. http://127.0.0.1:9000`);
  }
  if (upstream.protocol !== "http:" && upstream.protocol !== "https:") usageError(`proxy: the upstream must be http: or https:, not ${upstream.protocol}`);
  if (values.handler !== undefined || values.admin || noAuth || staticToken !== undefined) {
    usageError("proxy forwards to the upstream, which authenticates and answers: --handler, --admin, --no-auth and --token do not apply");
  }
  if (values["resource-id"] !== undefined || allowCallbackHosts.length > 0 || values["allow-any-callback-host"]) {
    usageError("proxy sends no callbacks: --resource-id, --allow-callback-host and --allow-any-callback-host do not apply");
  }
} else if (values.errors) {
  usageError("--errors applies to proxy mode: acs-connect-server proxy <upstream-url> --errors");
}

let connect: ConnectHandlerOptions["connect"] = mockConnect;
let handlerName = "the built-in mock";
if (values.handler !== undefined) {
  const file = path.resolve(values.handler);
  let loaded: Record<string, unknown>;
  try {
    loaded = await import(pathToFileURL(file).href);
  } catch (error) {
    // Node 20 cannot load TypeScript by itself; say how to, rather than "Unknown file extension".
    if ((error as NodeJS.ErrnoException).code === "ERR_UNKNOWN_FILE_EXTENSION" || /\.[cm]?tsx?$/.test(file)) {
      usageError(
        `--handler ${values.handler} is TypeScript, which Node cannot load by itself: compile it to .js/.mjs first, or load tsx (npm install -D tsx): NODE_OPTIONS=--import=tsx npx acs-connect-server --handler ${values.handler}`,
      );
    }
    usageError(`--handler ${values.handler} could not be loaded: ${error instanceof Error ? error.message : String(error)}`);
  }
  const candidate =
    loaded.connect ??
    (typeof loaded.default === "function" ? loaded.default : (loaded.default as Record<string, unknown> | undefined)?.connect);
  if (typeof candidate !== "function") {
    usageError(`--handler ${values.handler} exports no connect handler: export a function named connect, or a default function.`);
  }
  connect = candidate as ConnectHandlerOptions["connect"];
  handlerName = path.relative(process.cwd(), file) || file;
}

const write = (line: string) => process.stdout.write(`${line}\n`);
// A closed stdout (`| head`, a log collector gone) must not take the server down with EPIPE.
process.stdout.on("error", () => {});
const logger: Logger = {
  // The request log is written by the mock controls (one line per request, with the first problem).
  // Error entries carry the handler's own error; credentials never reach the logger.
  error: (entry) =>
    process.stderr.write(
      `${new Date().toISOString()} ${entry.message} ${entry.requestId ?? ""} ${entry.error instanceof Error ? (entry.error.stack ?? entry.error.message) : String(entry.error ?? "")}\n`,
    ),
};

let store: RedisRepeatabilityStore | undefined;
if (values["redis-lease-ms"] !== undefined && values.redis === undefined) usageError("--redis-lease-ms needs --redis");
if (values.redis !== undefined) {
  const leaseMs = values["redis-lease-ms"] === undefined ? undefined : Number(values["redis-lease-ms"]);
  if (leaseMs !== undefined && (!Number.isInteger(leaseMs) || leaseMs < 100)) usageError(`--redis-lease-ms must be a whole number of at least 100, got "${values["redis-lease-ms"]}"`);
  let url: URL;
  try {
    url = new URL(values.redis);
  } catch {
    usageError(`--redis must be a URL such as redis://127.0.0.1:6379, got "${values.redis}"`);
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") usageError(`--redis must be a redis:// or rediss:// URL, got ${url.protocol}`);
  let module: typeof import("./redis.ts");
  try {
    // Loaded only here: without --redis the CLI needs no Redis client installed.
    module = await import("./redis.ts");
  } catch (error) {
    usageError(`--redis needs the ioredis package (npm install ioredis@5): ${error instanceof Error ? error.message : String(error)}`);
  }
  // The URL may hold a password: connection errors are reported by host and port only.
  const where = `${url.hostname}:${url.port || "6379"}`;
  let down = false;
  store = new module.RedisRepeatabilityStore({
    url: values.redis,
    leaseMs,
    onError: (error) => {
      // One line per outage, not one per reconnect attempt.
      if (down && /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|Connection is closed/.test(error.message)) return;
      down = true;
      process.stderr.write(`${new Date().toISOString()} redis ${where}: ${error.message}\n`);
    },
    onReady: () => {
      if (down) process.stderr.write(`${new Date().toISOString()} redis ${where}: connected again\n`);
      down = false;
    },
  });
  // Requests before the first connection would get 503s; give Redis a moment, then serve anyway.
  const ready = await Promise.race([store.ready().then(() => true), new Promise<false>((resolve) => setTimeout(resolve, 5000, false).unref())]);
  if (!ready) process.stderr.write(`acs-connect-server: redis ${where} is not reachable yet; repeatable requests get 503 until it is\n`);
}

// The built-in mock sends the call's events; a --handler's calls are its own business.
const callbacks: MockCallbacks | undefined =
  upstream === undefined && values.handler === undefined
    ? await createMockCallbacks({
        audience: resourceId,
        allowHosts: allowCallbackHosts.map((allowed) => allowed.replace(/^\[(.*)\]$/, "$1")),
        allowAnyHost: values["allow-any-callback-host"],
        log: logFormat,
        write,
      })
    : undefined;

const controls = createMockControls({
  callbacks,
  connect,
  seed,
  latency,
  failRate,
  dropRate,
  retryAfterMs,
  admin: values.admin,
  log: logFormat,
  write,
});

let handle: ReturnType<typeof createConnectHandler>;
try {
  handle = createConnectHandler({ connect: controls.connect, auth: { accessKey, verifyToken }, logger, repeatabilityStore: store });
} catch (error) {
  usageError(error instanceof Error ? error.message.replace(/^auth\.accessKey/, keySource ?? "--access-key") : String(error));
}
const inner = (handle as unknown as Record<typeof CORE, CoreHandler>)[CORE];
/** Under --no-auth a request without credentials goes through as an anonymous bearer caller. */
const open: CoreHandler = noAuth
  ? (exchange) =>
      inner(
        exchange.header("authorization") === undefined
          ? {
              method: exchange.method,
              target: exchange.target,
              header: (name: string) => (name === "authorization" ? ANONYMOUS : exchange.header(name)),
              isRepeated: (name: string) => exchange.isRepeated(name),
              readBody: (limit: number) => exchange.readBody(limit),
              get signal() {
                return exchange.signal;
              },
            }
          : exchange,
      )
  : inner;
const served = Object.assign((request: Request) => handle(request), { [CORE]: controls.wrap(open) });
const server = upstream
  ? createValidationProxy({ upstream, errors: values.errors, log: logFormat, write })
  : createNodeServer(served);

server.once("error", (error: NodeJS.ErrnoException) => {
  const reason =
    error.code === "EADDRINUSE"
      ? `port ${port} on ${host} is in use; choose another with --port (0 picks a free one)`
      : error.code === "EACCES"
        ? `not allowed to listen on ${host}:${port}`
        : error.message;
  process.stderr.write(`acs-connect-server: ${reason}\n`);
  process.exit(1);
});

server.listen(port, host, () => {
  const address = server.address();
  const actualPort = typeof address === "object" && address ? address.port : port;
  const wildcard = host === "0.0.0.0" || host === "::";
  const urlHost = wildcard ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  const url = `http://${urlHost}:${actualPort}`;
  if (upstream) {
    write(`acs-connect-server: proxying to ${upstream.origin}, checking requests and responses against Connect (api-version ${apiVersion})${values.errors ? "; violations become errors" : ""}`);
    write(`  url:               ${url}`);
  } else {
    write(`acs-connect-server: serving Connect (api-version ${apiVersion}) with ${handlerName}`);
    write(`  url:               ${url}`);
    write(`  connection string: endpoint=${url}/;accesskey=${shownKey}`);
    if (store) write(`  repeatability:     Redis at ${new URL(values.redis!).host}`);
    if (callbacks) {
      callbacks.setOrigin(url);
      write(`  callbacks:         signed for audience ${callbacks.audience}; OpenID configuration ${callbacks.configurationUrl()}`);
      const allowed = values["allow-any-callback-host"] ? "any host" : ["loopback addresses", ...allowCallbackHosts].join(", ");
      write(`  callback targets:  ${allowed}`);
    }
  }
  // The server's own PID: behind npx or pnpm the PID a user started is a wrapper's.
  write(`  pid:               ${process.pid}`);
  if (!loopback) {
    write("  warning: plain HTTP on a non-loopback address; put TLS in front of it for anything but local testing.");
  }
  if (noAuth) write(`  warning: --no-auth: requests without credentials are accepted${loopback ? " (from this machine only)" : " FROM THE NETWORK (--allow-remote-no-auth)"}.`);
  if (staticToken !== undefined) write("  bearer token:      the one given with --token");
  if (values.admin) write(`  admin:             ${url}${ADMIN_CONNECTIONS_PATH}`);
});

let stopping = false;
const stop = (signal: NodeJS.Signals | "parent exited") => {
  if (stopping) return;
  stopping = true;
  write(`acs-connect-server: ${signal === "parent exited" ? "the parent process exited" : `${signal} received`}, finishing ${requestsInFlight(server)} request(s) in flight`);
  // Pending callbacks are abandoned, not awaited: a receiver that never answers must not keep the process.
  const abandoned = callbacks?.close() ?? 0;
  if (abandoned > 0) write(`acs-connect-server: abandoned ${abandoned} pending callback(s)`);
  closeGracefully(server)
    .then(() => store?.close())
    .then(
    () => {
      write("acs-connect-server: stopped");
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`acs-connect-server: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

// A wrapper (npx, pnpm, a shell) killed by PID does not pass the signal on, and its child would
// keep the port: the parent changing (re-parented to init or a subreaper) means it is gone.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) stop("parent exited");
}, 250).unref();
