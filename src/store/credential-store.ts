/**
 * The upstream credentials (access token, current session) of a gateway fleet, kept in the store in place
 * of the client's credential file: every instance reads the same token, and when it must be fetched or
 * replaced, one instance does so under a store lock (with an expiry, so a crashed holder frees it) while
 * the others wait and then read its result. The client's credential logic (re-read under the lock, fetch
 * only if still missing) then gives one `/auth` for the whole fleet.
 *
 * The store holds the token in clear, as the credential file does: protect the Redis server (password,
 * TLS, a private network).
 */
import { APITimeoutError } from "../core/errors.js";
import { jwtExpiry } from "../core/jwt.js";
import { isRecord } from "../internal/values.js";
import type { Store } from "./types.js";

/** The credentials kept: the client's cache keys (`access_token`, `sid`, others preserved). */
export interface StoredCredentials {
  access_token?: string;
  sid?: string;
  [key: string]: unknown;
}

/** Options of {@link StoreCredentialCache}. */
export interface StoreCredentialCacheOptions {
  /** The key, under the store's prefix. Default: `upstream:credentials`. */
  key?: string;
  /** The lock's expiry, in ms: longer than one `/auth` fetch with its retries. Default: 30 000. */
  lockTtlMs?: number;
  /** Longest wait for the lock, in ms. Default: 60 000. */
  lockWaitMs?: number;
  /** How long credentials are kept when the token's expiry is unknown, in ms. Default: 24 hours. */
  defaultTtlMs?: number;
}

const DAY_MS = 86_400_000;

/** A credential cache on a {@link Store}, shaped as the client's file cache (`read`, `write`, `withLock`). */
export class StoreCredentialCache {
  private readonly store: Store;
  private readonly key: string;
  private readonly lockName: string;
  private readonly lockTtlMs: number;
  private readonly lockWaitMs: number;
  private readonly defaultTtlMs: number;

  constructor(store: Store, options: StoreCredentialCacheOptions = {}) {
    this.store = store;
    this.key = options.key ?? "upstream:credentials";
    this.lockName = this.key;
    this.lockTtlMs = options.lockTtlMs ?? 30_000;
    this.lockWaitMs = options.lockWaitMs ?? 60_000;
    this.defaultTtlMs = options.defaultTtlMs ?? DAY_MS;
  }

  /** Where the credentials are, for status output: `store:<prefix><key>`. */
  get file(): string {
    return `store:${this.store.prefix}${this.key}`;
  }

  /** The stored credentials; empty when none or unreadable. Rejects with `StoreUnavailableError`. */
  async read(): Promise<StoredCredentials> {
    const text = await this.store.get(this.key);
    if (text === undefined) return {};
    try {
      const value: unknown = JSON.parse(text);
      if (!isRecord(value)) return {};
      const data: StoredCredentials = { ...value };
      if (typeof data.access_token !== "string") delete data.access_token;
      if (typeof data.sid !== "string") delete data.sid;
      return data;
    } catch {
      return {};
    }
  }

  /** Replaces the credentials (empty data deletes them); they expire with the token. */
  async write(data: StoredCredentials): Promise<void> {
    if (Object.keys(data).length === 0) {
      await this.store.delete(this.key);
      return;
    }
    const expiry = typeof data.access_token === "string" ? jwtExpiry(data.access_token) : undefined;
    const untilExpiry = expiry === undefined ? this.defaultTtlMs : expiry.getTime() - Date.now();
    const ttlMs = Math.round(Math.min(Math.max(untilExpiry, 60_000), 30 * DAY_MS));
    await this.store.set(this.key, JSON.stringify(data), ttlMs);
  }

  /**
   * Runs `fn` while holding the fleet-wide lock; waits for another holder (or for its lock to expire).
   * @throws the call's abort error when `call` is aborted while waiting.
   * @throws APITimeoutError after `lockWaitMs` without the lock.
   */
  async withLock<T>(fn: () => Promise<T>, call?: { abortError(): Error | undefined }): Promise<T> {
    const deadline = Date.now() + this.lockWaitMs;
    for (;;) {
      const lock = await this.store.lock(this.lockName, this.lockTtlMs);
      if (lock !== undefined) {
        try {
          return await fn();
        } finally {
          await lock.release();
        }
      }
      const aborted = call?.abortError();
      if (aborted !== undefined) throw aborted;
      const left = deadline - Date.now();
      if (left <= 0) throw new APITimeoutError("total", this.lockWaitMs);
      // Short waits, so that an aborted call notices soon.
      await this.store.waitUnlocked(this.lockName, Math.min(left, 500));
    }
  }
}
