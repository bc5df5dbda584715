import { describe, expect, it } from "vitest";
import { MemoryStore } from "./memory-store.js";

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe("MemoryStore", () => {
  it("expires entries by its clock and sweeps them, so nothing grows without bound", async () => {
    const time = clock();
    const store = new MemoryStore({ now: time.now });
    try {
      for (let i = 0; i < 100; i++) await store.set(`k${i}`, "v", 1000);
      await store.rateLimit("caller", { limit: 5, periodMs: 1000 });
      expect(store.size).toBe(101);
      time.advance(1000);
      expect(await store.get("k1")).toBeUndefined();
      store.sweep();
      expect(store.size).toBe(0);
    } finally {
      await store.close();
    }
  });

  it("drops the least recently written entries past maxEntries, never API-key hashes", async () => {
    const store = new MemoryStore({ maxEntries: 3 });
    try {
      await store.hashSet("apikeys", "h", "record");
      await store.set("a", "1", 60_000);
      await store.set("b", "2", 60_000);
      await store.set("c", "3", 60_000);
      expect(store.size).toBe(3);
      expect(await store.get("a")).toBeUndefined();
      expect(await store.get("c")).toBe("3");
      expect(await store.hashGet("apikeys", "h")).toBe("record");
    } finally {
      await store.close();
    }
  });

  it("releases held slots on close", async () => {
    const store = new MemoryStore();
    await store.acquireSlot("p", 1, 60_000);
    expect(await store.slotsInUse("p")).toBe(1);
    await store.close();
    expect(await store.slotsInUse("p")).toBe(0);
  });
});
