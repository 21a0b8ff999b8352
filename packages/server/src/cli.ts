#!/usr/bin/env node
/**
 * `acs-connect-server`: serves the Connect operation over HTTP with the built-in mock or a
 * handler module, and prints the URL and a connection string for clients. The connection string
 * holds the access key only when the CLI generated it: a key it was given stays out of its
 * output (terminals, CI logs and log collectors keep what a server prints).
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { apiVersion } from "./generated/stubs/index.ts";
import { createConnectHandler, type ConnectHandlerOptions, type Logger } from "./handler.ts";
import { mockConnect } from "./mock.ts";
import { closeGracefully, createNodeServer, requestsInFlight } from "./node.ts";
import type { RedisRepeatabilityStore } from "./redis.ts";

const USAGE = `Usage: acs-connect-server [options]

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
                       serve instead of the built-in mock
  --redis <url>        remember repeatable requests in Redis (e.g.
                       redis://127.0.0.1:6379) instead of this process's
                       memory, so that several instances behind one endpoint
                       execute each Repeatability-Request-ID once. Needs the
                       ioredis package installed beside @acs-connect/server.
  --redis-lease-ms <n> how long a claim outlives an instance that died while
                       executing it (default 5000)
  --quiet              do not log requests
  -h, --help           show this help
`;

function usageError(message: string): never {
  process.stderr.write(`acs-connect-server: ${message}\n\n${USAGE}`);
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
    },
    strict: true,
    allowPositionals: false,
  });
}
try {
  parsed = parse();
} catch (error) {
  usageError(error instanceof Error ? error.message : String(error));
}
const { values } = parsed;
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535) usageError(`--port must be a whole number from 0 to 65535, got "${values.port}"`);
const host = values.host;
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

let connect: ConnectHandlerOptions["connect"] = mockConnect;
let handlerName = "the built-in mock";
if (values.handler !== undefined) {
  const file = path.resolve(values.handler);
  let loaded: Record<string, unknown>;
  try {
    loaded = await import(pathToFileURL(file).href);
  } catch (error) {
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
const logger: Logger = {
  info: values.quiet
    ? undefined
    : (entry) => write(`${new Date().toISOString()} ${entry.method} ${entry.path} ${entry.status} ${entry.durationMs} ms ${entry.requestId}`),
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

let handle: ReturnType<typeof createConnectHandler>;
try {
  handle = createConnectHandler({ connect, auth: { accessKey }, logger, repeatabilityStore: store });
} catch (error) {
  usageError(error instanceof Error ? error.message.replace(/^auth\.accessKey/, keySource ?? "--access-key") : String(error));
}
const server = createNodeServer(handle);

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
  write(`acs-connect-server: serving Connect (api-version ${apiVersion}) with ${handlerName}`);
  write(`  url:               ${url}`);
  write(`  connection string: endpoint=${url}/;accesskey=${shownKey}`);
  if (store) write(`  repeatability:     Redis at ${new URL(values.redis!).host}`);
  if (!/^(127\.|localhost$|::1$)/.test(host)) {
    write("  warning: plain HTTP on a non-loopback address; put TLS in front of it for anything but local testing.");
  }
});

let stopping = false;
const stop = (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  write(`acs-connect-server: ${signal} received, finishing ${requestsInFlight(server)} request(s) in flight`);
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
