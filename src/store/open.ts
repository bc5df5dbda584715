/**
 * `--store <url>` / `ROBOCODERS_STORE`: which store holds the shared state, opened by {@link openStore}.
 */
import { InvalidArgumentError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { MemoryStore, type MemoryStoreOptions } from "./memory-store.js";
import type { RedisStoreOptions } from "./redis-store.js";
import type { Store } from "./types.js";

/** The environment variable read when no store is given. */
export const STORE_ENV = "ROBOCODERS_STORE";
/** The environment variable read when no store prefix is given. */
export const STORE_PREFIX_ENV = "ROBOCODERS_STORE_PREFIX";
/** The default store: `memory` (this process only). */
export const DEFAULT_STORE = "memory";
/** The default prefix of every key: `robocoders:`. */
export const DEFAULT_STORE_PREFIX = "robocoders:";

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /** Prefix of every key. Default: `ROBOCODERS_STORE_PREFIX`, else `robocoders:`. */
  prefix?: string;
  /** Where the Redis store reports connection losses and recoveries. Default: none. */
  logger?: Logger;
  /** Options of the memory store. */
  memory?: Omit<MemoryStoreOptions, "prefix">;
  /** Options of the Redis store. */
  redis?: Omit<RedisStoreOptions, "prefix" | "logger">;
  /** The environment to read defaults from. Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** Checks a key prefix: 1–100 characters, no spaces or control characters. */
export function checkStorePrefix(prefix: string): string {
  if (prefix === "" || prefix.length > 100 || /[\s\p{Cc}]/u.test(prefix)) {
    throw new InvalidArgumentError(
      "The store prefix must be 1 to 100 characters without spaces or control characters",
    );
  }
  return prefix;
}

/** Whether a store spec is the embedded memory store. */
export function isMemoryStore(spec: string | undefined): boolean {
  return spec === undefined || spec.trim() === "" || spec.trim() === "memory";
}

/**
 * Opens the store named by `spec`: `memory` (default: `ROBOCODERS_STORE`, else memory), or a `redis://` /
 * `rediss://` URL of a Redis or Valkey server (connected and checked before this resolves).
 * @throws StoreUnavailableError when the Redis server cannot be reached.
 * @throws InvalidArgumentError for an unknown scheme or a bad prefix.
 */
export async function openStore(spec?: string, options: OpenStoreOptions = {}): Promise<Store> {
  const env = options.env ?? process.env;
  const chosen = (spec ?? env[STORE_ENV] ?? DEFAULT_STORE).trim();
  const prefix = checkStorePrefix(options.prefix ?? env[STORE_PREFIX_ENV] ?? DEFAULT_STORE_PREFIX);
  if (isMemoryStore(chosen)) return new MemoryStore({ ...options.memory, prefix });
  if (!/^rediss?:\/\//i.test(chosen)) {
    throw new InvalidArgumentError(
      `Unknown store "${chosen.slice(0, 40)}": expected memory, redis://host:port or rediss://host:port`,
    );
  }
  const { RedisStore } = await import("./redis-store.js");
  return RedisStore.connect(chosen, {
    ...options.redis,
    prefix,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });
}
