/**
 * The Lua scripts of the Redis store. Each runs atomically on the server, with the server's clock (`TIME`),
 * so instances whose clocks differ still agree. Sent by SHA (`EVALSHA`), and in full when the server does
 * not know it (after a restart).
 */
import { createHash } from "node:crypto";

/** A Lua script and its SHA-1. */
export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

/** A script with its SHA-1, for `RedisStore.runScript`. */
export function luaScript(name: string, source: string): LuaScript {
  return { name, source, sha: createHash("sha1").update(source).digest("hex") };
}

const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/** KEYS[1] lock; ARGV[1] token. Deletes the lock if it still holds the token: 1, else 0. */
export const UNLOCK = luaScript(
  "unlock",
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
);

/** KEYS[1] lock; ARGV[1] token, ARGV[2] ttl ms. Extends the lock if it still holds the token: 1, else 0. */
export const EXTEND_LOCK = luaScript(
  "extend-lock",
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`,
);

/**
 * KEYS[1] pool (a sorted set: slot id → expiry ms); ARGV[1] limit, ARGV[2] slot id, ARGV[3] ttl ms.
 * Drops expired slots, then adds this one if fewer than `limit` remain: 1, else 0.
 */
export const ACQUIRE_SLOT = luaScript(
  "acquire-slot",
  `${NOW}redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
local ttl = tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[2])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1`,
);

/**
 * KEYS[1] pool; ARGV[1] slot id, ARGV[2] ttl ms. Moves the slot's expiry to now + ttl (adding it back if the
 * server lost it, e.g. after a restart: the completion holding it is still running). Returns 1.
 */
export const REFRESH_SLOT = luaScript(
  "refresh-slot",
  `${NOW}local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1`,
);

/** KEYS[1] pool. Drops expired slots and returns how many remain. */
export const COUNT_SLOTS = luaScript(
  "count-slots",
  `${NOW}redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZCARD', KEYS[1])`,
);

/**
 * KEYS[1] the caller's bucket (its theoretical arrival time, ms); ARGV[1] period ms, ARGV[2] limit.
 * The steps of `gcra()` in rate-limit.ts: returns {allowed 0|1, retry-after ms, remaining}.
 */
export const RATE_LIMIT = luaScript(
  "rate-limit",
  `${NOW}local period = tonumber(ARGV[1])
local interval = period / tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then tat = now end
local nextTat = tat + interval
local allowAt = nextTat - period
if allowAt - now > 1e-6 then return {0, math.max(1, math.ceil(allowAt - now)), 0} end
redis.call('SET', KEYS[1], string.format('%.17g', nextTat), 'PX', math.max(1, math.ceil(nextTat - now)))
return {1, 0, math.floor((period - (nextTat - now)) / interval + 1e-6)}`,
);
