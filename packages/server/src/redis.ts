/**
 * `@acs-connect/server/redis`: a RepeatabilityStore over Redis, so that several server instances
 * behind one endpoint execute each repeatable request once. It needs the `ioredis` package (an
 * optional peer dependency: users of the memory store install nothing).
 *
 * A record is one Redis hash, `acs-connect:repeatability:<principal>:<Repeatability-Request-ID>`:
 * `f` the request's fingerprint, `o` the claiming instance's lease token while it executes, and
 * `s`, `b`, `t` (status, body, content type) once it completed. Claim, renewal, completion and
 * release are each one Lua script, so every step is atomic and checks the lease it belongs to.
 *
 * @example
 * ```ts
 * import { createConnectHandler, mockConnect } from "@acs-connect/server";
 * import { RedisRepeatabilityStore } from "@acs-connect/server/redis";
 * const store = new RedisRepeatabilityStore({ url: "redis://127.0.0.1:6379" });
 * const handle = createConnectHandler({ connect: mockConnect, auth: { accessKey: process.env.ACS_ACCESS_KEY! }, repeatabilityStore: store });
 * ```
 * @packageDocumentation
 */
import { randomUUID } from "node:crypto";
import { Redis, type RedisOptions } from "ioredis";
import type { RepeatabilityClaim, RepeatabilityStore, StoredResponse } from "./repeatability.ts";

// The interface the store implements, so that this entry point's declarations stand alone.
export type { RepeatabilityClaim, RepeatabilityStore, StoredResponse } from "./repeatability.ts";

/** How a RedisRepeatabilityStore connects and how long its leases last. */
export interface RedisRepeatabilityStoreOptions {
  /** The Redis URL, e.g. `redis://127.0.0.1:6379` or `rediss://user:pass@host:6380/2` (default `redis://127.0.0.1:6379`). */
  url?: string;
  /** More ioredis options (TLS, sentinels, ...); the store's own settings for failing fast win. */
  redisOptions?: RedisOptions;
  /**
   * How long a claim lives without renewal (default 5000 ms). The executing instance renews it
   * every third of this; if that instance dies, a repeat can execute once this has passed.
   */
  leaseMs?: number;
  /** How often a repeat waiting for another instance's request checks its record, besides pub/sub (default 200 ms). */
  pollIntervalMs?: number;
  /**
   * How long a repeat's wait for another instance's request lasts at most (default 30 s); keep it
   * at least the handler's `inFlightWaitMs`.
   */
  maxWaitMs?: number;
  /**
   * The largest record kept (default 1 MiB), counting the body, fingerprint, key and content type
   * as UTF-8, as MemoryRepeatabilityStore does. A larger response is not stored: its claim is
   * released and a later repeat executes again.
   */
  maxRecordBytes?: number;
  /** How long one Redis command may take before the store counts Redis as unavailable (default 1000 ms). */
  commandTimeoutMs?: number;
  /** The key prefix (default `acs-connect:repeatability:`); the completion channel is `<prefix>completed`. */
  prefix?: string;
  /** Told about Redis connection errors and lost leases (default: nothing); never given a response body. */
  onError?: (error: Error) => void;
  /** Told each time the store has (re)connected to Redis. */
  onReady?: () => void;
}

/** One claim this instance holds while its request executes. */
interface Lease {
  readonly redisKey: string;
  readonly token: string;
  readonly fingerprint: string;
  readonly expiresAt: number;
  timer: NodeJS.Timeout | undefined;
}

/** A completion Redis could not take when it came; written when Redis is back. */
interface Unsaved {
  readonly lease: Lease;
  readonly response: StoredResponse;
}

/** A repeat (or several) waiting here for a request another instance (or this one) is executing. */
interface Waiter {
  readonly promise: Promise<StoredResponse | undefined>;
  readonly settle: (response: StoredResponse | undefined) => void;
  readonly until: number;
  timer: NodeJS.Timeout | undefined;
  checking: boolean;
}

const CLAIM = `
local v = redis.call('HMGET', KEYS[1], 'f', 's', 'b', 't')
if v[1] then return v end
redis.call('HSET', KEYS[1], 'f', ARGV[1], 'o', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return false`;
const RENEW = `
if redis.call('HGET', KEYS[1], 'o') == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;
// A completion is written when this lease still holds the record, or when the record is gone
// (the lease ran out while Redis was away and nobody claimed since): the request did execute.
const COMPLETE = `
local o = redis.call('HGET', KEYS[1], 'o')
if o then
  if o ~= ARGV[1] then return 0 end
elseif redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'f', ARGV[2], 's', ARGV[3], 'b', ARGV[4], 't', ARGV[5])
redis.call('HDEL', KEYS[1], 'o')
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('PUBLISH', ARGV[7], KEYS[1])
return 1`;
const RELEASE = `
if redis.call('HGET', KEYS[1], 'o') == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], KEYS[1])
  return 1
end
return 0`;

/** The commands the scripts add to the client. */
interface ScriptedRedis extends Redis {
  acsClaim(key: string, fingerprint: string, token: string, leaseMs: number): Promise<[string, string | null, string | null, string | null] | null>;
  acsRenew(key: string, token: string, leaseMs: number): Promise<number>;
  acsComplete(key: string, token: string, fingerprint: string, status: number, body: string, contentType: string, ttlMs: number, channel: string): Promise<number>;
  acsRelease(key: string, token: string, channel: string): Promise<number>;
}

const CLAIMED: RepeatabilityClaim = Object.freeze({ state: "claimed" });
/** Completions kept for a Redis outage, at most; past it the oldest is dropped (its repeat executes again). */
const MAX_UNSAVED = 10_000;

function positive(name: string, value: number | undefined, fallback: number): number {
  const chosen = value ?? fallback;
  if (typeof chosen !== "number" || !Number.isFinite(chosen) || chosen <= 0) {
    throw new RangeError(`RedisRepeatabilityStore ${name} must be a positive number, got ${String(value)}.`);
  }
  return chosen;
}

/**
 * A RepeatabilityStore shared by every instance that points at the same Redis. A claim is a lease
 * that the executing instance renews; a repeat arriving meanwhile on any instance learns the
 * result through pub/sub (or, if a message is lost, by polling). When Redis cannot be reached,
 * `claim` rejects at once (no command is queued), which the handler answers with 503.
 */
export class RedisRepeatabilityStore implements RepeatabilityStore {
  readonly #client: ScriptedRedis;
  readonly #subscriber: Redis;
  readonly #leaseMs: number;
  readonly #pollIntervalMs: number;
  readonly #maxWaitMs: number;
  readonly #maxRecordBytes: number;
  readonly #prefix: string;
  readonly #channel: string;
  readonly #onError: (error: Error) => void;
  readonly #leases = new Map<string, Lease>();
  readonly #waiters = new Map<string, Waiter>();
  readonly #unsaved = new Map<string, Unsaved>();
  readonly #ready: Promise<void>;
  #closed = false;

  constructor(options: RedisRepeatabilityStoreOptions = {}) {
    this.#leaseMs = Math.ceil(positive("leaseMs", options.leaseMs, 5000));
    this.#pollIntervalMs = positive("pollIntervalMs", options.pollIntervalMs, 200);
    this.#maxWaitMs = positive("maxWaitMs", options.maxWaitMs, 30_000);
    this.#maxRecordBytes = positive("maxRecordBytes", options.maxRecordBytes, 1024 * 1024);
    const commandTimeout = positive("commandTimeoutMs", options.commandTimeoutMs, 1000);
    this.#prefix = options.prefix ?? "acs-connect:repeatability:";
    this.#channel = `${this.#prefix}completed`;
    this.#onError = options.onError ?? (() => {});
    const url = options.url ?? "redis://127.0.0.1:6379";
    const settings: RedisOptions = {
      ...options.redisOptions,
      // Fail fast while Redis is away: a request queued behind a dead connection would hold its
      // caller far longer than the 503 it ends up with anyway.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout,
      // Commands issued in the same tick go out in one write: under load, one syscall and one
      // Redis read for many claims and completions instead of one each.
      enableAutoPipelining: true,
      // Reconnect for ever, backing off to one attempt a second, so the store recovers by itself.
      retryStrategy: (times) => Math.min(50 * times, 1000),
    };
    this.#client = new Redis(url, settings) as ScriptedRedis;
    this.#client.defineCommand("acsClaim", { numberOfKeys: 1, lua: CLAIM });
    this.#client.defineCommand("acsRenew", { numberOfKeys: 1, lua: RENEW });
    this.#client.defineCommand("acsComplete", { numberOfKeys: 1, lua: COMPLETE });
    this.#client.defineCommand("acsRelease", { numberOfKeys: 1, lua: RELEASE });
    // The subscriber queues its SUBSCRIBE until connected and subscribes again after a reconnect.
    this.#subscriber = new Redis(url, { ...options.redisOptions, retryStrategy: settings.retryStrategy, maxRetriesPerRequest: null });
    const report = (error: Error) => {
      if (!this.#closed) this.#onError(error);
    };
    this.#client.on("error", report);
    this.#subscriber.on("error", report);
    this.#client.on("ready", () => {
      options.onReady?.();
      void this.#flushUnsaved();
    });
    this.#subscriber.on("message", (_channel: string, redisKey: string) => {
      const waiter = this.#waiters.get(redisKey);
      if (waiter) void this.#check(redisKey, waiter);
    });
    this.#subscriber.subscribe(this.#channel).catch(report);
    this.#ready = new Promise((resolve) => {
      if (this.#client.status === "ready") resolve();
      else this.#client.once("ready", () => resolve());
    });
  }

  /** Resolves once the store has reached Redis (never rejects; it keeps trying). */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** Claims the id: a lease of `leaseMs` that this instance renews until `complete` or `release`. */
  async claim(key: string, fingerprint: string, expiresAt: number, principal?: string): Promise<RepeatabilityClaim> {
    const redisKey = this.#redisKey(key, principal);
    const token = randomUUID();
    const found = await this.#client.acsClaim(redisKey, fingerprint, token, this.#leaseMs);
    if (found === null) {
      const lease: Lease = { redisKey, token, fingerprint, expiresAt, timer: undefined };
      lease.timer = setInterval(() => void this.#renew(key, lease), Math.max(1, Math.floor(this.#leaseMs / 3)));
      lease.timer.unref();
      this.#leases.set(key, lease);
      return CLAIMED;
    }
    const [storedFingerprint, status, body, contentType] = found;
    if (status !== null) {
      return { state: "completed", fingerprint: storedFingerprint, response: { status: Number(status), body: body ?? "", contentType: contentType ?? "" } };
    }
    return { state: "in-progress", fingerprint: storedFingerprint, completion: this.#wait(redisKey) };
  }

  /**
   * Stores the response until the window's end and tells waiting repeats. If Redis is away, the
   * completion is kept here and written when it is back (the request did execute: forgetting it
   * would let a repeat execute it again).
   */
  async complete(key: string, response: StoredResponse): Promise<void> {
    const lease = this.#end(key);
    if (!lease) return;
    const bytes =
      Buffer.byteLength(response.body) + Buffer.byteLength(lease.fingerprint) + Buffer.byteLength(lease.redisKey) + Buffer.byteLength(response.contentType);
    if (bytes > this.#maxRecordBytes) {
      await this.#release(lease);
      return;
    }
    try {
      await this.#write(lease, response);
    } catch (error) {
      this.#keepUnsaved(lease, response);
      throw error;
    }
  }

  /** Forgets the claim (the request failed with 5xx), so that a repeat on any instance can execute. */
  async release(key: string): Promise<void> {
    const lease = this.#end(key);
    if (lease) await this.#release(lease);
  }

  /** Closes both connections at once; claims still held expire with their leases. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const lease of this.#leases.values()) clearInterval(lease.timer);
    this.#leases.clear();
    for (const [redisKey, waiter] of this.#waiters) this.#settle(redisKey, waiter, undefined);
    // Not QUIT: with Redis away it would wait for ever in the subscriber's queue, and nothing
    // is owed to Redis here (a claim still held expires with its lease).
    this.#client.disconnect();
    this.#subscriber.disconnect();
  }

  /** `<prefix><principal>:<id>`: the handler's key is `<principal> <id>`. */
  #redisKey(key: string, principal: string | undefined): string {
    if (principal !== undefined && key.startsWith(`${principal} `)) return `${this.#prefix}${principal}:${key.slice(principal.length + 1)}`;
    return `${this.#prefix}${key}`;
  }

  #end(key: string): Lease | undefined {
    const lease = this.#leases.get(key);
    if (!lease) return undefined;
    clearInterval(lease.timer);
    this.#leases.delete(key);
    return lease;
  }

  async #renew(key: string, lease: Lease): Promise<void> {
    try {
      const renewed = await this.#client.acsRenew(lease.redisKey, lease.token, this.#leaseMs);
      if (renewed === 0 && this.#leases.get(key) === lease) {
        // The record expired (Redis was away longer than the lease) or was taken: stop renewing;
        // completion still writes the result if nobody else holds the id.
        clearInterval(lease.timer);
        this.#onError(new Error("A repeatability lease was lost while its request executed (Redis unreachable for longer than leaseMs)."));
      }
    } catch {
      // Redis is away; the next tick tries again, and the lease expires by itself if it stays away.
    }
  }

  async #write(lease: Lease, response: StoredResponse): Promise<void> {
    const ttlMs = Math.max(1, Math.ceil(lease.expiresAt - Date.now()));
    await this.#client.acsComplete(lease.redisKey, lease.token, lease.fingerprint, response.status, response.body, response.contentType, ttlMs, this.#channel);
  }

  async #release(lease: Lease): Promise<void> {
    await this.#client.acsRelease(lease.redisKey, lease.token, this.#channel);
  }

  #keepUnsaved(lease: Lease, response: StoredResponse): void {
    if (this.#unsaved.size >= MAX_UNSAVED) this.#unsaved.delete(this.#unsaved.keys().next().value!);
    this.#unsaved.set(lease.redisKey, { lease, response });
  }

  async #flushUnsaved(): Promise<void> {
    for (const [redisKey, { lease, response }] of this.#unsaved) {
      if (lease.expiresAt <= Date.now()) {
        this.#unsaved.delete(redisKey);
        continue;
      }
      try {
        await this.#write(lease, response);
        this.#unsaved.delete(redisKey);
      } catch {
        return; // Gone again: the next "ready" tries the rest.
      }
    }
  }

  /** One shared wait per record: settles on pub/sub or polling, or with undefined after maxWaitMs. */
  #wait(redisKey: string): Promise<StoredResponse | undefined> {
    const existing = this.#waiters.get(redisKey);
    if (existing) return existing.promise;
    let settle!: (response: StoredResponse | undefined) => void;
    const promise = new Promise<StoredResponse | undefined>((resolve) => (settle = resolve));
    const waiter: Waiter = { promise, settle, until: performance.now() + this.#maxWaitMs, timer: undefined, checking: false };
    this.#waiters.set(redisKey, waiter);
    this.#schedule(redisKey, waiter);
    return promise;
  }

  #schedule(redisKey: string, waiter: Waiter): void {
    waiter.timer = setTimeout(() => void this.#check(redisKey, waiter), this.#pollIntervalMs);
    waiter.timer.unref();
  }

  /** Reads the record: completed settles with its response, gone (released or lease expired) with undefined. */
  async #check(redisKey: string, waiter: Waiter): Promise<void> {
    if (waiter.checking || this.#waiters.get(redisKey) !== waiter) return;
    waiter.checking = true;
    clearTimeout(waiter.timer);
    try {
      const [fingerprint, status, body, contentType] = await this.#client.hmget(redisKey, "f", "s", "b", "t");
      if (fingerprint === null) return this.#settle(redisKey, waiter, undefined);
      if (status !== null) return this.#settle(redisKey, waiter, { status: Number(status), body: body ?? "", contentType: contentType ?? "" });
    } catch {
      // Redis is away: the repeat claims again and gets its 503 there.
      return this.#settle(redisKey, waiter, undefined);
    } finally {
      waiter.checking = false;
    }
    if (performance.now() >= waiter.until || this.#closed) this.#settle(redisKey, waiter, undefined);
    else this.#schedule(redisKey, waiter);
  }

  #settle(redisKey: string, waiter: Waiter, response: StoredResponse | undefined): void {
    clearTimeout(waiter.timer);
    if (this.#waiters.get(redisKey) === waiter) this.#waiters.delete(redisKey);
    waiter.settle(response);
  }
}
