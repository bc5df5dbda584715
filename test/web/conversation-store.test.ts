/**
 * The web workspace's conversation store contract, run against the memory store and the Redis store (a
 * real redis-server); the Redis runs also check that two instances share conversations, number concurrent
 * entries without gaps or duplicates, and never undo each other's changes of different fields.
 */
import { afterEach, describe, expect, it } from "vitest";
import { RedisConversationStore } from "../../src/server/workspace/redis-conversation-store.js";
import { type ConversationStore, MemoryConversationStore } from "../../src/server/workspace/store.js";
import type { Conversation, NewEntry } from "../../src/server/workspace/timeline.js";
import { openStore, type Store } from "../../src/store/index.js";
import type { RedisStore } from "../../src/store/redis-store.js";
import { useRedis } from "../redis.js";

const redis = useRedis();
const opened: Store[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});
let counter = 0;

type Options = { maxConversations?: number; maxEntries?: number; ttlMs?: number };

const backends: Array<{ name: string; open(n: number, options?: Options): Promise<ConversationStore[]> }> = [
  {
    name: "memory",
    async open(n, options) {
      const store = new MemoryConversationStore(options);
      return Array.from({ length: n }, () => store);
    },
  },
  {
    name: "redis",
    async open(n, options) {
      const prefix = `cs${counter++}:`;
      const stores = await Promise.all(
        Array.from({ length: n }, () => openStore(redis().url, { prefix, env: {} })),
      );
      opened.push(...stores);
      return stores.map((store) => new RedisConversationStore(store as RedisStore, options));
    },
  },
];

function conversation(id: string, at = "2026-12-01T10:00:00.000Z"): Conversation {
  return {
    id,
    title: `title ${id}`,
    agent: "GeneralCodingAgent",
    autoContinue: true,
    status: "new",
    createdAt: at,
    updatedAt: at,
    lastSeq: 0,
    turns: 0,
  };
}

function prompt(text: string, turn = 1): NewEntry {
  return {
    type: "prompt",
    prompt: text,
    auto: false,
    agent: "GeneralCodingAgent",
    time: "2026-12-01T10:00:01.000Z",
    turn,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(backends)("$name conversation store", (backend) => {
  it("creates, gets, updates, lists and deletes conversations", async () => {
    const [store] = await backend.open(1);
    if (store === undefined) throw new Error("no store");
    await store.create(conversation("a"));
    await sleep(5);
    await store.create(conversation("b"));
    expect(await store.get("a")).toEqual(conversation("a"));
    expect(await store.get("missing")).toBeUndefined();
    expect((await store.list()).map((c) => c.id)).toEqual(["b", "a"]);
    await sleep(5);
    const updated = await store.update("a", { title: "renamed", updatedAt: "2026-12-01T11:00:00.000Z" });
    expect(updated).toMatchObject({
      id: "a",
      title: "renamed",
      updatedAt: "2026-12-01T11:00:00.000Z",
      lastSeq: 0,
    });
    expect(await store.get("a")).toEqual(updated);
    expect((await store.list()).map((c) => c.id)).toEqual(["a", "b"]);
    // id, lastSeq and createdAt never change through update.
    await store.update("a", { id: "x", lastSeq: 9, createdAt: "1999" } as never);
    expect(await store.get("a")).toMatchObject({
      id: "a",
      lastSeq: 0,
      createdAt: "2026-12-01T10:00:00.000Z",
    });
    expect(await store.update("missing", { title: "x" })).toBeUndefined();
    expect(await store.delete("a")).toBe(true);
    expect(await store.delete("a")).toBe(false);
    expect((await store.list()).map((c) => c.id)).toEqual(["b"]);
  });

  it("numbers appended entries and pages through them", async () => {
    const [store] = await backend.open(1);
    if (store === undefined) throw new Error("no store");
    await store.create(conversation("c"));
    for (let i = 1; i <= 5; i++) {
      const entry = await store.append("c", prompt(`p${i}`));
      expect(entry).toMatchObject({ seq: i, prompt: `p${i}`, type: "prompt" });
    }
    expect(await store.get("c")).toMatchObject({ lastSeq: 5, updatedAt: "2026-12-01T10:00:01.000Z" });
    expect((await store.entries("c")).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect((await store.entries("c", 2)).map((e) => e.seq)).toEqual([3, 4, 5]);
    expect((await store.entries("c", 2, 2)).map((e) => e.seq)).toEqual([3, 4]);
    expect(await store.entries("c", 5)).toEqual([]);
    expect(await store.entries("c", 1, 0)).toEqual([]);
    expect(await store.entries("missing")).toEqual([]);
    expect(await store.append("missing", prompt("x"))).toBeUndefined();
    const [first] = await store.entries("c", 0, 1);
    expect(first).toEqual({ ...prompt("p1"), seq: 1 });
  });

  it("keeps the newest maxEntries entries, numbering on", async () => {
    const [store] = await backend.open(1, { maxEntries: 3 });
    if (store === undefined) throw new Error("no store");
    await store.create(conversation("d"));
    for (let i = 1; i <= 5; i++) await store.append("d", prompt(`p${i}`));
    expect((await store.entries("d")).map((e) => e.seq)).toEqual([3, 4, 5]);
    expect((await store.entries("d", 1)).map((e) => e.seq)).toEqual([3, 4, 5]);
    expect((await store.entries("d", 3, 1)).map((e) => e.seq)).toEqual([4]);
  });

  it("drops the least recently active conversation past maxConversations", async () => {
    const [store] = await backend.open(1, { maxConversations: 2 });
    if (store === undefined) throw new Error("no store");
    await store.create(conversation("1"));
    await sleep(5);
    await store.create(conversation("2"));
    await sleep(5);
    await store.append("1", prompt("keeps 1 active"));
    await sleep(5);
    await store.create(conversation("3"));
    expect((await store.list()).map((c) => c.id).sort()).toEqual(["1", "3"]);
    expect(await store.get("2")).toBeUndefined();
    expect(await store.entries("2")).toEqual([]);
  });

  it("forgets conversations inactive for ttlMs", async () => {
    const [store] = await backend.open(1, { ttlMs: 300 });
    if (store === undefined) throw new Error("no store");
    await store.create(conversation("e"));
    await store.append("e", prompt("x"));
    await sleep(400);
    expect(await store.get("e")).toBeUndefined();
    expect(await store.list()).toEqual([]);
    expect(await store.entries("e")).toEqual([]);
  });

  it("shares conversations between instances and numbers concurrent appends without gaps", async () => {
    const [a, b] = await backend.open(2);
    if (a === undefined || b === undefined) throw new Error("no store");
    await a.create(conversation("shared"));
    const appended = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).append("shared", prompt(`p${i}`))),
    );
    expect(appended.map((e) => e?.seq).sort((x, y) => (x ?? 0) - (y ?? 0))).toEqual(
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    expect((await b.entries("shared")).length).toBe(40);
    expect((await b.get("shared"))?.lastSeq).toBe(40);
  });

  it("keeps concurrent changes of different fields from two instances, and removes a field set to undefined", async () => {
    const [a, b] = await backend.open(2);
    if (a === undefined || b === undefined) throw new Error("no store");
    await a.create({ ...conversation("fields"), lastPrompt: "first" });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0 ? a.update("fields", { sid: `s${i}` }) : b.update("fields", { title: `t${i}` }),
      ),
    );
    await Promise.all([a.update("fields", { sid: "final" }), b.update("fields", { status: "running" })]);
    expect(await b.get("fields")).toMatchObject({ sid: "final", status: "running", title: "t19" });
    const cleared = await a.update("fields", { lastPrompt: undefined } as never);
    expect(cleared?.lastPrompt).toBeUndefined();
    expect((await b.get("fields"))?.lastPrompt).toBeUndefined();
    expect(await b.get("fields")).toMatchObject({ sid: "final", title: "t19" });
  });
});
