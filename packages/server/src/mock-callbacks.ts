/**
 * The mock's callbacks, for `acs-connect-server`: after a Connect it POSTs the events the service
 * would send to the request's `callbackUri` (CallConnected or ConnectFailed, the started events,
 * CallDisconnected), as CloudEvents 1.0 with `Authorization: Bearer <JWT>` signed RS256 by a key
 * pair made at start, and serves its own OpenID configuration and JWKS so that any standard
 * validator (createCallbackHandler of @acs-connect/callbacks among them) verifies them.
 * Internal to the CLI: not exported from the package.
 *
 * What is sent comes from the spec: each event's `type` from the generated `callbackEventNames`,
 * its `data` from the spec's named example of that event (the callback operation's request-body
 * examples) with the connection's ids, the request's `operationContext` and the chosen
 * `resultInformation` put in.
 *
 * Deliveries never hold up the Connect response; the events of one call go out one after the
 * other, in order; failures (network, 5xx, 429) are retried with bounded exponential back-off;
 * each outcome is one log line that names the event, the call and the target's origin, never
 * the token or the rest of the URL. Only loopback targets are allowed unless the operator
 * allows more: the mock must not become a way to make requests to other hosts.
 */
import { randomUUID } from "node:crypto";
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { request as httpRequest, type RequestOptions } from "node:http";
import { request as httpsRequest } from "node:https";
import { BlockList, isIP } from "node:net";
import spec from "@acs-connect/spec";
import { callbackEventNames, type CallbackEventMap, type CallbackEventName, type CallConnectionProperties, type ConnectRequest, type ResultInformation } from "@acs-connect/types";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";
import { errorResponse, type OutgoingResponse } from "./errors.ts";
import { routes } from "./generated/stubs/index.ts";
import { deref } from "./mock-controls.ts";

/** Where the mock serves its OpenID configuration: the path ACS uses, and the standard one. */
export const OPENID_CONFIGURATION_PATHS = ["/calling/.well-known/acsopenidconfiguration", "/.well-known/openid-configuration"] as const;
/** Where the mock serves its signing keys (the configuration's `jwks_uri`). */
export const JWKS_PATH = "/calling/keys";
/** The audience (`aud`) of the mock's tokens when `--resource-id` is not given. */
export const DEFAULT_RESOURCE_ID = "00000000-0000-0000-0000-000000000000";
/** A token's lifetime, as the service's (5 minutes). */
const TOKEN_LIFETIME_SEC = 300;
/** Calls remembered for `disconnect-after` and the admin disconnect; the oldest are forgotten first. */
const MAX_CALLS = 1_000;
/** Events waiting or being delivered, over all calls: a flood of Connects to a receiver that never answers must not grow memory without end. */
const MAX_PENDING_EVENTS = 2_000;
/**
 * The longest callbackUri the mock delivers to. The request schema allows any length and each
 * remembered call keeps its URL, so without a bound a flood of Connects with megabyte URLs would
 * hold gigabytes; real callback URLs are far shorter (many servers refuse a request line past 8 KiB).
 */
const MAX_CALLBACK_URI_LENGTH = 8_192;
/** Requests to receivers open at once: each holds a socket, and the server's own must not run out. */
const MAX_CONCURRENT_ATTEMPTS = 64;

/** How deliveries are retried. */
export interface RetryPolicy {
  /** Attempts per event, the first included. */
  attempts: number;
  /** The first back-off; each later one doubles, up to `maxDelayMs` (half of it random). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** How long one attempt may take before it counts as a network failure. */
  timeoutMs: number;
}

/** Four attempts within about 1.4 s of back-off, 5 s per attempt: at most ~22 s per event. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 200, maxDelayMs: 2_000, timeoutMs: 5_000 };

/** How the callbacks are configured (the CLI's `--resource-id`, `--allow-callback-host`, ...). */
export interface MockCallbacksOptions {
  /** The tokens' `aud`: the resource ID a receiver expects. */
  audience: string;
  /** Host names allowed besides loopback addresses (compared case-insensitively with the URL's host name). */
  allowHosts?: readonly string[] | undefined;
  /** Allow every host. */
  allowAnyHost?: boolean | undefined;
  retry?: RetryPolicy | undefined;
  /** The delivery log: one line per attempt's outcome, as text or JSON, or none. */
  log?: "text" | "json" | "off" | undefined;
  write?: ((line: string) => void) | undefined;
}

/** What to send after one Connect. */
export interface CallbackPlan {
  /** The first event: the call connected, it failed, or no callbacks at all. */
  first: Extract<CallbackEventName, "CallConnected" | "ConnectFailed"> | "none";
  /** The first event's `resultInformation` (default: the spec example's). */
  result?: ResultInformation | undefined;
  /** Send CallDisconnected this many ms after the Connect. */
  disconnectAfterMs?: number | undefined;
  /** CallDisconnected's `resultInformation` (default: the spec example's). */
  disconnectResult?: ResultInformation | undefined;
}

/** The outcome of a request to end a call. */
export type DisconnectOutcome = "queued" | "unknown" | "ended";

/** The callbacks: started by the CLI, fed by the mock controls. */
export interface MockCallbacks {
  /** The audience the tokens carry. */
  readonly audience: string;
  /** The origin the mock is reachable at, once listening: the tokens' issuer and the OpenID documents' base. */
  setOrigin(origin: string): void;
  /** The OpenID configuration's URL (on the origin). */
  configurationUrl(): string;
  /** Schedules the events of a Connect that answered `connection`. Never waits for a delivery. */
  connected(request: ConnectRequest, connection: CallConnectionProperties, plan: CallbackPlan): void;
  /** Ends a call: queues its CallDisconnected. */
  disconnect(callConnectionId: string, result?: ResultInformation): DisconnectOutcome;
  /** The OpenID configuration or the JWKS, for a request to one of their paths; else undefined. */
  serve(method: string, path: string): OutgoingResponse | undefined;
  /** Abandons pending deliveries and timers; returns how many events were abandoned. */
  close(): number;
}

// --- Events, from the spec. ---

/** Each known event's `type`, by name: the generated map turned around. */
const TYPE_OF = Object.fromEntries(Object.entries(callbackEventNames).map(([type, name]) => [name, type])) as Record<CallbackEventName, string>;

type JsonObject = Record<string, unknown>;

/** The `data` of each event's named example in the callback operations of Connect, by event name. */
function exampleData(): Map<string, JsonObject> {
  const found = new Map<string, JsonObject>();
  const route = routes.find((candidate) => candidate.handler === "connect");
  const connect = route && (deref((spec.paths as Record<string, JsonObject>)[route.path]?.[route.method.toLowerCase()]) as JsonObject | undefined);
  for (const callback of Object.values((connect?.callbacks ?? {}) as JsonObject)) {
    for (const pathItem of Object.values((deref(callback) ?? {}) as JsonObject)) {
      const operation = deref((deref(pathItem) as JsonObject | undefined)?.post) as JsonObject | undefined;
      const body = deref(operation?.requestBody) as JsonObject | undefined;
      for (const media of Object.values((body?.content ?? {}) as Record<string, JsonObject>)) {
        for (const example of Object.values((media.examples ?? {}) as JsonObject)) {
          const value = (deref(example) as JsonObject | undefined)?.value;
          for (const event of Array.isArray(value) ? (value as JsonObject[]) : []) {
            const name = (callbackEventNames as Record<string, string>)[event.type as string];
            if (name && !found.has(name) && event.data && typeof event.data === "object") found.set(name, event.data as JsonObject);
          }
        }
      }
    }
  }
  return found;
}

/** One remembered call. */
interface Call {
  callConnectionId: string;
  serverCallId: string | undefined;
  correlationId: string | undefined;
  operationContext: string | undefined;
  target: URL;
  /** `ended` once ConnectFailed or CallDisconnected is queued: nothing follows either. */
  ended: boolean;
  /** The delivery of this call's events so far: each event waits for the one before it. */
  chain: Promise<void>;
  timer?: NodeJS.Timeout;
}

// --- Loopback rule. ---

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");
LOOPBACK.addSubnet("::ffff:127.0.0.0", 104, "ipv6");

/** Whether an IP address is a loopback address (127.0.0.0/8, ::1, or IPv4-mapped 127.x). */
export function isLoopbackAddress(address: string): boolean {
  const family = isIP(address);
  return family !== 0 && LOOPBACK.check(address, family === 4 ? "ipv4" : "ipv6");
}

const REFUSED_MESSAGE = "callbackUri is not a loopback address; allow its host with --allow-callback-host <host> or --allow-any-callback-host";

type LookupCallback = (error: Error | null, address?: string | LookupAddress[], family?: number) => void;

/** A lookup that answers with addresses resolved earlier: the connection goes to the address that was checked, so a name that changes its answer (DNS rebinding) cannot slip through. */
function pinnedLookup(addresses: LookupAddress[]): RequestOptions["lookup"] {
  return ((_hostname: string, options: { all?: boolean }, callback: LookupCallback) => {
    if (options.all) callback(null, addresses);
    else callback(null, addresses[0]!.address, addresses[0]!.family);
  }) as unknown as RequestOptions["lookup"];
}

/** The loopback addresses a host name resolves to, or why there are none (nothing about the name itself: it came from a caller). */
function resolveLoopback(hostname: string): Promise<{ addresses: LookupAddress[] } | { refused: string }> {
  return new Promise((resolve) => {
    dnsLookup(hostname, { all: true }, (error, addresses) => {
      if (error) return resolve({ refused: `callbackUri's host name does not resolve (${error.code ?? error.name})` });
      const loopback = addresses.filter((entry) => isLoopbackAddress(entry.address));
      resolve(loopback.length > 0 ? { addresses: loopback } : { refused: REFUSED_MESSAGE });
    });
  });
}

/**
 * What the loopback rule makes of a target before any lookup: `send` (an allowed host, or a
 * loopback IP literal), `refuse` (another IP literal) or `lookup` (a name: resolve it and keep
 * only loopback addresses).
 */
export function screenTarget(target: URL, allowHosts: ReadonlySet<string>, allowAnyHost: boolean): "send" | "lookup" | "refuse" {
  const host = target.hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  if (allowAnyHost || allowHosts.has(host)) return "send";
  if (isIP(host) !== 0) return isLoopbackAddress(host) ? "send" : "refuse";
  return "lookup";
}

// --- Delivery. ---

type Outcome = { kind: "status"; status: number } | { kind: "error"; code: string };

/** POSTs one body; resolves with the status or a network error's code. */
function post(target: URL, body: string, token: string, lookup: RequestOptions["lookup"] | undefined, signal: AbortSignal): Promise<Outcome> {
  return new Promise((resolve) => {
    const send = target.protocol === "https:" ? httpsRequest : httpRequest;
    const request = send(
      target,
      {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "content-length": Buffer.byteLength(body) },
        // A fresh connection each time, closed after: nothing lingers at shutdown.
        agent: false,
        lookup,
        signal,
      },
      (response) => {
        // The receiver's answer body is not needed; discard it without keeping it.
        response.resume();
        response.on("error", () => {});
        resolve({ kind: "status", status: response.statusCode ?? 0 });
      },
    );
    request.on("error", (error: NodeJS.ErrnoException) => resolve({ kind: "error", code: signal.aborted ? "timeout" : (error.code ?? error.name) }));
    request.end(body);
  });
}

const retryable = (outcome: Outcome) => (outcome.kind === "error" ? true : outcome.kind === "status" && (outcome.status >= 500 || outcome.status === 429));

/** Creates the callbacks: makes the signing key pair (RS256, like the service's). */
export async function createMockCallbacks(options: MockCallbacksOptions): Promise<MockCallbacks> {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const publicJwk: JWK = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const jwks = JSON.stringify({ keys: [{ ...publicJwk, kid, alg: "RS256", use: "sig" }] });
  const retry = options.retry ?? DEFAULT_RETRY;
  const allowHosts = new Set((options.allowHosts ?? []).map((host) => host.toLowerCase()));
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const templates = exampleData();
  const calls = new Map<string, Call>();
  const shutdown = new AbortController();
  const sleeps = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  let origin = "http://127.0.0.1";
  let pending = 0;
  let attemptsInFlight = 0;
  const waitingForSlot: Array<() => void> = [];
  /** Runs one attempt when fewer than MAX_CONCURRENT_ATTEMPTS are open. */
  const withSlot = async <T>(attempt: () => Promise<T>): Promise<T> => {
    if (attemptsInFlight >= MAX_CONCURRENT_ATTEMPTS) await new Promise<void>((resolve) => waitingForSlot.push(resolve));
    attemptsInFlight++;
    try {
      return await attempt();
    } finally {
      attemptsInFlight--;
      waitingForSlot.shift()?.();
    }
  };

  const sign = () =>
    new SignJWT({})
      .setProtectedHeader({ alg: "RS256", kid, typ: "JWT" })
      .setIssuer(origin)
      .setAudience(options.audience)
      .setIssuedAt()
      .setNotBefore("0s")
      .setExpirationTime(`${TOKEN_LIFETIME_SEC}s`)
      .setJti(randomUUID())
      .sign(privateKey);

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const entry = { timer: setTimeout(() => (sleeps.delete(entry), resolve()), ms), resolve };
      sleeps.add(entry);
    });

  function log(entry: { event: string; callConnectionId: string; to: string | undefined; outcome: string; attempt: number; status?: number; error?: string; retryInMs?: number; message?: string }): void {
    if (options.log === "off") return;
    const time = new Date().toISOString();
    if (options.log === "json") {
      const attempt = entry.outcome === "refused" || entry.outcome === "dropped" ? undefined : entry.attempt;
      write(JSON.stringify({ time, callback: entry.event, callConnectionId: entry.callConnectionId, to: entry.to, status: entry.status, error: entry.error, attempt, attempts: attempt && retry.attempts, outcome: entry.outcome, retryInMs: entry.retryInMs, message: entry.message }));
      return;
    }
    const parts = [time, "callback", entry.event, entry.callConnectionId, entry.to ?? "-"];
    if (entry.outcome === "refused" || entry.outcome === "dropped") parts.push(entry.outcome);
    else parts.push(String(entry.status ?? entry.error), `attempt ${entry.attempt}/${retry.attempts}`, entry.outcome === "retrying" ? `retrying in ${entry.retryInMs} ms` : entry.outcome);
    if (entry.message) parts.push(`- ${entry.message}`);
    write(parts.join(" "));
  }

  async function deliver(call: Call, name: CallbackEventName, event: JsonObject): Promise<void> {
    // Only the origin: a path or query may carry the receiver's own secret.
    const to = call.target.origin;
    let lookup: RequestOptions["lookup"];
    const screened = screenTarget(call.target, allowHosts, options.allowAnyHost === true);
    // A refused target is logged without its host: the host is the caller's text, not yet known to be one the operator allows.
    const refuse = (message: string) => log({ event: name, callConnectionId: call.callConnectionId, to: undefined, outcome: "refused", attempt: 1, message });
    if (screened === "refuse") return refuse(REFUSED_MESSAGE);
    if (screened === "lookup") {
      const resolved = await resolveLoopback(call.target.hostname);
      if ("refused" in resolved) return refuse(resolved.refused);
      lookup = pinnedLookup(resolved.addresses);
    }
    const body = JSON.stringify([event]);
    for (let attempt = 1; attempt <= retry.attempts; attempt++) {
      if (shutdown.signal.aborted) return;
      const outcome = await withSlot(async () => {
        if (shutdown.signal.aborted) return { kind: "error", code: "shutdown" } as const;
        // A new token per attempt: each is valid for 5 minutes from when it is sent.
        const token = await sign();
        return post(call.target, body, token, lookup, AbortSignal.any([shutdown.signal, AbortSignal.timeout(retry.timeoutMs)]));
      });
      if (shutdown.signal.aborted) return;
      const detail = outcome.kind === "status" ? { status: outcome.status } : { error: outcome.code };
      if (outcome.kind === "status" && outcome.status >= 200 && outcome.status < 300) {
        log({ event: name, callConnectionId: call.callConnectionId, to, outcome: "delivered", attempt, ...detail });
        return;
      }
      if (!retryable(outcome)) {
        log({ event: name, callConnectionId: call.callConnectionId, to, outcome: "rejected", attempt, ...detail });
        return;
      }
      if (attempt === retry.attempts) {
        log({ event: name, callConnectionId: call.callConnectionId, to, outcome: "gave up", attempt, ...detail });
        return;
      }
      const full = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
      const delay = Math.round(full / 2 + (Math.random() * full) / 2);
      log({ event: name, callConnectionId: call.callConnectionId, to, outcome: "retrying", attempt, retryInMs: delay, ...detail });
      await sleep(delay);
    }
  }

  /** Builds an event from its spec example and queues it behind the call's earlier events. */
  function enqueue<Name extends CallbackEventName>(call: Call, name: Name, result?: ResultInformation): void {
    const template = structuredClone(templates.get(name) ?? {});
    for (const key of ["callConnectionId", "serverCallId", "correlationId", "operationContext"]) delete template[key];
    const data = {
      ...template,
      callConnectionId: call.callConnectionId,
      ...(call.serverCallId === undefined ? {} : { serverCallId: call.serverCallId }),
      ...(call.correlationId === undefined ? {} : { correlationId: call.correlationId }),
      ...(call.operationContext === undefined ? {} : { operationContext: call.operationContext }),
      // The chosen fields over the example's: `result-code=500` alone keeps the example's message.
      ...(result === undefined ? {} : { resultInformation: { ...(template.resultInformation as ResultInformation | undefined), ...result } }),
    } as CallbackEventMap[Name]["data"];
    const source = `calling/callConnections/${call.callConnectionId}`;
    const event = { id: randomUUID(), source, type: TYPE_OF[name], specversion: "1.0", time: new Date().toISOString(), datacontenttype: "application/json", subject: source, data };
    if (pending >= MAX_PENDING_EVENTS) {
      log({ event: name, callConnectionId: call.callConnectionId, to: undefined, outcome: "dropped", attempt: 0, message: `${MAX_PENDING_EVENTS} events are already waiting for delivery` });
      return;
    }
    pending++;
    call.chain = call.chain.then(() => deliver(call, name, event)).finally(() => void pending--);
  }

  function remember(call: Call): void {
    const earlier = calls.get(call.callConnectionId);
    if (earlier?.timer) clearTimeout(earlier.timer);
    calls.delete(call.callConnectionId);
    calls.set(call.callConnectionId, call);
    while (calls.size > MAX_CALLS) {
      const [oldestId, oldest] = calls.entries().next().value as [string, Call];
      if (oldest.timer) clearTimeout(oldest.timer);
      calls.delete(oldestId);
    }
  }

  function disconnect(callConnectionId: string, result?: ResultInformation): DisconnectOutcome {
    const call = calls.get(callConnectionId);
    if (!call) return "unknown";
    if (call.ended) return "ended";
    call.ended = true;
    if (call.timer) clearTimeout(call.timer);
    enqueue(call, "CallDisconnected", result);
    return "queued";
  }

  const json = (body: string): OutgoingResponse => ({ status: 200, headers: { "content-type": "application/json; charset=utf-8", "cache-control": "max-age=300" }, body });

  return {
    audience: options.audience,
    setOrigin(value) {
      origin = value.replace(/\/+$/, "");
    },
    configurationUrl: () => `${origin}${OPENID_CONFIGURATION_PATHS[0]}`,
    connected(request, connection, plan) {
      if (plan.first === "none" || shutdown.signal.aborted || connection.callConnectionId === undefined) return;
      if (request.callbackUri.length > MAX_CALLBACK_URI_LENGTH) {
        log({ event: plan.first, callConnectionId: connection.callConnectionId, to: undefined, outcome: "refused", attempt: 0, message: `callbackUri is longer than ${MAX_CALLBACK_URI_LENGTH} characters` });
        return;
      }
      let target: URL;
      try {
        target = new URL(request.callbackUri);
      } catch {
        return;
      }
      if (target.protocol !== "http:" && target.protocol !== "https:") return;
      const call: Call = {
        callConnectionId: connection.callConnectionId,
        serverCallId: connection.serverCallId,
        correlationId: connection.correlationId,
        operationContext: request.operationContext,
        target,
        ended: plan.first === "ConnectFailed",
        chain: Promise.resolve(),
      };
      remember(call);
      if (plan.first === "ConnectFailed") {
        enqueue(call, "ConnectFailed", plan.result);
        return;
      }
      enqueue(call, "CallConnected", plan.result);
      if (request.mediaStreamingOptions?.startMediaStreaming === true) enqueue(call, "MediaStreamingStarted");
      if (request.transcriptionOptions?.startTranscription === true) enqueue(call, "TranscriptionStarted");
      if (plan.disconnectAfterMs !== undefined) {
        call.timer = setTimeout(() => disconnect(call.callConnectionId, plan.disconnectResult), plan.disconnectAfterMs);
        call.timer.unref();
      }
    },
    disconnect,
    serve(method, path) {
      const isConfiguration = (OPENID_CONFIGURATION_PATHS as readonly string[]).includes(path);
      if (!isConfiguration && path !== JWKS_PATH) return undefined;
      if (method !== "GET") {
        return errorResponse(405, "MethodNotAllowed", `${path} accepts GET, not ${method}.`, { target: "method", headers: { allow: "GET" } });
      }
      if (!isConfiguration) return json(jwks);
      return json(JSON.stringify({ issuer: origin, jwks_uri: `${origin}${JWKS_PATH}`, id_token_signing_alg_values_supported: ["RS256"] }));
    },
    close() {
      shutdown.abort();
      for (const call of calls.values()) if (call.timer) clearTimeout(call.timer);
      for (const resolve of waitingForSlot.splice(0)) resolve();
      for (const entry of sleeps) {
        clearTimeout(entry.timer);
        entry.resolve();
      }
      sleeps.clear();
      return pending;
    },
  };
}
