/**
 * The shared state of a gateway fleet: a {@link Store} in memory (one process) or on Redis/Valkey (several
 * instances), opened with {@link openStore}; API keys kept in it ({@link ApiKeys}); a fleet-wide single-flight
 * refresh ({@link refreshShared}); per-caller rate limits ({@link parseRateLimit}).
 */
export {
  API_KEY_PREFIX,
  type ApiKeyRecord,
  ApiKeys,
  type ApiKeysOptions,
  DEFAULT_API_KEY_CACHE_MS,
  generateApiKey,
  hashApiKey,
  type NewApiKey,
} from "./api-keys.js";
export {
  StoreCredentialCache,
  type StoreCredentialCacheOptions,
  type StoredCredentials,
} from "./credential-store.js";
export {
  DEFAULT_MEMORY_MAX_ENTRIES,
  DEFAULT_MEMORY_SWEEP_MS,
  MemoryStore,
  type MemoryStoreOptions,
} from "./memory-store.js";
export {
  checkStorePrefix,
  DEFAULT_STORE,
  DEFAULT_STORE_PREFIX,
  isMemoryStore,
  type OpenStoreOptions,
  openStore,
  STORE_ENV,
  STORE_PREFIX_ENV,
} from "./open.js";
export { formatRateLimit, gcra, parseRateLimit } from "./rate-limit.js";
export type { RedisStoreOptions } from "./redis-store.js";
export {
  DEFAULT_REFRESH_LOCK_TTL_MS,
  DEFAULT_REFRESH_WAIT_MS,
  refreshShared,
  type SharedRefreshOptions,
} from "./single-flight.js";
export type { Lock, RateDecision, RateLimitRule, Slot, Store, StoreKind } from "./types.js";
