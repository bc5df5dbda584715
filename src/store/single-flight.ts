/**
 * One instance at a time does an expensive refresh (the upstream access token: one `/auth` for the whole
 * fleet) while the others wait for its result, under a store lock with an expiry: if the holder dies, the
 * lock expires and another instance takes over.
 */
import { APITimeoutError } from "../core/errors.js";
import type { Store } from "./types.js";

/** Default {@link SharedRefreshOptions.lockTtlMs}: 30 s. */
export const DEFAULT_REFRESH_LOCK_TTL_MS = 30_000;
/** Default {@link SharedRefreshOptions.waitMs}: 60 s. */
export const DEFAULT_REFRESH_WAIT_MS = 60_000;

/** Options of {@link refreshShared}. */
export interface SharedRefreshOptions<T> {
  /** The lock's name, e.g. `upstream-token`. */
  lock: string;
  /**
   * The shared value if it is usable (e.g. a stored token that is unexpired and is not the one that was just
   * rejected), else `undefined`. Called before refreshing and after waiting for another instance.
   */
  read: () => Promise<T | undefined>;
  /** Produces a new value and stores it where `read` finds it. Runs under the lock. */
  refresh: () => Promise<T>;
  /** The lock's expiry, in ms: longer than a refresh takes. Default: 30 000. */
  lockTtlMs?: number;
  /** How long to wait for other instances in all, in ms. Default: 60 000. */
  waitMs?: number;
}

/**
 * Returns the shared value: the stored one when usable, else the result of the one instance refreshing it.
 * @throws APITimeoutError when no usable value appeared within `waitMs`.
 * @throws StoreUnavailableError when the store cannot be reached; the refresh's own errors as they are.
 */
export async function refreshShared<T>(store: Store, options: SharedRefreshOptions<T>): Promise<T> {
  const lockTtlMs = options.lockTtlMs ?? DEFAULT_REFRESH_LOCK_TTL_MS;
  const waitMs = options.waitMs ?? DEFAULT_REFRESH_WAIT_MS;
  const deadline = Date.now() + waitMs;
  for (;;) {
    const current = await options.read();
    if (current !== undefined) return current;
    const lock = await store.lock(options.lock, lockTtlMs);
    if (lock !== undefined) {
      try {
        // Another instance may have finished between the read and the lock.
        return (await options.read()) ?? (await options.refresh());
      } finally {
        await lock.release();
      }
    }
    const left = deadline - Date.now();
    if (left <= 0 || !(await store.waitUnlocked(options.lock, left))) {
      throw new APITimeoutError("total", waitMs);
    }
  }
}
