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

export interface RepeatabilityStore {
  /**
   * Atomically claims `id` for a request with `fingerprint`, or reports the record already there.
   * The record may be forgotten after `expiresAt` (ms since the epoch).
   */
  claim(id: string, fingerprint: string, expiresAt: number): RepeatabilityClaim | Promise<RepeatabilityClaim>;
  /** Stores the response of the claimed request, for repeats to replay. */
  complete(id: string, response: StoredResponse): void | Promise<void>;
  /** Forgets the claim without a response (e.g. after a 5xx), so that a retry can execute. */
  release(id: string): void | Promise<void>;
}

/**
 * One record. The response is kept as its parts rather than the StoredResponse object it came
 * in: tens of thousands of records live for minutes, and one object fewer each is less for the
 * garbage collector to trace.
 */
interface Entry {
  id: string;
  fingerprint: string;
  expiresAt: number;
  /** 0 until completed. */
  status: number;
  body: string;
  contentType: string;
  completion: Promise<StoredResponse | undefined> | undefined;
  settle: ((response: StoredResponse | undefined) => void) | undefined;
}

export interface MemoryRepeatabilityStoreOptions {
  /**
   * The most records kept (default 50,000). Past it the oldest are evicted even inside the
   * window, which keeps memory bounded under any load; a repeat of an evicted id executes again.
   * Size it to the ids expected within one window, or use a shared store.
   */
  maxEntries?: number;
  /** The clock, for tests. */
  now?: () => number;
}

const CLAIMED: RepeatabilityClaim = Object.freeze({ state: "claimed" });

/** An in-process, bounded RepeatabilityStore: records expire after the window, and at most `maxEntries` are kept. */
export class MemoryRepeatabilityStore implements RepeatabilityStore {
  readonly #entries = new Map<string, Entry>();
  /**
   * Records in claim order, for expiry and eviction from the oldest end. A Map is not used as
   * the queue: V8 leaves a hole for every key deleted from its front, and each new iterator walks
   * over all of them, so evicting through `map.keys().next()` slows down as evictions pile up.
   */
  #queue: Entry[] = [];
  #head = 0;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: MemoryRepeatabilityStoreOptions = {}) {
    const maxEntries = options.maxEntries ?? 50_000;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError("MemoryRepeatabilityStore maxEntries must be a positive integer.");
    }
    this.#maxEntries = maxEntries;
    this.#now = options.now ?? Date.now;
  }

  /** How many records are held now. */
  get size(): number {
    return this.#entries.size;
  }

  claim(id: string, fingerprint: string, expiresAt: number): RepeatabilityClaim {
    const now = this.#now();
    const existing = this.#entries.get(id);
    if (existing && existing.expiresAt > now) {
      if (existing.status !== 0) {
        return { state: "completed", fingerprint: existing.fingerprint, response: { status: existing.status, body: existing.body, contentType: existing.contentType } };
      }
      existing.completion ??= new Promise((resolve) => (existing.settle = resolve));
      return { state: "in-progress", fingerprint: existing.fingerprint, completion: existing.completion };
    }
    if (existing) this.#forget(existing);
    this.#trim(now);
    const entry: Entry = { id, fingerprint, expiresAt, status: 0, body: "", contentType: "", completion: undefined, settle: undefined };
    this.#entries.set(id, entry);
    this.#queue.push(entry);
    return CLAIMED;
  }

  complete(id: string, response: StoredResponse): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    entry.status = response.status;
    entry.body = response.body;
    entry.contentType = response.contentType;
    entry.settle?.(response);
    entry.settle = undefined;
    entry.completion = undefined;
  }

  release(id: string): void {
    const entry = this.#entries.get(id);
    if (entry && entry.status === 0) this.#forget(entry);
  }

  #forget(entry: Entry): void {
    if (this.#entries.get(entry.id) === entry) this.#entries.delete(entry.id);
    entry.settle?.(undefined);
    entry.settle = undefined;
  }

  /**
   * Drops records from the oldest end while they have expired or the store is full. Records
   * already forgotten (released or replaced) are skipped as they reach the front.
   */
  #trim(now: number): void {
    const queue = this.#queue;
    while (this.#head < queue.length) {
      const oldest = queue[this.#head]!;
      const live = this.#entries.get(oldest.id) === oldest;
      if (live && oldest.expiresAt > now && this.#entries.size < this.#maxEntries) break;
      if (live) this.#forget(oldest);
      this.#head++;
    }
    // Compact once the consumed front is as long as what is left, keeping pushes amortized O(1).
    if (this.#head > 1024 && this.#head * 2 > queue.length) {
      this.#queue = queue.slice(this.#head);
      this.#head = 0;
    }
  }
}
