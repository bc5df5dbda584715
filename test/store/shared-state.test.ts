/**
 * The gateway's affinity and concurrency cap on a shared store, against the memory store and a real
 * redis-server: a point is continued at most once across instances, owners are shared, the cap is the
 * fleet's, and every key lives under the prefix with an expiry.
 */
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { StoreAffinityStore, StoreConcurrencyLimiter } from "../../src/server/shared-state.js";
import { MemoryStore, openStore, type Store } from "../../src/store/index.js";
import { useRedis } from "../redis.js";

const redis = useRedis();
const opened: Store[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});
let counter = 0;

const backends: Array<{ name: string; open(n: number): Promise<Store[]> }> = [
  {
    name: "memory",
    async open(n) {
      const store = new MemoryStore();
      opened.push(store);
      return Array.from({ length: n }, () => store);
    },
  },
  {
    name: "redis",
    async open(n) {
      const prefix = `ss${counter++}:`;
      const stores = await Promise.all(
        Array.from({ length: n }, () => openStore(redis().url, { prefix, env: {} })),
      );
      opened.push(...stores);
      return stores;
    },
  },
];

describe.each(backends)("$name shared affinity and cap", (backend) => {
  it("lets exactly one of many concurrent claims, on any instance, continue a point", async () => {
    const stores = await backend.open(3);
    const fleet = stores.map((store) => new StoreAffinityStore(store));
    await fleet[0]?.remember("p1", "sid-1");
    const claims = await Promise.all(
      Array.from({ length: 30 }, (_, i) => fleet[i % fleet.length]?.claim("p1")),
    );
    expect(claims.filter((sid) => sid === "sid-1")).toHaveLength(1);
    expect(claims.filter((sid) => sid === undefined)).toHaveLength(29);
    // Given back (the follow-up failed before the agent got it): claimable once more.
    await fleet[1]?.release("p1", "sid-1");
    expect(await fleet[2]?.claim("p1")).toBe("sid-1");
    expect(await fleet[0]?.claim("p1")).toBeUndefined();
    // A release naming another session changes nothing.
    await fleet[0]?.release("p1", "sid-other");
    expect(await fleet[1]?.claim("p1")).toBeUndefined();
  });

  it("claims a point only for the pinned session, leaving it unclaimed otherwise", async () => {
    const [a, b] = (await backend.open(2)).map((store) => new StoreAffinityStore(store));
    await a?.remember("p2", "sid-2");
    expect(await b?.claim("p2", "sid-other")).toBeUndefined();
    expect(await b?.claim("p2", "sid-2")).toBe("sid-2");
    expect(await a?.claim("p2")).toBeUndefined();
    expect(await a?.claim("unknown")).toBeUndefined();
  });

  it("shares session owners", async () => {
    const [a, b] = (await backend.open(2)).map((store) => new StoreAffinityStore(store));
    await a?.own("sid-3", '["key:1",null]');
    expect(await b?.ownerOf("sid-3")).toBe('["key:1",null]');
    expect(await b?.ownerOf("sid-unknown")).toBeUndefined();
  });

  it("caps running completions for the fleet, and frees slots on release", async () => {
    const stores = await backend.open(2);
    const [a, b] = stores.map((store) => new StoreConcurrencyLimiter(store, 3));
    const held = [await a?.acquire(), await b?.acquire(), await a?.acquire()];
    expect(held.every((release) => typeof release === "function")).toBe(true);
    expect(await b?.acquire()).toBeUndefined();
    expect(await a?.active()).toBe(3);
    await held[0]?.();
    await held[0]?.();
    const again = await b?.acquire();
    expect(again).toBeTypeOf("function");
    expect(await a?.acquire()).toBeUndefined();
    for (const release of [again, held[1], held[2]]) await release?.();
    expect(await b?.active()).toBe(0);
  });
});

describe("on Redis", () => {
  it("keeps every key under the prefix, each with an expiry", async () => {
    const [store] = await backends[1]!.open(1);
    if (store === undefined) throw new Error("no store");
    const affinity = new StoreAffinityStore(store, { ttlMs: 60_000 });
    await affinity.remember("p", "sid");
    await affinity.claim("p");
    await affinity.own("sid", "caller");
    const limiter = new StoreConcurrencyLimiter(store, 2);
    const release = await limiter.acquire();
    const raw = new Redis(redis().url);
    try {
      const keys = await raw.keys("*");
      const mine = keys.filter((key) => key.startsWith(store.prefix));
      expect(mine.sort()).toEqual(
        [`${store.prefix}aff:owner:sid`, `${store.prefix}aff:point:p`, `${store.prefix}aff:taken:p`]
          .concat(mine.filter((key) => key.includes("completions")))
          .sort(),
      );
      expect(mine.some((key) => key.includes("completions"))).toBe(true);
      for (const key of mine) {
        const ttl = await raw.pttl(key);
        expect(ttl, key).toBeGreaterThan(0);
        expect(ttl, key).toBeLessThanOrEqual(60_000);
      }
    } finally {
      await release?.();
      raw.disconnect();
    }
  });
});
