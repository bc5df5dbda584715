/**
 * The web workspace's conversations on Redis: a {@link ConversationStore} that every gateway instance of a
 * fleet shares, so a conversation started through one instance is listed, read, resumed and continued
 * through any other, and outlives an instance's restart.
 *
 * Layout, under the store's prefix, each key with an expiry renewed by activity:
 * - `ws:conv:<id>`: a hash, one field per conversation field, each value JSON (`lastSeq` an integer, so
 *   that numbering an entry is `HINCRBY`); an update writes only the fields it changes, so two instances
 *   changing different fields never undo each other;
 * - `ws:entries:<id>`: a list of the timeline's entries as JSON, trimmed to the newest `maxEntries`;
 * - `ws:index`: a sorted set of the ids by last activity (the server's clock).
 *
 * Numbering an entry and appending it is one Lua script, so two instances never give one number twice.
 */
import { luaScript } from "../../store/redis-scripts.js";
import type { RedisStore } from "../../store/redis-store.js";
import {
  type ConversationPatch,
  type ConversationStore,
  DEFAULT_CONVERSATION_TTL_MS,
  DEFAULT_MAX_CONVERSATIONS,
  DEFAULT_MAX_ENTRIES,
} from "./store.js";
import type { Conversation, NewEntry, TimelineEntry } from "./timeline.js";

/** Bounds of a {@link RedisConversationStore}: those of the memory store, for the whole fleet. */
export interface RedisConversationStoreOptions {
  /** Most conversations kept; creating one more drops the least recently active. Default: 200. */
  maxConversations?: number;
  /** Most entries kept per conversation (the oldest are dropped; numbering goes on). Default: 20 000. */
  maxEntries?: number;
  /** A conversation inactive for this long is forgotten, in ms. Default: 7 days. */
  ttlMs?: number;
}

const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * KEYS index, conv, entries; ARGV prefix, id, ttl, maxConversations, then field/value pairs. Replaces any
 * conversation with this id; makes room by dropping expired, then least recently active conversations.
 */
const CREATE = luaScript(
  "ws-create",
  `${NOW}local ttl = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('ZREM', KEYS[1], ARGV[2])
while redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) do
  local oldest = redis.call('ZPOPMIN', KEYS[1])
  if #oldest == 0 then break end
  redis.call('DEL', ARGV[1] .. 'ws:conv:' .. oldest[1], ARGV[1] .. 'ws:entries:' .. oldest[1])
end
redis.call('HSET', KEYS[2], unpack(ARGV, 5))
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('ZADD', KEYS[1], now, ARGV[2])
redis.call('PEXPIRE', KEYS[1], ttl)
return 1`,
);

/**
 * KEYS index, conv, entries; ARGV id, ttl, touch (1: activity), number of fields to remove, those fields,
 * then field/value pairs to set. Returns the conversation's fields, or false when there is none.
 */
const UPDATE = luaScript(
  "ws-update",
  `${NOW}if redis.call('EXISTS', KEYS[2]) == 0 then return false end
local removed = tonumber(ARGV[4])
if removed > 0 then redis.call('HDEL', KEYS[2], unpack(ARGV, 5, 4 + removed)) end
if #ARGV > 4 + removed then redis.call('HSET', KEYS[2], unpack(ARGV, 5 + removed)) end
if ARGV[3] == '1' then
  local ttl = tonumber(ARGV[2])
  redis.call('PEXPIRE', KEYS[2], ttl)
  if redis.call('EXISTS', KEYS[3]) == 1 then redis.call('PEXPIRE', KEYS[3], ttl) end
  redis.call('ZADD', KEYS[1], now, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return redis.call('HGETALL', KEYS[2])`,
);

/**
 * KEYS index, conv, entries; ARGV id, entry JSON (an object without seq), updatedAt as JSON, ttl,
 * maxEntries. Numbers the entry (lastSeq + 1), appends it and returns it as JSON; false when there is no
 * conversation.
 */
const APPEND = luaScript(
  "ws-append",
  `${NOW}if redis.call('EXISTS', KEYS[2]) == 0 then return false end
local seq = redis.call('HINCRBY', KEYS[2], 'lastSeq', 1)
local body = string.sub(ARGV[2], 2)
local entry = '{"seq":' .. seq .. (body == '}' and '' or ',') .. body
local ttl = tonumber(ARGV[4])
redis.call('RPUSH', KEYS[3], entry)
redis.call('LTRIM', KEYS[3], -tonumber(ARGV[5]), -1)
redis.call('HSET', KEYS[2], 'updatedAt', ARGV[3])
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('PEXPIRE', KEYS[3], ttl)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl)
return entry`,
);

/** KEYS conv, entries; ARGV after, limit (-1: all). The entries with seq > after, oldest first. */
const ENTRIES = luaScript(
  "ws-entries",
  `local last = tonumber(redis.call('HGET', KEYS[1], 'lastSeq'))
if last == nil then return {} end
local len = redis.call('LLEN', KEYS[2])
local first = last - len + 1
local from = math.max(tonumber(ARGV[1]) + 1, first) - first
if from >= len then return {} end
local limit = tonumber(ARGV[2])
if limit == 0 then return {} end
local to = -1
if limit > 0 then to = from + limit - 1 end
return redis.call('LRANGE', KEYS[2], from, to)`,
);

/** KEYS index; ARGV ttl. Drops expired ids; returns the others with their scores, most recent first. */
const LIST = luaScript(
  "ws-list",
  `${NOW}redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))
return redis.call('ZREVRANGE', KEYS[1], 0, -1, 'WITHSCORES')`,
);

/** A conversation from its hash fields; `undefined` when absent or unreadable (never fatal). */
function parseConversation(flat: unknown): Conversation | undefined {
  if (!Array.isArray(flat) || flat.length === 0) return undefined;
  const out: Record<string, unknown> = {};
  try {
    for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = JSON.parse(String(flat[i + 1]));
  } catch {
    return undefined;
  }
  if (typeof out.id !== "string" || typeof out.lastSeq !== "number") return undefined;
  return out as unknown as Conversation;
}

/** The field/value pairs of a patch (JSON values) and the fields it removes (set to `undefined`). */
function fieldsOf(patch: Record<string, unknown>): { set: string[]; removed: string[] } {
  const set: string[] = [];
  const removed: string[] = [];
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) removed.push(field);
    else set.push(field, JSON.stringify(value));
  }
  return { set, removed };
}

/**
 * A {@link ConversationStore} on a {@link RedisStore}, shared by every instance that uses the same store
 * and prefix. Bounded as the memory store: in count, in entries per conversation and in age.
 */
export class RedisConversationStore implements ConversationStore {
  private readonly redis: RedisStore;
  private readonly maxConversations: number;
  private readonly maxEntries: number;
  private readonly ttlMs: number;

  constructor(redis: RedisStore, options: RedisConversationStoreOptions = {}) {
    this.redis = redis;
    this.maxConversations = Math.max(1, Math.floor(options.maxConversations ?? DEFAULT_MAX_CONVERSATIONS));
    this.maxEntries = Math.max(1, Math.floor(options.maxEntries ?? DEFAULT_MAX_ENTRIES));
    this.ttlMs = Math.max(1, Math.round(options.ttlMs ?? DEFAULT_CONVERSATION_TTL_MS));
  }

  private keys(id: string): [string, string, string] {
    return [this.redis.key("ws:index"), this.redis.key(`ws:conv:${id}`), this.redis.key(`ws:entries:${id}`)];
  }

  async list(): Promise<Conversation[]> {
    const ranked = (await this.redis.runScript(LIST, [this.redis.key("ws:index")], [this.ttlMs])) as string[];
    const ids: Array<{ id: string; score: number }> = [];
    for (let i = 0; i + 1 < ranked.length; i += 2) ids.push({ id: ranked[i]!, score: Number(ranked[i + 1]) });
    // Most recent first, then by id (as the memory store).
    ids.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
    if (ids.length === 0) return [];
    const replies = await this.redis.command(async (client) => {
      const pipeline = client.pipeline();
      for (const { id } of ids) pipeline.hgetall(this.redis.key(`ws:conv:${id}`));
      return (await pipeline.exec()) ?? [];
    });
    const out: Conversation[] = [];
    for (const [error, fields] of replies) {
      if (error !== null || fields === null || typeof fields !== "object") continue;
      const flat = Object.entries(fields as Record<string, string>).flat();
      const conversation = parseConversation(flat);
      if (conversation !== undefined) out.push(conversation);
    }
    return out;
  }

  async get(id: string): Promise<Conversation | undefined> {
    const [, conv] = this.keys(id);
    const fields = await this.redis.command((client) => client.hgetall(conv));
    return parseConversation(Object.entries(fields).flat());
  }

  async create(conversation: Conversation): Promise<void> {
    const { set } = fieldsOf({ ...conversation });
    await this.redis.runScript(CREATE, this.keys(conversation.id), [
      this.redis.prefix,
      conversation.id,
      this.ttlMs,
      this.maxConversations,
      ...set,
    ]);
  }

  async update(id: string, patch: ConversationPatch): Promise<Conversation | undefined> {
    const { id: _id, lastSeq: _lastSeq, createdAt: _createdAt, ...fields } = patch as Partial<Conversation>;
    const { set, removed } = fieldsOf(fields);
    const flat = await this.redis.runScript(UPDATE, this.keys(id), [
      id,
      this.ttlMs,
      patch.updatedAt !== undefined ? 1 : 0,
      removed.length,
      ...removed,
      ...set,
    ]);
    return parseConversation(flat);
  }

  async delete(id: string): Promise<boolean> {
    const [index, conv, entries] = this.keys(id);
    const results = await this.redis.command(async (client) =>
      client.multi().del(conv, entries).zrem(index, id).exec(),
    );
    return Number(results?.[0]?.[1] ?? 0) > 0;
  }

  async append(id: string, entry: NewEntry): Promise<TimelineEntry | undefined> {
    const json = await this.redis.runScript(APPEND, this.keys(id), [
      id,
      JSON.stringify(entry),
      JSON.stringify(entry.time),
      this.ttlMs,
      this.maxEntries,
    ]);
    return typeof json === "string" ? (JSON.parse(json) as TimelineEntry) : undefined;
  }

  async entries(id: string, after = 0, limit = Number.POSITIVE_INFINITY): Promise<TimelineEntry[]> {
    const [, conv, entries] = this.keys(id);
    const lines = await this.redis.runScript(
      ENTRIES,
      [conv, entries],
      [Math.max(0, Math.floor(after)), Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : -1],
    );
    const out: TimelineEntry[] = [];
    if (!Array.isArray(lines)) return out;
    for (const line of lines) {
      try {
        out.push(JSON.parse(String(line)) as TimelineEntry);
      } catch {
        // An unreadable entry is skipped, never fatal.
      }
    }
    return out;
  }
}
