/**
 * The shared store on Redis or Valkey (ioredis). One connection for commands, a second one, opened on the
 * first `subscribe`, for pub/sub.
 *
 * Faults: {@link RedisStore.connect} rejects when the server cannot be reached at start. Later, while the
 * server is away, every call rejects at once with `StoreUnavailableError` (no queue that would delay requests,
 * no private fallback), and the connection is re-established in the background: calls succeed again as soon
 * as the server is back. Held slots keep refreshing; a refresh that fails is retried at the next tick, so a
 * short outage never cuts what is running.
 */
import { randomUUID } from "node:crypto";
import { Redis, type RedisOptions } from "ioredis";
import { InvalidArgumentError, StoreUnavailableError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { checkLimit, checkTtl } from "./check.js";
import {
  ACQUIRE_SLOT,
  COUNT_SLOTS,
  EXTEND_LOCK,
  type LuaScript,
  RATE_LIMIT,
  REFRESH_SLOT,
  UNLOCK,
} from "./redis-scripts.js";
import type { Lock, RateDecision, RateLimitRule, Slot, Store } from "./types.js";

/** Default {@link RedisStoreOptions.connectTimeoutMs}: 5 s. */
export const DEFAULT_REDIS_CONNECT_TIMEOUT_MS = 5_000;
/** Default {@link RedisStoreOptions.commandTimeoutMs}: 2 s. */
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 2_000;
/** Default {@link RedisStoreOptions.maxReconnectDelayMs}: 1 s. */
export const DEFAULT_REDIS_MAX_RECONNECT_DELAY_MS = 1_000;

/** Options of {@link RedisStore.connect}. */
export interface RedisStoreOptions {
  /** Prefix of every key and channel. Default: `robocoders:`. */
  prefix?: string;
  /** How long the first connection may take, in ms. Default: 5 000. */
  connectTimeoutMs?: number;
  /** How long one command may take before it fails with `store_unavailable`, in ms. Default: 2 000. */
  commandTimeoutMs?: number;
  /** Longest pause between reconnection attempts, in ms (they never stop). Default: 1 000. */
  maxReconnectDelayMs?: number;
  /** Where connection losses and recoveries are reported (warn / info). Default: none. */
  logger?: Logger;
}

/** The URL without its password, for messages. */
export function describeStoreUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    return "(unparsable URL)";
  }
}

const UNAVAILABLE_REPLY = /^(LOADING|READONLY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|BUSY)\b/;

function isReplyError(error: unknown): error is Error {
  return error instanceof Error && error.name === "ReplyError";
}

/** A {@link Store} on a Redis or Valkey server. Create with {@link RedisStore.connect}. */
export class RedisStore implements Store {
  readonly kind = "redis" as const;
  readonly prefix: string;
  /** The server's URL, password hidden. */
  readonly url: string;
  private readonly client: Redis;
  private subscriber: Redis | undefined;
  private readonly logger: Logger | undefined;
  private readonly heldSlots = new Set<Slot>();
  private readonly resetListeners = new Set<() => void>();
  /** Listeners per subscribed channel (prefixed name). */
  private readonly channelListeners = new Map<string, number>();
  private down = false;
  /** The last connection error, for the message of a failed start. */
  private lastError: Error | undefined;
  private closed = false;

  private constructor(client: Redis, url: string, prefix: string, logger: Logger | undefined) {
    this.client = client;
    this.url = url;
    this.prefix = prefix;
    this.logger = logger;
    client.on("error", (error: Error) => {
      this.lastError = error;
      this.markDown(error);
    });
    client.on("close", () => this.markDown(undefined));
    client.on("ready", () => {
      if (!this.down) return;
      this.down = false;
      this.logger?.info("store reachable again", { store: this.url });
    });
  }

  /**
   * Connects to `url` (`redis://[user:password@]host[:port][/db]`, or `rediss://` for TLS) and checks that
   * the server answers.
   * @throws StoreUnavailableError when it cannot be reached within `connectTimeoutMs`.
   * @throws InvalidArgumentError for a URL that is not `redis://` or `rediss://`.
   */
  static async connect(url: string, options: RedisStoreOptions = {}): Promise<RedisStore> {
    let protocol: string;
    try {
      protocol = new URL(url).protocol;
    } catch {
      throw new InvalidArgumentError(`Invalid store URL: expected redis://host:port or rediss://host:port`);
    }
    if (protocol !== "redis:" && protocol !== "rediss:") {
      throw new InvalidArgumentError(
        `Unsupported store URL scheme "${protocol}": expected memory, redis:// or rediss://`,
      );
    }
    const shown = describeStoreUrl(url);
    const maxDelay = options.maxReconnectDelayMs ?? DEFAULT_REDIS_MAX_RECONNECT_DELAY_MS;
    const redisOptions: RedisOptions = {
      lazyConnect: true,
      // Fail at once while disconnected, and never resend a command after a reconnection (a rate-limit
      // count or a claim must not happen twice): the caller gets store_unavailable and may retry.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      connectTimeout: options.connectTimeoutMs ?? DEFAULT_REDIS_CONNECT_TIMEOUT_MS,
      commandTimeout: options.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), maxDelay),
    };
    const client = new Redis(url, redisOptions);
    const store = new RedisStore(client, shown, options.prefix ?? "robocoders:", options.logger);
    try {
      await client.connect();
      await client.ping();
    } catch (error) {
      client.disconnect();
      const cause = store.lastError ?? error;
      const reason = (cause instanceof Error ? cause.message : String(cause)).replace(/\.+$/, "");
      throw new StoreUnavailableError(
        `Cannot reach the store at ${shown}: ${reason}. Start Redis or Valkey there, or fix --store / ROBOCODERS_STORE.`,
        { cause: error },
      );
    }
    store.down = false;
    return store;
  }

  get available(): boolean {
    return this.client.status === "ready";
  }

  private markDown(error: Error | undefined): void {
    if (this.closed || this.down) return;
    this.down = true;
    this.logger?.warn("store unreachable; requests that need shared state fail until it is back", {
      store: this.url,
      ...(error !== undefined ? { error: error.message } : {}),
    });
  }

  private k(key: string): string {
    return `${this.prefix}${key}`;
  }

  /** @internal The full name of a key (prefix included), for modules with their own Redis layout. */
  key(name: string): string {
    return this.k(name);
  }

  /**
   * @internal Runs commands on the connection, for modules with their own Redis layout; connection problems
   * become {@link StoreUnavailableError}.
   */
  command<T>(use: (client: Redis) => Promise<T>): Promise<T> {
    return this.run(() => use(this.client));
  }

  /** @internal Runs a Lua script (full key names), sending it in full when the server does not know it. */
  runScript(lua: LuaScript, keys: string[], args: Array<string | number>): Promise<unknown> {
    return this.script(lua, keys, args);
  }

  /** Runs a command; connection problems become {@link StoreUnavailableError}. */
  private async run<T>(command: () => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreUnavailableError(`The store at ${this.url} is closed`);
    try {
      return await command();
    } catch (error) {
      if (isReplyError(error) && !UNAVAILABLE_REPLY.test(error.message)) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new StoreUnavailableError(`The store at ${this.url} is unavailable: ${reason}`, { cause: error });
    }
  }

  private async script(lua: LuaScript, keys: string[], args: Array<string | number>): Promise<unknown> {
    return this.run(async () => {
      try {
        return await this.client.evalsha(lua.sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (!(isReplyError(error) && error.message.startsWith("NOSCRIPT"))) throw error;
        return await this.client.eval(lua.source, keys.length, ...keys, ...args);
      }
    });
  }

  async get(key: string, refreshTtlMs?: number): Promise<string | undefined> {
    if (refreshTtlMs === undefined) return (await this.run(() => this.client.get(this.k(key)))) ?? undefined;
    checkTtl(refreshTtlMs);
    return (await this.run(() => this.client.getex(this.k(key), "PX", refreshTtlMs))) ?? undefined;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    checkTtl(ttlMs);
    await this.run(() => this.client.set(this.k(key), value, "PX", ttlMs));
  }

  async claim(key: string, value: string, ttlMs: number): Promise<boolean> {
    checkTtl(ttlMs);
    return (await this.run(() => this.client.set(this.k(key), value, "PX", ttlMs, "NX"))) === "OK";
  }

  async delete(key: string): Promise<boolean> {
    return (await this.run(() => this.client.del(this.k(key)))) > 0;
  }

  async hashGet(key: string, field: string): Promise<string | undefined> {
    return (await this.run(() => this.client.hget(this.k(key), field))) ?? undefined;
  }

  async hashSet(key: string, field: string, value: string, ttlMs?: number): Promise<void> {
    if (ttlMs === undefined) {
      await this.run(() => this.client.hset(this.k(key), field, value));
      return;
    }
    checkTtl(ttlMs);
    const results = await this.run(() =>
      this.client.multi().hset(this.k(key), field, value).pexpire(this.k(key), ttlMs).exec(),
    );
    const failed = results?.find(([error]) => error !== null)?.[0];
    if (results === null || failed) {
      throw new StoreUnavailableError(`The store at ${this.url} did not apply a write`, { cause: failed });
    }
  }

  async hashDelete(key: string, field: string): Promise<boolean> {
    return (await this.run(() => this.client.hdel(this.k(key), field))) > 0;
  }

  async hashEntries(key: string): Promise<Map<string, string>> {
    return new Map(Object.entries(await this.run(() => this.client.hgetall(this.k(key)))));
  }

  async lock(name: string, ttlMs: number): Promise<Lock | undefined> {
    checkTtl(ttlMs);
    const key = this.k(`lock:${name}`);
    const token = randomUUID();
    const taken = await this.run(() => this.client.set(key, token, "PX", ttlMs, "NX"));
    if (taken !== "OK") return undefined;
    return {
      name,
      token,
      extend: async (ms: number) => {
        checkTtl(ms);
        return (await this.script(EXTEND_LOCK, [key], [token, ms])) === 1;
      },
      release: async () => {
        try {
          return (await this.script(UNLOCK, [key], [token])) === 1;
        } catch {
          return false; // The lock expires by itself.
        }
      },
    };
  }

  async waitUnlocked(name: string, timeoutMs: number): Promise<boolean> {
    const key = this.k(`lock:${name}`);
    const deadline = Date.now() + timeoutMs;
    let pause = 10;
    while ((await this.run(() => this.client.exists(key))) === 1) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
      pause = Math.min(pause * 2, 100);
    }
    return true;
  }

  async acquireSlot(name: string, limit: number, ttlMs: number): Promise<Slot | undefined> {
    checkLimit(limit);
    checkTtl(ttlMs);
    const key = this.k(`slots:${name}`);
    const id = randomUUID();
    if ((await this.script(ACQUIRE_SLOT, [key], [limit, id, ttlMs])) !== 1) return undefined;
    const refresher = setInterval(
      () => {
        this.script(REFRESH_SLOT, [key], [id, ttlMs]).catch(() => {
          // Retried at the next tick; a running completion is never cut by a store outage.
        });
      },
      Math.max(1, Math.floor(ttlMs / 3)),
    );
    refresher.unref();
    let released = false;
    const slot: Slot = {
      id,
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(refresher);
        this.heldSlots.delete(slot);
        try {
          await this.run(() => this.client.zrem(key, id));
        } catch {
          // The slot expires by itself.
        }
      },
    };
    this.heldSlots.add(slot);
    return slot;
  }

  async slotsInUse(name: string): Promise<number> {
    return Number(await this.script(COUNT_SLOTS, [this.k(`slots:${name}`)], []));
  }

  async rateLimit(key: string, rule: RateLimitRule): Promise<RateDecision> {
    const reply = await this.script(RATE_LIMIT, [this.k(`rate:${key}`)], [rule.periodMs, rule.limit]);
    if (!Array.isArray(reply) || reply.length !== 3)
      throw new StoreUnavailableError(`The store at ${this.url} answered the rate-limit script unexpectedly`);
    const [allowed, retryAfterMs, remaining] = reply.map(Number);
    return { allowed: allowed === 1, retryAfterMs: retryAfterMs ?? 0, remaining: remaining ?? 0 };
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.run(() => this.client.publish(this.k(channel), message));
  }

  private subscriberConnection(): Redis {
    if (this.subscriber !== undefined) return this.subscriber;
    // Its own connection (a subscribed connection runs no other command). Subscriptions are renewed after a
    // reconnection; listeners are told that messages may have been missed in between.
    const subscriber = this.client.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
    let wasReady = false;
    subscriber.on("error", () => {});
    subscriber.on("close", () => {
      for (const reset of this.resetListeners) reset();
    });
    subscriber.on("ready", () => {
      if (wasReady) for (const reset of this.resetListeners) reset();
      wasReady = true;
    });
    this.subscriber = subscriber;
    return subscriber;
  }

  async subscribe(
    channel: string,
    listener: (message: string) => void,
    onReset?: () => void,
  ): Promise<() => Promise<void>> {
    const subscriber = this.subscriberConnection();
    const name = this.k(channel);
    const onMessage = (from: string, message: string) => {
      if (from === name) listener(message);
    };
    const resetOnce = onReset === undefined ? undefined : () => onReset();
    const detach = () => {
      subscriber.off("message", onMessage);
      if (resetOnce !== undefined) this.resetListeners.delete(resetOnce);
      const left = (this.channelListeners.get(name) ?? 1) - 1;
      if (left > 0) this.channelListeners.set(name, left);
      else this.channelListeners.delete(name);
      return left;
    };
    subscriber.on("message", onMessage);
    if (resetOnce !== undefined) this.resetListeners.add(resetOnce);
    this.channelListeners.set(name, (this.channelListeners.get(name) ?? 0) + 1);
    try {
      await this.run(() => subscriber.subscribe(name));
    } catch (error) {
      detach();
      throw error;
    }
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      if (detach() === 0 && !this.closed) await subscriber.unsubscribe(name).catch(() => {});
    };
  }

  async ping(): Promise<void> {
    await this.run(() => this.client.ping());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.all([...this.heldSlots].map((slot) => slot.release()));
    this.closed = true;
    this.resetListeners.clear();
    this.subscriber?.disconnect();
    if (this.client.status === "ready") {
      await this.client.quit().catch(() => this.client.disconnect());
    } else {
      this.client.disconnect();
    }
  }
}
