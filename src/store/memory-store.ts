/**
 * The embedded store: the same contract as the Redis store, kept in this process's memory. The default of
 * a single gateway; it shares nothing with other processes.
 */
import { randomUUID } from "node:crypto";
import { checkLimit, checkTtl } from "./check.js";
import { gcra } from "./rate-limit.js";
import type { Lock, RateDecision, RateLimitRule, Slot, Store } from "./types.js";

/** Default {@link MemoryStoreOptions.maxEntries}: 100 000. */
export const DEFAULT_MEMORY_MAX_ENTRIES = 100_000;
/** Default {@link MemoryStoreOptions.sweepIntervalMs}: 30 s. */
export const DEFAULT_MEMORY_SWEEP_MS = 30_000;

/** Options of a {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** Prefix of every key (kept for parity with Redis; visible in {@link Store.prefix}). Default: `robocoders:`. */
  prefix?: string;
  /**
   * Most keys held; past it the least recently written ones are dropped first (hashes written without an
   * expiry, i.e. API keys, are never dropped). Default: 100 000.
   */
  maxEntries?: number;
  /** How often expired entries are swept, in ms. Default: 30 000. */
  sweepIntervalMs?: number;
  /** Clock, in ms. Default: `Date.now`. */
  now?: () => number;
}

type Entry =
  | { type: "string"; value: string; expiresAt: number }
  | { type: "hash"; value: Map<string, string>; expiresAt: number }
  | { type: "slots"; value: Map<string, number>; expiresAt: number };

/** A {@link Store} in this process's memory. */
export class MemoryStore implements Store {
  readonly kind = "memory" as const;
  readonly prefix: string;
  readonly available = true;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly entries = new Map<string, Entry>();
  private readonly unlockWaiters = new Map<string, Set<() => void>>();
  private readonly channels = new Map<string, Set<(message: string) => void>>();
  private readonly heldSlots = new Set<Slot>();
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.prefix = options.prefix ?? "robocoders:";
    this.maxEntries = options.maxEntries ?? DEFAULT_MEMORY_MAX_ENTRIES;
    this.now = options.now ?? Date.now;
    this.sweeper = setInterval(() => this.sweep(), options.sweepIntervalMs ?? DEFAULT_MEMORY_SWEEP_MS);
    this.sweeper.unref();
  }

  /** Keys held now (expired ones included until swept or touched). */
  get size(): number {
    return this.entries.size;
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.drop(key);
      return undefined;
    }
    return entry;
  }

  private drop(key: string): void {
    this.entries.delete(key);
    const waiters = this.unlockWaiters.get(key);
    if (waiters !== undefined) {
      this.unlockWaiters.delete(key);
      for (const wake of waiters) wake();
    }
  }

  private put(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (this.entries.size <= this.maxEntries) return;
    this.sweep();
    for (const [k, e] of this.entries) {
      if (this.entries.size <= this.maxEntries) break;
      if (e.expiresAt !== Number.POSITIVE_INFINITY) this.drop(k);
    }
  }

  /** Drops every expired entry. */
  sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt <= now) this.drop(key);
    }
  }

  async get(key: string, refreshTtlMs?: number): Promise<string | undefined> {
    if (refreshTtlMs !== undefined) checkTtl(refreshTtlMs);
    const entry = this.live(key);
    if (entry?.type !== "string") return undefined;
    if (refreshTtlMs !== undefined) this.put(key, { ...entry, expiresAt: this.now() + refreshTtlMs });
    return entry.value;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    checkTtl(ttlMs);
    this.put(key, { type: "string", value, expiresAt: this.now() + ttlMs });
  }

  async claim(key: string, value: string, ttlMs: number): Promise<boolean> {
    checkTtl(ttlMs);
    if (this.live(key) !== undefined) return false;
    this.put(key, { type: "string", value, expiresAt: this.now() + ttlMs });
    return true;
  }

  async delete(key: string): Promise<boolean> {
    const existed = this.live(key) !== undefined;
    if (existed) this.drop(key);
    return existed;
  }

  async hashGet(key: string, field: string): Promise<string | undefined> {
    const entry = this.live(key);
    return entry?.type === "hash" ? entry.value.get(field) : undefined;
  }

  async hashSet(key: string, field: string, value: string, ttlMs?: number): Promise<void> {
    if (ttlMs !== undefined) checkTtl(ttlMs);
    const entry = this.live(key);
    const map = entry?.type === "hash" ? entry.value : new Map<string, string>();
    map.set(field, value);
    const expiresAt =
      ttlMs !== undefined
        ? this.now() + ttlMs
        : entry?.type === "hash"
          ? entry.expiresAt
          : Number.POSITIVE_INFINITY;
    this.put(key, { type: "hash", value: map, expiresAt });
  }

  async hashDelete(key: string, field: string): Promise<boolean> {
    const entry = this.live(key);
    if (entry?.type !== "hash") return false;
    const existed = entry.value.delete(field);
    if (entry.value.size === 0) this.drop(key);
    return existed;
  }

  async hashEntries(key: string): Promise<Map<string, string>> {
    const entry = this.live(key);
    return entry?.type === "hash" ? new Map(entry.value) : new Map();
  }

  async lock(name: string, ttlMs: number): Promise<Lock | undefined> {
    const key = `lock:${name}`;
    const token = randomUUID();
    if (!(await this.claim(key, token, ttlMs))) return undefined;
    const owns = () => {
      const entry = this.live(key);
      return entry?.type === "string" && entry.value === token;
    };
    return {
      name,
      token,
      extend: async (ms: number) => {
        checkTtl(ms);
        if (!owns()) return false;
        this.put(key, { type: "string", value: token, expiresAt: this.now() + ms });
        return true;
      },
      release: async () => {
        if (!owns()) return false;
        this.drop(key);
        return true;
      },
    };
  }

  async waitUnlocked(name: string, timeoutMs: number): Promise<boolean> {
    const key = `lock:${name}`;
    const deadline = this.now() + timeoutMs;
    // An expiry frees the lock without any call: wake up at least every 50 ms to notice it.
    while (this.live(key) !== undefined) {
      const left = deadline - this.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        let waiters = this.unlockWaiters.get(key);
        if (waiters === undefined) {
          waiters = new Set();
          this.unlockWaiters.set(key, waiters);
        }
        const set = waiters;
        const wake = () => {
          clearTimeout(timer);
          set.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, 50));
        set.add(wake);
      });
    }
    return true;
  }

  private slotPool(name: string): Map<string, number> | undefined {
    const entry = this.live(`slots:${name}`);
    if (entry?.type !== "slots") return undefined;
    const now = this.now();
    for (const [id, expiresAt] of entry.value) if (expiresAt <= now) entry.value.delete(id);
    return entry.value;
  }

  private touchSlot(name: string, id: string, ttlMs: number): void {
    const key = `slots:${name}`;
    const pool = this.slotPool(name) ?? new Map<string, number>();
    const expiresAt = this.now() + ttlMs;
    pool.set(id, expiresAt);
    const entry = this.entries.get(key);
    const keyExpiry = Math.max(expiresAt, entry?.expiresAt ?? 0);
    this.put(key, { type: "slots", value: pool, expiresAt: keyExpiry });
  }

  async acquireSlot(name: string, limit: number, ttlMs: number): Promise<Slot | undefined> {
    checkLimit(limit);
    checkTtl(ttlMs);
    if ((this.slotPool(name)?.size ?? 0) >= limit) return undefined;
    const id = randomUUID();
    this.touchSlot(name, id, ttlMs);
    const refresher = setInterval(() => this.touchSlot(name, id, ttlMs), Math.max(1, Math.floor(ttlMs / 3)));
    refresher.unref();
    let released = false;
    const slot: Slot = {
      id,
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(refresher);
        this.heldSlots.delete(slot);
        this.slotPool(name)?.delete(id);
      },
    };
    this.heldSlots.add(slot);
    return slot;
  }

  async slotsInUse(name: string): Promise<number> {
    return this.slotPool(name)?.size ?? 0;
  }

  async rateLimit(key: string, rule: RateLimitRule): Promise<RateDecision> {
    const entryKey = `rate:${key}`;
    const entry = this.live(entryKey);
    const tat = entry?.type === "string" ? Number(entry.value) : undefined;
    const step = gcra(tat, this.now(), rule);
    if (step.tat !== undefined) {
      this.put(entryKey, { type: "string", value: String(step.tat), expiresAt: this.now() + step.ttlMs });
    }
    return { allowed: step.allowed, retryAfterMs: step.retryAfterMs, remaining: step.remaining };
  }

  async publish(channel: string, message: string): Promise<void> {
    for (const listener of this.channels.get(channel) ?? []) listener(message);
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>> {
    let listeners = this.channels.get(channel);
    if (listeners === undefined) {
      listeners = new Set();
      this.channels.set(channel, listeners);
    }
    const set = listeners;
    const wrapped = (message: string) => listener(message);
    set.add(wrapped);
    return async () => {
      set.delete(wrapped);
    };
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweeper);
    for (const slot of [...this.heldSlots]) await slot.release();
    this.channels.clear();
  }
}
