/**
 * `createCallbackHandler`: a Fetch handler (`(Request) => Promise<Response>`) for the requests the
 * service sends to `callbackUri`. Its steps, in order: method, bearer JWT, body (bounded),
 * events (validated), handlers, waiters. Every refusal is answered in the API's error shape.
 */
import type { CallbackEvent, CallbackEventMap, CallbackEventName } from "@acs-connect/types";
import { CallbackError } from "./errors.ts";
import { eventName, parseCallbackEvents } from "./parse.ts";
import { createVerifier } from "./verify.ts";

/** A handler of one known event. */
export type EventHandler<Name extends CallbackEventName> = (event: CallbackEventMap[Name]) => void | Promise<void>;

/** Options of {@link createCallbackHandler}. */
export interface CallbackHandlerOptions {
  /** The `aud` the tokens must carry: the immutable resource ID of the Communication Services resource. */
  audience: string | readonly string[];
  /** The `iss` the tokens must carry. Default: the `issuer` of the OpenID configuration. */
  issuer?: string;
  /** Where the OpenID configuration is. Default: the one of Azure Communication Services Call Automation. */
  openIdConfigurationUrl?: string;
  /** Skew allowed on `exp` and `nbf`, in seconds. Default 60. */
  clockToleranceSec?: number;
  /** Least time between two fetches of the signing keys when a token names an unknown key id, in ms. Default 30 000. */
  jwksCooldownMs?: number;
  /** Largest body accepted, in bytes. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Called with every event, known or not, after its typed handler. */
  onEvent?: (event: CallbackEvent) => void | Promise<void>;
  /** Typed handlers by event name. */
  handlers?: { [Name in CallbackEventName]?: EventHandler<Name> };
  /** The fetch used for the OpenID configuration and the keys. Default: the global fetch. */
  fetch?: typeof globalThis.fetch;
}

/** Options of {@link CallbackHandler.waitForEvent}. */
export interface WaitOptions {
  /** Rejects the wait when aborted. */
  signal?: AbortSignal;
  /** Rejects the wait after this many milliseconds. Default 30 000. */
  timeoutMs?: number;
}

/** A Fetch handler for callbacks, with a way to await events. */
export interface CallbackHandler {
  /** Handles one callback request: 200 once every event is handled, else 401, 400, 405, 413, 415, 500 or 503 with an error body. */
  (request: Request): Promise<Response>;
  /**
   * The first event named `name` for the call connection `callConnectionId`, including one that
   * arrived before the call (the last {@link RECENT_EVENTS} events are kept), so a script can
   * `connect` and then wait without a race.
   */
  waitForEvent<Name extends CallbackEventName>(callConnectionId: string, name: Name, options?: WaitOptions): Promise<CallbackEventMap[Name]>;
}

/** How many delivered events a handler keeps for {@link CallbackHandler.waitForEvent}. */
export const RECENT_EVENTS = 256;

interface Waiter {
  matches(event: CallbackEvent): boolean;
  resolve(event: CallbackEvent): void;
}

const connectionOf = (event: CallbackEvent): unknown => (event.data as { callConnectionId?: unknown } | undefined)?.callConnectionId;

/** Creates the Fetch handler of a callback endpoint. */
export function createCallbackHandler(options: CallbackHandlerOptions): CallbackHandler {
  if (typeof options?.audience !== "string" && !Array.isArray(options?.audience)) {
    throw new TypeError("createCallbackHandler: options.audience must be the resource ID (a string) or a list of them.");
  }
  const verify = createVerifier(options);
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const recent: CallbackEvent[] = [];
  const waiters = new Set<Waiter>();

  const deliver = async (events: CallbackEvent[]): Promise<void> => {
    for (const event of events) {
      const name = eventName(event);
      const handler = name === undefined ? undefined : (options.handlers?.[name as CallbackEventName] as ((event: CallbackEvent) => unknown) | undefined);
      await handler?.(event);
      await options.onEvent?.(event);
      recent.push(event);
      if (recent.length > RECENT_EVENTS) recent.shift();
      for (const waiter of waiters) if (waiter.matches(event)) waiter.resolve(event);
    }
  };

  const handle = async (request: Request): Promise<Response> => {
    try {
      if (request.method !== "POST") throw new CallbackError(405, "MethodNotAllowed", `Callbacks are POST requests, not ${request.method}.`);
      await verify(request.headers.get("authorization"));
      const type = request.headers.get("content-type") ?? "";
      if (!/^application\/(cloudevents-batch\+|cloudevents\+)?json\b/i.test(type)) {
        throw new CallbackError(415, "UnsupportedMediaType", "The callback body must be JSON (Content-Type: application/json).", "Content-Type");
      }
      const events = parseCallbackEvents(await readBody(request, maxBodyBytes));
      try {
        await deliver(events);
      } catch {
        // The handler's error is the application's; it is not echoed to the caller.
        throw new CallbackError(500, "InternalServerError", "A handler failed on the event.");
      }
      return new Response(null, { status: 200 });
    } catch (error) {
      const refusal = error instanceof CallbackError ? error : new CallbackError(500, "InternalServerError", "The callback could not be handled.");
      return Response.json(refusal.toJSON(), {
        status: refusal.status,
        headers: refusal.status === 401 ? { "www-authenticate": 'Bearer error="invalid_token"' } : {},
      });
    }
  };

  const waitForEvent = <Name extends CallbackEventName>(callConnectionId: string, name: Name, waitOptions: WaitOptions = {}): Promise<CallbackEventMap[Name]> => {
    const matches = (event: CallbackEvent) => eventName(event) === name && connectionOf(event) === callConnectionId;
    const earlier = recent.find(matches);
    if (earlier) return Promise.resolve(earlier as CallbackEventMap[Name]);
    return new Promise((resolve, reject) => {
      const timeoutMs = waitOptions.timeoutMs ?? 30_000;
      const done = () => {
        clearTimeout(timer);
        waiters.delete(waiter);
        waitOptions.signal?.removeEventListener("abort", onAbort);
      };
      const waiter: Waiter = { matches, resolve: (event) => (done(), resolve(event as CallbackEventMap[Name])) };
      const onAbort = () => (done(), reject(waitOptions.signal!.reason ?? new DOMException("The wait was aborted.", "AbortError")));
      const timer = setTimeout(() => (done(), reject(new Error(`No ${name} event for call connection ${callConnectionId} within ${timeoutMs} ms.`))), timeoutMs);
      if (waitOptions.signal?.aborted) return onAbort();
      waitOptions.signal?.addEventListener("abort", onAbort, { once: true });
      waiters.add(waiter);
    });
  };

  return Object.assign(handle, { waitForEvent });
}

/** The body's bytes, refused with 413 as soon as it exceeds `limit` (a lying Content-Length does not get past). */
async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length"));
  const tooLarge = () => new CallbackError(413, "PayloadTooLarge", `The callback body exceeds ${limit} bytes.`);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  if (!request.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}
