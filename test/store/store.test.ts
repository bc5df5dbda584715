/**
 * The store contract, run against the memory store and against a real redis-server; the Redis runs also
 * check that several store instances (as several gateways) share one state.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../src/core/errors.js";
import {
  ApiKeys,
  MemoryStore,
  openStore,
  refreshShared,
  type Store,
  StoreCredentialCache,
} from "../../src/store/index.js";
import { useRedis } from "../redis.js";

const redis = useRedis();
let counter = 0;

interface Backend {
  name: string;
  /** Opens `n` stores that share one state (one memory store for memory). */
  open(n: number): Promise<Store[]>;
}

const opened: Store[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

const backends: Backend[] = [
  {
    name: "memory",
    async open(n) {
      const store = new MemoryStore({ prefix: `t${counter++}:` });
      opened.push(store);
      return Array.from({ length: n }, () => store);
    },
  },
  {
    name: "redis",
    async open(n) {
      const prefix = `t${counter++}:`;
      const stores = await Promise.all(
        Array.from({ length: n }, () => openStore(redis().url, { prefix, env: {} })),
      );
      opened.push(...stores);
      return stores;
    },
  },
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(backends)("$name store", (backend) => {
  it("keeps a value until it expires", async () => {
    const [store] = await backend.open(1);
    if (store === undefined) throw new Error("no store");
    await store.set("a", "1", 400);
    expect(await store.get("a")).toBe("1");
    expect(await store.get("missing")).toBeUndefined();
    await sleep(450);
    expect(await store.get("a")).toBeUndefined();
    await store.set("b", "2", 10_000);
    expect(await store.delete("b")).toBe(true);
    expect(await store.delete("b")).toBe(false);
  });

  it("keeps a value while it is read with a refreshed expiry", async () => {
    const [store] = await backend.open(1);
    if (store === undefined) throw new Error("no store");
    await store.set("used", "1", 400);
    await sleep(250);
    expect(await store.get("used", 400)).toBe("1");
    await sleep(250);
    expect(await store.get("used")).toBe("1");
    await sleep(250);
    expect(await store.get("used")).toBeUndefined();
    expect(await store.get("absent", 400)).toBeUndefined();
  });

  it("rejects entries without an expiry", async () => {
    const [store] = await backend.open(1);
    await expect(store?.set("a", "1", 0)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(store?.claim("a", "1", Number.NaN)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(store?.acquireSlot("p", 0, 1000)).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it("lets exactly one of many concurrent callers claim a key, on every instance", async () => {
    const stores = await backend.open(3);
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => stores[i % 3]?.claim("point", `req${i}`, 10_000)),
    );
    expect(results.filter((won) => won === true)).toHaveLength(1);
    const winner = results.indexOf(true);
    expect(await stores[2]?.get("point")).toBe(`req${winner}`);
  });

  it("frees a claim when it expires", async () => {
    const [store] = await backend.open(1);
    expect(await store?.claim("c", "x", 400)).toBe(true);
    expect(await store?.claim("c", "y", 400)).toBe(false);
    await sleep(450);
    expect(await store?.claim("c", "y", 100)).toBe(true);
  });

  it("keeps hashes, with or without an expiry", async () => {
    const [store] = await backend.open(1);
    if (store === undefined) throw new Error("no store");
    await store.hashSet("h", "f1", "v1");
    await store.hashSet("h", "f2", "v2");
    expect(await store.hashGet("h", "f1")).toBe("v1");
    expect(Object.fromEntries(await store.hashEntries("h"))).toEqual({ f1: "v1", f2: "v2" });
    expect(await store.hashDelete("h", "f1")).toBe(true);
    expect(await store.hashDelete("h", "f1")).toBe(false);
    expect(await store.hashEntries("none")).toEqual(new Map());
    await store.hashSet("e", "f", "v", 100);
    await sleep(150);
    expect(await store.hashGet("e", "f")).toBeUndefined();
  });

  it("gives a lock to one holder; others wait until it is released", async () => {
    const [a, b] = await backend.open(2);
    if (a === undefined || b === undefined) throw new Error("no store");
    const lock = await a.lock("l", 5000);
    expect(lock).toBeDefined();
    expect(await b.lock("l", 5000)).toBeUndefined();
    expect(await b.waitUnlocked("l", 50)).toBe(false);
    const waiting = b.waitUnlocked("l", 5000);
    await sleep(30);
    expect(await lock?.release()).toBe(true);
    expect(await waiting).toBe(true);
    expect(await lock?.release()).toBe(false);
    expect(await b.lock("l", 5000)).toBeDefined();
  });

  it("frees a lock whose holder died (expiry), and never lets the old holder release the new one", async () => {
    const [a, b] = await backend.open(2);
    if (a === undefined || b === undefined) throw new Error("no store");
    const old = await a.lock("l", 100);
    expect(await b.waitUnlocked("l", 2000)).toBe(true);
    const fresh = await b.lock("l", 5000);
    expect(fresh).toBeDefined();
    expect(await old?.release()).toBe(false);
    expect(await old?.extend(5000)).toBe(false);
    expect(await a.lock("l", 5000)).toBeUndefined();
    expect(await fresh?.extend(5000)).toBe(true);
  });

  it("runs a shared refresh once for many waiting callers on every instance", async () => {
    const stores = await backend.open(3);
    let value: string | undefined;
    let refreshes = 0;
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => {
        const store = stores[i % 3] as Store;
        return refreshShared(store, {
          lock: "token",
          read: async () => (await store.get("token")) ?? undefined,
          refresh: async () => {
            refreshes++;
            await sleep(100);
            value = `token-${refreshes}`;
            await store.set("token", value, 60_000);
            return value;
          },
        });
      }),
    );
    expect(refreshes).toBe(1);
    expect(new Set(results)).toEqual(new Set(["token-1"]));
  });

  it("shares credentials: re-read under the fleet-wide lock, so concurrent instances fetch a token once", async () => {
    const stores = await backend.open(3);
    let fetches = 0;
    // What the client does: read; if missing, lock, read again, fetch only if still missing, write.
    const tokenOf = async (cache: StoreCredentialCache) => {
      const cached = (await cache.read()).access_token;
      if (cached !== undefined) return cached;
      return cache.withLock(async () => {
        const again = await cache.read();
        if (again.access_token !== undefined) return again.access_token;
        fetches++;
        await sleep(50);
        const token = `token-${fetches}`;
        await cache.write({ ...again, access_token: token });
        return token;
      });
    };
    const caches = stores.map((store) => new StoreCredentialCache(store));
    const tokens = await Promise.all(
      Array.from({ length: 9 }, (_, i) => tokenOf(caches[i % 3] as StoreCredentialCache)),
    );
    expect(fetches).toBe(1);
    expect(new Set(tokens)).toEqual(new Set(["token-1"]));
    expect(await caches[1]?.read()).toEqual({ access_token: "token-1" });
    await caches[2]?.write({});
    expect(await caches[0]?.read()).toEqual({});
  });

  it("gives up waiting for the credentials lock when the call is aborted", async () => {
    const [store] = await backend.open(1);
    if (store === undefined) throw new Error("no store");
    const cache = new StoreCredentialCache(store);
    const held = await store.lock("upstream:credentials", 10_000);
    const aborted = new Error("aborted");
    let calls = 0;
    const result = cache.withLock(async () => "ran", {
      abortError: () => (++calls > 1 ? aborted : undefined),
    });
    await expect(result).rejects.toBe(aborted);
    await held?.release();
    expect(await cache.withLock(async () => "ran")).toBe("ran");
  });

  it("caps a slot pool across instances and frees released slots", async () => {
    const stores = await backend.open(3);
    const slots = await Promise.all(
      Array.from({ length: 10 }, (_, i) => stores[i % 3]?.acquireSlot("pool", 4, 10_000)),
    );
    const held = slots.filter((slot) => slot !== undefined);
    expect(held).toHaveLength(4);
    expect(await stores[1]?.slotsInUse("pool")).toBe(4);
    await held[0]?.release();
    await held[0]?.release();
    expect(await stores[2]?.slotsInUse("pool")).toBe(3);
    expect(await stores[2]?.acquireSlot("pool", 4, 10_000)).toBeDefined();
    expect(await stores[0]?.acquireSlot("pool", 4, 10_000)).toBeUndefined();
  });

  it("keeps a held slot alive past its ttl (refreshed in the background)", async () => {
    const [store] = await backend.open(1);
    if (store === undefined) throw new Error("no store");
    const held = await store.acquireSlot("keep", 2, 300);
    await sleep(800);
    expect(await store.slotsInUse("keep")).toBe(1);
    await held?.release();
    expect(await store.slotsInUse("keep")).toBe(0);
  });

  it("rate-limits a caller atomically across instances", async () => {
    const stores = await backend.open(3);
    const rule = { limit: 5, periodMs: 60_000 };
    const decisions = await Promise.all(
      Array.from({ length: 12 }, (_, i) => stores[i % 3]?.rateLimit("alice", rule)),
    );
    expect(decisions.filter((d) => d?.allowed)).toHaveLength(5);
    const refused = decisions.find((d) => d?.allowed === false);
    // One more token comes every 12 s.
    expect(refused?.retryAfterMs).toBeGreaterThan(10_000);
    expect(refused?.retryAfterMs).toBeLessThanOrEqual(12_000);
    expect((await stores[0]?.rateLimit("bob", rule))?.remaining).toBe(4);
  });

  it("refills a rate-limit bucket evenly", async () => {
    const [store] = await backend.open(1);
    const rule = { limit: 2, periodMs: 1000 };
    expect((await store?.rateLimit("c", rule))?.allowed).toBe(true);
    expect((await store?.rateLimit("c", rule))?.allowed).toBe(true);
    const refused = await store?.rateLimit("c", rule);
    expect(refused?.allowed).toBe(false);
    await sleep((refused?.retryAfterMs ?? 0) + 20);
    expect((await store?.rateLimit("c", rule))?.allowed).toBe(true);
  });

  it("publishes to subscribers on every instance", async () => {
    const [a, b] = await backend.open(2);
    if (a === undefined || b === undefined) throw new Error("no store");
    const got: string[] = [];
    const unsubscribe = await b.subscribe("ch", (message) => got.push(message));
    await a.publish("ch", "hello");
    await a.publish("other", "not for us");
    await expect.poll(() => got, { timeout: 2000 }).toEqual(["hello"]);
    await unsubscribe();
    await a.publish("ch", "after");
    await sleep(50);
    expect(got).toEqual(["hello"]);
  });

  it("adds, lists, verifies and revokes API keys; a revocation reaches every instance within a second", async () => {
    const [a, b] = await backend.open(2);
    if (a === undefined || b === undefined) throw new Error("no store");
    const adminKeys = new ApiKeys(a);
    const gatewayKeys = new ApiKeys(b, { cacheMs: 60_000 });
    await gatewayKeys.start();
    try {
      const added = await adminKeys.add("ci bot");
      expect(added.key).toMatch(/^rck_[A-Za-z0-9_-]{43}$/);
      expect(added.hint).toBe(`${added.key.slice(0, 10)}…`);
      const listed = await adminKeys.list();
      expect(listed).toEqual([
        { id: added.id, name: "ci bot", hint: added.hint, createdAt: added.createdAt },
      ]);
      expect(JSON.stringify([...(await a.hashEntries("apikeys"))])).not.toContain(added.key);
      expect((await gatewayKeys.verify(added.key))?.id).toBe(added.id);
      expect(await gatewayKeys.verify(`${added.key}x`)).toBeUndefined();
      expect(await gatewayKeys.verify("rck_nope")).toBeUndefined();
      // Even with a long cache on the gateway side, the published revocation takes effect at once.
      expect((await adminKeys.revoke(added.id))?.name).toBe("ci bot");
      await expect.poll(() => gatewayKeys.verify(added.key), { timeout: 1000, interval: 20 }).toBeUndefined();
      expect(await adminKeys.revoke(added.id)).toBeUndefined();
      expect(await adminKeys.list()).toEqual([]);
    } finally {
      await gatewayKeys.close();
    }
  });

  it("refuses bad key names", async () => {
    const [store] = await backend.open(1);
    const keys = new ApiKeys(store as Store);
    await expect(keys.add("")).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(keys.add("a\nb")).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(keys.add("x".repeat(101))).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe("redis store layout", () => {
  const stores: Store[] = [];
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
  });

  it("keeps every key under the prefix, each with an expiry except API keys", async () => {
    const store = await openStore(redis().url, { prefix: "layout:", env: {} });
    stores.push(store);
    await store.set("k", "v", 60_000);
    await store.claim("c", "v", 60_000);
    const slot = await store.acquireSlot("pool", 3, 60_000);
    await store.rateLimit("caller", { limit: 10, periodMs: 60_000 });
    await (await store.lock("l", 60_000))?.extend(60_000);
    await store.hashSet("h", "f", "v", 60_000);
    await new ApiKeys(store).add("k");
    const { Redis } = await import("ioredis");
    const raw = new Redis(redis().url);
    try {
      const keys = (await raw.keys("*")).filter((key) => !key.startsWith("t"));
      expect(keys.every((key) => key.startsWith("layout:"))).toBe(true);
      expect(keys.sort()).toEqual(
        [
          "layout:apikeys",
          "layout:c",
          "layout:h",
          "layout:k",
          "layout:lock:l",
          "layout:rate:caller",
          "layout:slots:pool",
        ].sort(),
      );
      for (const key of keys) {
        const ttl = await raw.pttl(key);
        if (key === "layout:apikeys") expect(ttl).toBe(-1);
        else expect(ttl, key).toBeGreaterThan(0);
      }
    } finally {
      await slot?.release();
      raw.disconnect();
    }
  });
});

describe("redis rate limit precision", () => {
  it("allows exactly the limit at once for limits whose interval is not a whole number of ms", async () => {
    const store = await openStore(redis().url, { prefix: "precision:", env: {} });
    try {
      for (const rule of [
        { limit: 18, periodMs: 60_000 },
        { limit: 7, periodMs: 60_000 },
        { limit: 999, periodMs: 3_600_000 },
      ]) {
        const caller = `c${rule.limit}`;
        const decisions = await Promise.all(
          Array.from({ length: rule.limit + 1 }, () => store.rateLimit(caller, rule)),
        );
        expect(decisions.filter((d) => d.allowed)).toHaveLength(rule.limit);
      }
    } finally {
      await store.close();
    }
  });
});
