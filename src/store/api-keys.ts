/**
 * API keys kept in the store, for gateways that share them: `robocoders keys add|list|revoke` manages them,
 * every instance verifies callers against them.
 *
 * A key (`rck_` + 43 base64url characters, 256 random bits) is shown once when added; the store keeps only
 * its SHA-256 (a salt adds nothing to a random 256-bit secret), a name, a hint (its first characters) and the
 * creation time. Verification caches a positive answer for at most {@link ApiKeysOptions.cacheMs}; a
 * revocation is also published to every instance, and each drops its cache when the store connection was
 * lost (a missed message), so a revoked key stops working everywhere within that delay.
 *
 * Keys are the one kind of entry without an expiry: they stay until revoked.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { InvalidArgumentError } from "../core/errors.js";
import type { Store } from "./types.js";

/** Prefix of every key, so that a leaked one is recognisable. */
export const API_KEY_PREFIX = "rck_";
/** Default {@link ApiKeysOptions.cacheMs}: 500 ms. */
export const DEFAULT_API_KEY_CACHE_MS = 500;
/** Most verified keys cached per instance. */
const MAX_CACHED = 10_000;

const HASH_KEY = "apikeys";
const REVOKED_CHANNEL = "apikeys:revoked";

/** What the store keeps about a key (never the key). */
export interface ApiKeyRecord {
  /** Stable id, for `keys revoke`, e.g. `key_3f9a1c2b`. */
  id: string;
  /** The name given when added. */
  name: string;
  /** The key's first characters, e.g. `rck_AbCd…`, to recognise it. */
  hint: string;
  /** When it was added (ISO 8601). */
  createdAt: string;
}

/** A key just added: the record plus the key itself, shown this once. */
export interface NewApiKey extends ApiKeyRecord {
  key: string;
}

/** Options of {@link ApiKeys}. */
export interface ApiKeysOptions {
  /** How long a verified key is trusted without asking the store, in ms. Default: 500. */
  cacheMs?: number;
  /** Clock, in ms. Default: `Date.now`. */
  now?: () => number;
}

/** A new random key. */
export function generateApiKey(): string {
  return `${API_KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
}

/** The SHA-256 (hex) under which a key is stored. */
export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

function parseRecord(text: string): ApiKeyRecord | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== "object" || value === null) return undefined;
    const { id, name, hint, createdAt } = value as Record<string, unknown>;
    if (typeof id !== "string" || typeof name !== "string") return undefined;
    return {
      id,
      name,
      hint: typeof hint === "string" ? hint : "",
      createdAt: typeof createdAt === "string" ? createdAt : "",
    };
  } catch {
    return undefined;
  }
}

/** The API keys of a store. Call {@link ApiKeys.start} to follow revocations made on other instances. */
export class ApiKeys {
  private readonly store: Store;
  private readonly cacheMs: number;
  private readonly now: () => number;
  private readonly cache = new Map<string, { record: ApiKeyRecord; until: number }>();
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(store: Store, options: ApiKeysOptions = {}) {
    this.store = store;
    this.cacheMs = options.cacheMs ?? DEFAULT_API_KEY_CACHE_MS;
    this.now = options.now ?? Date.now;
  }

  /** Subscribes to revocations (idempotent). */
  async start(): Promise<void> {
    if (this.unsubscribe !== undefined) return;
    this.unsubscribe = await this.store.subscribe(
      REVOKED_CHANNEL,
      (hash) => this.cache.delete(hash),
      () => this.cache.clear(),
    );
  }

  /** Stops following revocations and empties the cache. */
  async close(): Promise<void> {
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = undefined;
    this.cache.clear();
    await unsubscribe?.();
  }

  /** Adds a key named `name` (1–100 printable characters) and returns it; the key itself is not kept. */
  async add(name: string): Promise<NewApiKey> {
    const trimmed = name.trim();
    if (trimmed === "" || trimmed.length > 100 || /\p{Cc}/u.test(trimmed)) {
      throw new InvalidArgumentError("A key name must be 1 to 100 printable characters");
    }
    const key = generateApiKey();
    const record: ApiKeyRecord = {
      id: `key_${randomUUID().replaceAll("-", "").slice(0, 12)}`,
      name: trimmed,
      hint: `${key.slice(0, API_KEY_PREFIX.length + 6)}…`,
      createdAt: new Date(this.now()).toISOString(),
    };
    await this.store.hashSet(HASH_KEY, hashApiKey(key), JSON.stringify(record));
    return { ...record, key };
  }

  /** Every key's record, oldest first. */
  async list(): Promise<ApiKeyRecord[]> {
    const records: ApiKeyRecord[] = [];
    for (const text of (await this.store.hashEntries(HASH_KEY)).values()) {
      const record = parseRecord(text);
      if (record !== undefined) records.push(record);
    }
    return records.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /** Revokes the key with this id on every instance; its record, or `undefined` when no key has it. */
  async revoke(id: string): Promise<ApiKeyRecord | undefined> {
    for (const [hash, text] of await this.store.hashEntries(HASH_KEY)) {
      const record = parseRecord(text);
      if (record?.id !== id) continue;
      await this.store.hashDelete(HASH_KEY, hash);
      this.cache.delete(hash);
      await this.store.publish(REVOKED_CHANNEL, hash);
      return record;
    }
    return undefined;
  }

  /**
   * The record of a valid key, or `undefined` for an unknown or revoked one.
   * @throws StoreUnavailableError when the store cannot be asked (and the key is not freshly cached).
   */
  async verify(key: string): Promise<ApiKeyRecord | undefined> {
    if (!key.startsWith(API_KEY_PREFIX) || key.length > 200) return undefined;
    const hash = hashApiKey(key);
    const now = this.now();
    const cached = this.cache.get(hash);
    if (cached !== undefined && cached.until > now) return cached.record;
    this.cache.delete(hash);
    const text = await this.store.hashGet(HASH_KEY, hash);
    const record = text === undefined ? undefined : parseRecord(text);
    if (record === undefined) return undefined;
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
    if (this.cacheMs > 0) this.cache.set(hash, { record, until: now + this.cacheMs });
    return record;
  }
}
