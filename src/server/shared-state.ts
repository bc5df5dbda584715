/**
 * The gateway's state on a shared {@link Store}: conversation affinity (with the fork rule) and session
 * ownership ({@link StoreAffinityStore}), and the cap on running completions ({@link StoreConcurrencyLimiter}).
 * On a Redis store every instance of a fleet shares them, so a conversation's next turn continues its
 * session whichever instance receives it, and `--max-concurrency` caps the fleet as a whole.
 *
 * Keys, under the store's prefix, each with an expiry: `aff:point:<hash>` → session, `aff:taken:<hash>`
 * (the point was continued), `aff:owner:<sid>` → the caller the session was created for, and the slots of
 * the pool `completions`.
 */
import { InvalidArgumentError } from "../core/errors.js";
import type { Store } from "../store/types.js";
import type { AffinityStore } from "./affinity.js";
import { type ConcurrencyLimiter, DEFAULT_MAX_CONCURRENCY, type SlotRelease } from "./limiter.js";

/** Default {@link StoreAffinityStoreOptions.ttlMs}: 1 hour. */
export const DEFAULT_SHARED_AFFINITY_TTL_MS = 3_600_000;
/**
 * How long a running completion's slot lives without a refresh, in ms: the store refreshes held slots every
 * third of it, so a slot of an instance that died is free again within this time.
 */
export const COMPLETION_SLOT_TTL_MS = 30_000;

/** Options of a {@link StoreAffinityStore}. */
export interface StoreAffinityStoreOptions {
  /**
   * How long a conversation point or a session's owner is remembered after it was last set or used, in
   * ms. Default: 1 hour.
   */
  ttlMs?: number;
}

/**
 * An {@link AffinityStore} on a {@link Store}. A point is continued at most once on the whole fleet:
 * continuing takes `aff:taken:<hash>` with `SET NX`, so of several requests from one point, on any
 * instances, exactly one continues the session and the others fork.
 */
export class StoreAffinityStore implements AffinityStore {
  private readonly store: Store;
  /** How long entries are kept after their last use, in ms. */
  readonly ttlMs: number;

  /** @throws InvalidArgumentError when `ttlMs` is not a positive number. */
  constructor(store: Store, options: StoreAffinityStoreOptions = {}) {
    const ttlMs = Math.round(options.ttlMs ?? DEFAULT_SHARED_AFFINITY_TTL_MS);
    if (!(ttlMs >= 1))
      throw new InvalidArgumentError(`affinity ttlMs must be positive, got ${options.ttlMs}`);
    this.store = store;
    this.ttlMs = ttlMs;
  }

  async claim(point: string, onlySid?: string): Promise<string | undefined> {
    const sid = await this.store.get(`aff:point:${point}`, this.ttlMs);
    if (sid === undefined || (onlySid !== undefined && sid !== onlySid)) return undefined;
    return (await this.store.claim(`aff:taken:${point}`, sid, this.ttlMs)) ? sid : undefined;
  }

  async release(point: string, sid: string): Promise<void> {
    if ((await this.store.get(`aff:taken:${point}`)) === sid) await this.store.delete(`aff:taken:${point}`);
  }

  async remember(point: string, sid: string): Promise<void> {
    // The point first: meanwhile, a claim finds it taken and forks (never two continuations). Both are
    // sent at once: one connection keeps their order, and they cost one round trip.
    await Promise.all([
      this.store.set(`aff:point:${point}`, sid, this.ttlMs),
      this.store.delete(`aff:taken:${point}`),
    ]);
  }

  async own(sid: string, caller: string): Promise<void> {
    await this.store.set(`aff:owner:${sid}`, caller, this.ttlMs);
  }

  async ownerOf(sid: string): Promise<string | undefined> {
    return this.store.get(`aff:owner:${sid}`, this.ttlMs);
  }
}

/**
 * A {@link ConcurrencyLimiter} on a {@link Store}: `max` slots shared by every instance of the fleet. A
 * slot is refreshed while its completion runs, and expires {@link COMPLETION_SLOT_TTL_MS} after the
 * instance holding it died.
 */
export class StoreConcurrencyLimiter implements ConcurrencyLimiter {
  /** The cap, for the fleet as a whole. */
  readonly max: number;
  private readonly store: Store;

  /** @throws InvalidArgumentError when `max` is not a positive integer. */
  constructor(store: Store, max = DEFAULT_MAX_CONCURRENCY) {
    if (!Number.isInteger(max) || max < 1) {
      throw new InvalidArgumentError(`maxConcurrency must be a positive integer, got ${max}`);
    }
    this.store = store;
    this.max = max;
  }

  async acquire(): Promise<SlotRelease | undefined> {
    const slot = await this.store.acquireSlot("completions", this.max, COMPLETION_SLOT_TTL_MS);
    if (slot === undefined) return undefined;
    // Slot.release never rejects (a slot it cannot give back expires by itself).
    return () => slot.release();
  }

  /** Slots held now on the whole fleet. */
  active(): Promise<number> {
    return this.store.slotsInUse("completions");
  }
}
