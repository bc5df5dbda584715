import { describe, expect, it } from "vitest";
import { MemoryConversationStore } from "./store.js";
import type { Conversation } from "./timeline.js";

function conversation(id: string): Conversation {
  return {
    id,
    title: id,
    agent: "GeneralCodingAgent",
    autoContinue: true,
    status: "new",
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z",
    lastSeq: 0,
    turns: 0,
  };
}

const prompt = (text: string) =>
  ({
    type: "prompt",
    time: "2026-01-01T00:00:01.000Z",
    turn: 1,
    prompt: text,
    auto: false,
    agent: "RepoAgent",
  }) as const;

describe("MemoryConversationStore", () => {
  it("numbers entries, reads them after a seq with a limit, and keeps lastSeq and updatedAt", async () => {
    const store = new MemoryConversationStore();
    await store.create(conversation("a"));
    for (const text of ["one", "two", "three", "four"]) await store.append("a", prompt(text));
    expect((await store.entries("a", 0)).map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect((await store.entries("a", 2)).map((e) => e.seq)).toEqual([3, 4]);
    expect((await store.entries("a", 1, 2)).map((e) => e.seq)).toEqual([2, 3]);
    expect(await store.get("a")).toMatchObject({ lastSeq: 4, updatedAt: "2026-01-01T00:00:01.000Z" });
    expect(await store.append("missing", prompt("x"))).toBeUndefined();
  });

  it("updates some fields only: never id, lastSeq or createdAt", async () => {
    const store = new MemoryConversationStore();
    await store.create(conversation("a"));
    await store.append("a", prompt("one"));
    const patch = { title: "T", lastSeq: 99, id: "b", createdAt: "x" } as unknown as Parameters<
      typeof store.update
    >[1];
    expect(await store.update("a", patch)).toMatchObject({
      id: "a",
      title: "T",
      lastSeq: 1,
      createdAt: "2026-01-01T00:00:00.000Z",
    });
    expect(await store.update("nope", { title: "x" })).toBeUndefined();
  });

  it("keeps at most maxConversations, dropping the least recently active", async () => {
    let now = 0;
    const store = new MemoryConversationStore({ maxConversations: 2, now: () => now });
    await store.create(conversation("a"));
    now = 1;
    await store.create(conversation("b"));
    now = 2;
    await store.append("a", prompt("still here"));
    now = 3;
    await store.create(conversation("c"));
    expect((await store.list()).map((c) => c.id)).toEqual(["c", "a"]);
  });

  it("keeps at most maxEntries per conversation, numbering on", async () => {
    const store = new MemoryConversationStore({ maxEntries: 3 });
    await store.create(conversation("a"));
    for (let i = 0; i < 5; i++) await store.append("a", prompt(String(i)));
    expect((await store.entries("a")).map((e) => e.seq)).toEqual([3, 4, 5]);
    expect((await store.entries("a", 1)).map((e) => e.seq)).toEqual([3, 4, 5]);
  });

  it("forgets conversations inactive for longer than ttlMs", async () => {
    let now = 0;
    const store = new MemoryConversationStore({ ttlMs: 1000, now: () => now });
    await store.create(conversation("a"));
    await store.create(conversation("b"));
    now = 900;
    await store.append("b", prompt("keep me"));
    now = 1500;
    expect(await store.get("a")).toBeUndefined();
    expect((await store.list()).map((c) => c.id)).toEqual(["b"]);
    expect(await store.delete("b")).toBe(true);
    expect(await store.delete("b")).toBe(false);
  });
});
