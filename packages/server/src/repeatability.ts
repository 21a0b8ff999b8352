/**
 * Repeatable requests (OASIS Repeatable Requests 1.0, as Azure Communication Services applies
 * it): the first request with a Repeatability-Request-ID executes; a repeat of it inside the
 * window gets the stored response instead of a second execution.
 *
 * The store is an interface so that several server instances behind one endpoint can share
 * one (a database or cache with an atomic claim); `MemoryRepeatabilityStore` serves one process.
 */

/** The parts of a response that a repeat gets back. */
export interface StoredResponse {
  status: number;
  body: string;
  contentType: string;
}

/** What a claim found. */
export type RepeatabilityClaim =
  /** The id is new (or its record expired): the caller executes and then completes or releases. */
  | { state: "claimed" }
  /** A request with this id finished; `fingerprint` tells whether it was the same request. */
  | { state: "completed"; fingerprint: string; response: StoredResponse }
  /**
   * A request with this id is executing. A store that can notify gives `completion`, which
   * settles with the response (or undefined if the first request was released); without it the
   * repeat is refused with 409.
   */
  | { state: "in-progress"; fingerprint: string; completion?: Promise<StoredResponse | undefined> };

/**
 * Where repeatable requests are remembered. Implement it over a shared database or cache to
 * serve several instances; `MemoryRepeatabilityStore` serves one process.
 */
export interface RepeatabilityStore {
  /**
   * Atomically claims `key` for a request with `fingerprint`, or reports the record already there.
   * The record may be forgotten after `expiresAt` (ms since the epoch). `key` already holds the
   * caller's principal and the Repeatability-Request-ID, so records of different callers never
   * meet; `principal` is passed as well for a store that gives each caller its own share.
   */
  claim(key: string, fingerprint: string, expiresAt: number, principal?: string): RepeatabilityClaim | Promise<RepeatabilityClaim>;
  /** Stores the response of the claimed request, for repeats to replay. */
  complete(key: string, response: StoredResponse): void | Promise<void>;
  /** Forgets the claim without a response (e.g. after a 5xx), so that a retry can execute. */
  release(key: string): void | Promise<void>;
}

/** One caller's records, oldest first, and what they hold. */
interface Bucket {
  readonly principal: string;
  /** Whether the per-principal caps apply (claims made without a principal share only the totals). */
  readonly limited: boolean;
  /**
   * Records in claim order, for expiry and eviction from the oldest end. A Map is not used as
   * the queue: V8 leaves a hole for every key deleted from its front, and each new iterator walks
   * over all of them, so evicting through `map.keys().next()` slows down as evictions pile up.
   */
  queue: Entry[];
  head: number;
  count: number;
  bytes: number;
}

/**
 * One record. The response is kept as its parts rather than the StoredResponse object it came
 * in: tens of thousands of records live for minutes, and one object fewer each is less for the
 * garbage collector to trace.
 */
interface Entry {
  key: string;
  bucket: Bucket;
  fingerprint: string;
  expiresAt: number;
  /** 0 until completed. */
  status: number;
  body: string;
  contentType: string;
  /** What the completed record counts against the byte budgets. */
  bytes: number;
  /** False once forgotten; the queue skips it when it reaches the front. */
  live: boolean;
  completion: Promise<StoredResponse | undefined> | undefined;
  settle: ((response: StoredResponse | undefined) => void) | undefined;
}

/** The bounds of a MemoryRepeatabilityStore. */
export interface MemoryRepeatabilityStoreOptions {
  /**
   * The most records kept (default 50,000). Past it the oldest are evicted even inside the
   * window, which keeps memory bounded under any load; a repeat of an evicted id executes again.
   * Size it to the ids expected within one window, or use a shared store.
   */
  maxEntries?: number;
  /**
   * The most bytes of stored responses kept (default 64 MiB), counting each record's body,
   * fingerprint and key as UTF-8. Past it the oldest records are evicted; a response larger
   * than the budget (or than its caller's share) is not stored, and its repeat executes again.
   */
  maxBytes?: number;
  /**
   * The most records one principal (one access key, one bearer principal) holds (default a
   * quarter of `maxEntries`). Past it that caller's own oldest records go first, so one caller
   * cannot evict the records of another.
   */
  maxEntriesPerPrincipal?: number;
  /** The most bytes one principal holds (default a quarter of `maxBytes`); as `maxEntriesPerPrincipal`. */
  maxBytesPerPrincipal?: number;
  /** The clock, for tests. */
  now?: () => number;
}

const CLAIMED: RepeatabilityClaim = Object.freeze({ state: "claimed" });
/** The bucket of claims made without a principal (a store used directly, not through the handler). */
const UNSCOPED = "\u0000unscoped";

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const chosen = value ?? fallback;
  if (!Number.isInteger(chosen) || chosen < 1) throw new RangeError(`MemoryRepeatabilityStore ${name} must be a positive integer.`);
  return chosen;
}

/**
 * An in-process, bounded RepeatabilityStore: records expire after the window, and at most
 * `maxEntries` records and `maxBytes` bytes are kept, each principal within its own share.
 * When the totals are reached, the oldest record of the principal holding the most goes first.
 */
export class MemoryRepeatabilityStore implements RepeatabilityStore {
  readonly #entries = new Map<string, Entry>();
  readonly #buckets = new Map<string, Bucket>();
  #bytes = 0;
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #maxEntriesPerPrincipal: number;
  readonly #maxBytesPerPrincipal: number;
  readonly #now: () => number;

  constructor(options: MemoryRepeatabilityStoreOptions = {}) {
    this.#maxEntries = positiveInteger("maxEntries", options.maxEntries, 50_000);
    this.#maxBytes = positiveInteger("maxBytes", options.maxBytes, 64 * 1024 * 1024);
    this.#maxEntriesPerPrincipal = positiveInteger("maxEntriesPerPrincipal", options.maxEntriesPerPrincipal, Math.max(1, Math.floor(this.#maxEntries / 4)));
    this.#maxBytesPerPrincipal = positiveInteger("maxBytesPerPrincipal", options.maxBytesPerPrincipal, Math.max(1, Math.floor(this.#maxBytes / 4)));
    this.#now = options.now ?? Date.now;
  }

  /** How many records are held now. */
  get size(): number {
    return this.#entries.size;
  }

  /** How many bytes the held records count against `maxBytes`. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Claims `key` within `principal`'s share (claims without a principal count only against the totals). */
  claim(key: string, fingerprint: string, expiresAt: number, principal?: string): RepeatabilityClaim {
    const now = this.#now();
    const existing = this.#entries.get(key);
    if (existing && existing.expiresAt > now) {
      if (existing.status !== 0) {
        return { state: "completed", fingerprint: existing.fingerprint, response: { status: existing.status, body: existing.body, contentType: existing.contentType } };
      }
      existing.completion ??= new Promise((resolve) => (existing.settle = resolve));
      return { state: "in-progress", fingerprint: existing.fingerprint, completion: existing.completion };
    }
    if (existing) this.#forget(existing);
    const name = principal ?? UNSCOPED;
    let bucket = this.#buckets.get(name);
    if (!bucket) {
      bucket = { principal: name, limited: principal !== undefined, queue: [], head: 0, count: 0, bytes: 0 };
      this.#buckets.set(name, bucket);
    }
    // Room for one more: this caller's expired records and, past its share, its oldest go first.
    this.#trim(bucket, now, 1, 0);
    while (this.#entries.size >= this.#maxEntries) this.#evictOldest(this.#heaviest((b) => b.count));
    // Forgetting its last record above may have unregistered the bucket.
    if (this.#buckets.get(name) !== bucket) this.#buckets.set(name, bucket);
    const entry: Entry = { key, bucket, fingerprint, expiresAt, status: 0, body: "", contentType: "", bytes: 0, live: true, completion: undefined, settle: undefined };
    this.#entries.set(key, entry);
    bucket.queue.push(entry);
    bucket.count++;
    return CLAIMED;
  }

  /** Stores the response, evicting the oldest records past the byte budgets. */
  complete(key: string, response: StoredResponse): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    const bytes =
      Buffer.byteLength(response.body) + Buffer.byteLength(entry.fingerprint) + Buffer.byteLength(key) + Buffer.byteLength(response.contentType);
    const bucket = entry.bucket;
    if (bytes > this.#maxBytes || (bucket.limited && bytes > this.#maxBytesPerPrincipal)) {
      // Too large to keep: those waiting get it, a later repeat executes again.
      entry.settle?.(response);
      entry.settle = undefined;
      this.#forget(entry);
      return;
    }
    entry.status = response.status;
    entry.body = response.body;
    entry.contentType = response.contentType;
    entry.bytes = bytes;
    bucket.bytes += bytes;
    this.#bytes += bytes;
    entry.settle?.(response);
    entry.settle = undefined;
    entry.completion = undefined;
    this.#trim(bucket, this.#now(), 0, 0);
    while (this.#bytes > this.#maxBytes) this.#evictOldest(this.#heaviest((b) => b.bytes));
  }

  /** Forgets an unfinished claim; its waiters claim again. */
  release(key: string): void {
    const entry = this.#entries.get(key);
    if (entry && entry.status === 0) this.#forget(entry);
  }

  #forget(entry: Entry): void {
    if (!entry.live) return;
    entry.live = false;
    if (this.#entries.get(entry.key) === entry) this.#entries.delete(entry.key);
    const bucket = entry.bucket;
    bucket.count--;
    bucket.bytes -= entry.bytes;
    this.#bytes -= entry.bytes;
    // The response string goes with the record, not when the queue's front reaches it.
    entry.body = "";
    entry.settle?.(undefined);
    entry.settle = undefined;
    if (bucket.count === 0 && this.#buckets.get(bucket.principal) === bucket) this.#buckets.delete(bucket.principal);
  }

  /**
   * Drops a bucket's records from the oldest end while they have expired, or (for a principal)
   * while it would hold more than its share with `entries` more records and `bytes` more bytes.
   */
  #trim(bucket: Bucket, now: number, entries: number, bytes: number): void {
    while (bucket.head < bucket.queue.length) {
      const oldest = bucket.queue[bucket.head]!;
      if (oldest.live) {
        const over =
          bucket.limited && (bucket.count + entries > this.#maxEntriesPerPrincipal || bucket.bytes + bytes > this.#maxBytesPerPrincipal);
        if (oldest.expiresAt > now && !over) break;
        this.#forget(oldest);
      }
      bucket.head++;
    }
    this.#compact(bucket);
  }

  #evictOldest(bucket: Bucket): void {
    while (bucket.head < bucket.queue.length) {
      const oldest = bucket.queue[bucket.head++]!;
      if (oldest.live) {
        this.#forget(oldest);
        break;
      }
    }
    this.#compact(bucket);
  }

  /** Compacts once the consumed front is as long as what is left, keeping pushes amortized O(1). */
  #compact(bucket: Bucket): void {
    if (bucket.head > 1024 && bucket.head * 2 > bucket.queue.length) {
      bucket.queue = bucket.queue.slice(bucket.head);
      bucket.head = 0;
    }
  }

  /** The bucket holding the most by `measure`: the one whose records go first when the totals are reached. */
  #heaviest(measure: (bucket: Bucket) => number): Bucket {
    let heaviest: Bucket | undefined;
    for (const bucket of this.#buckets.values()) if (!heaviest || measure(bucket) > measure(heaviest)) heaviest = bucket;
    return heaviest!;
  }
}
