/**
 * The state several gateway instances must share, behind one small interface: {@link Store}.
 *
 * Two implementations: `MemoryStore` (one process, the default) and `RedisStore` (Redis or Valkey, for a
 * fleet of instances). Both keep every key under a prefix and give every entry an expiry, so nothing grows
 * without bound; API keys (see `ApiKeys`) are the one deliberate exception, removed by revocation.
 *
 * Every method of a Redis-backed store rejects with `StoreUnavailableError` (code `store_unavailable`) when
 * the server cannot be reached; it never falls back to private memory.
 */

/** A lock held by this process: see {@link Store.lock}. */
export interface Lock {
  /** The lock's name (without the store prefix). */
  readonly name: string;
  /** The random value that proves ownership. */
  readonly token: string;
  /** Extends the lock's expiry to `ttlMs` from now; false when the lock had expired or was taken over. */
  extend(ttlMs: number): Promise<boolean>;
  /** Releases the lock if this process still holds it; false otherwise. Never throws. */
  release(): Promise<boolean>;
}

/**
 * One slot of a bounded pool (see {@link Store.acquireSlot}). While held, the store refreshes its expiry in
 * the background, so a long completion keeps its slot and a crashed instance's slots expire by themselves.
 */
export interface Slot {
  /** The slot's random id. */
  readonly id: string;
  /** Gives the slot back and stops refreshing it. Idempotent; never throws. */
  release(): Promise<void>;
}

/** `n` requests per period: see `parseRateLimit`. */
export interface RateLimitRule {
  /** Requests allowed per period (also the largest burst). A positive integer. */
  limit: number;
  /** The period in ms. */
  periodMs: number;
}

/** The outcome of {@link Store.rateLimit}. */
export interface RateDecision {
  /** Whether this request may go ahead (and was counted). */
  allowed: boolean;
  /** When refused: ms until one more request is allowed (≥ 1). 0 when allowed. */
  retryAfterMs: number;
  /** Requests that could still be made at once after this one. */
  remaining: number;
}

/** Which store backs the state. */
export type StoreKind = "memory" | "redis";

/** The shared state of a gateway fleet. Keys are logical names; the store adds its prefix. */
export interface Store {
  /** `memory` or `redis`. */
  readonly kind: StoreKind;
  /** The prefix of every key, e.g. `robocoders:`. */
  readonly prefix: string;

  /**
   * The value of a key, or `undefined` when absent or expired. With `refreshTtlMs`, a key that exists then
   * expires that long from now (Redis `GETEX PX`): an entry kept while it is used.
   */
  get(key: string, refreshTtlMs?: number): Promise<string | undefined>;
  /** Sets a key that expires `ttlMs` (a positive integer) from now. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /**
   * Sets a key only if it does not exist (Redis `SET NX PX`): true for the one caller that stored it, false
   * for every other, on every instance. The basis of "a remembered point is continued at most once".
   */
  claim(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Removes a key; true when it existed. */
  delete(key: string): Promise<boolean>;

  /** A field of a hash, or `undefined`. */
  hashGet(key: string, field: string): Promise<string | undefined>;
  /** Sets a field of a hash; with `ttlMs`, the whole hash then expires that long from now. */
  hashSet(key: string, field: string, value: string, ttlMs?: number): Promise<void>;
  /** Removes a field of a hash; true when it existed. */
  hashDelete(key: string, field: string): Promise<boolean>;
  /** Every field of a hash (empty when absent). */
  hashEntries(key: string): Promise<Map<string, string>>;

  /**
   * Takes the lock `name` for `ttlMs` if nobody holds it; `undefined` when it is held. The expiry frees the
   * lock of an instance that died while holding it.
   */
  lock(name: string, ttlMs: number): Promise<Lock | undefined>;
  /** Resolves true once nobody holds the lock `name`, or false after `timeoutMs`. */
  waitUnlocked(name: string, timeoutMs: number): Promise<boolean>;

  /**
   * Takes one of `limit` slots of the pool `name` (a fleet-wide concurrency cap), or `undefined` when all
   * are taken. A slot expires `ttlMs` after its last refresh; the store refreshes held slots every `ttlMs / 3`.
   */
  acquireSlot(name: string, limit: number, ttlMs: number): Promise<Slot | undefined>;
  /** Slots of the pool `name` now held (expired ones not counted). */
  slotsInUse(name: string): Promise<number>;

  /**
   * Counts one request against `rule` for `key`, atomically across instances (a token bucket of `limit`
   * requests refilled evenly over `periodMs`, computed with the store's clock).
   */
  rateLimit(key: string, rule: RateLimitRule): Promise<RateDecision>;

  /** Sends `message` to the subscribers of `channel` on every instance. */
  publish(channel: string, message: string): Promise<void>;
  /**
   * Calls `listener` for each message on `channel`; resolves to an unsubscribe function. `onReset` is called
   * when messages may have been missed (the connection was lost and is back), so caches can be dropped.
   */
  subscribe(
    channel: string,
    listener: (message: string) => void,
    onReset?: () => void,
  ): Promise<() => Promise<void>>;

  /** Checks that the store answers; rejects with `StoreUnavailableError` when it does not. */
  ping(): Promise<void>;
  /** Whether the store is reachable right now (as last seen by the connection). */
  readonly available: boolean;
  /** Closes connections and timers; held slots are released. Idempotent. */
  close(): Promise<void>;
}
