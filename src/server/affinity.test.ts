import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../core/errors.js";
import { AnswerKey, ConversationCache, conversationKey, MemoryAffinityStore } from "./affinity.js";
import type { ChatMessage } from "./chat-request.js";

const user = (content: string): ChatMessage => ({ role: "user", content });
const assistant = (content: string): ChatMessage => ({ role: "assistant", content });
const system = (content: string): ChatMessage => ({ role: "system", content });
const agent = "GeneralCodingAgent";

describe("ConversationCache", () => {
  it("evicts the least recently used entry beyond maxEntries", () => {
    const cache = new ConversationCache({ maxEntries: 2 });
    cache.set("a", "s1");
    cache.set("b", "s2");
    expect(cache.get("a")).toBe("s1"); // a is now the most recent
    cache.set("c", "s3");
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")).toBe("s1");
    expect(cache.get("c")).toBe("s3");
    expect(cache.size).toBe(2);
  });

  it("forgets entries older than ttlMs", () => {
    let now = 1_000;
    const cache = new ConversationCache({ ttlMs: 100, now: () => now });
    cache.set("a", "s1");
    now = 1_099;
    expect(cache.get("a")).toBe("s1");
    now = 1_100;
    expect(cache.get("a")).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("drops expired entries before live ones when full", () => {
    let now = 0;
    const cache = new ConversationCache({ maxEntries: 2, ttlMs: 10, now: () => now });
    cache.set("old", "s0");
    now = 5;
    cache.set("live", "s1");
    now = 12; // "old" expired, "live" not
    cache.set("new", "s2");
    expect(cache.get("live")).toBe("s1");
    expect(cache.get("new")).toBe("s2");
  });

  it("never holds more than maxEntries (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 }), fc.array(fc.string({ maxLength: 2 })), (max, keys) => {
        const cache = new ConversationCache({ maxEntries: max });
        for (const key of keys) cache.set(key, `sid-${key}`);
        expect(cache.size).toBeLessThanOrEqual(max);
        const last = keys.at(-1);
        if (last !== undefined && max > 0) expect(cache.get(last)).toBe(`sid-${last}`);
      }),
    );
  });

  it("rejects nonsense limits", () => {
    expect(() => new ConversationCache({ maxEntries: -1 })).toThrow(InvalidArgumentError);
    expect(() => new ConversationCache({ ttlMs: Number.NaN })).toThrow(InvalidArgumentError);
  });
});

describe("conversationKey", () => {
  it("ignores surrounding whitespace but not roles, agent, caller or order", () => {
    const base = conversationKey(agent, "", [user("hi"), assistant("hello")]);
    expect(conversationKey(agent, "", [user(" hi\n"), assistant("hello  ")])).toBe(base);
    expect(conversationKey(agent, "", [system("hi"), assistant("hello")])).not.toBe(base);
    expect(conversationKey("RepoAgent", "", [user("hi"), assistant("hello")])).not.toBe(base);
    expect(conversationKey(agent, "alice", [user("hi"), assistant("hello")])).not.toBe(base);
    expect(conversationKey(agent, "", [assistant("hello"), user("hi")])).not.toBe(base);
  });

  it("does not confuse message boundaries", () => {
    expect(conversationKey(agent, "", [user("a"), user("b")])).not.toBe(
      conversationKey(agent, "", [user("a\nUser: b")]),
    );
    expect(conversationKey(agent, "", [user("a"), assistant("b")])).not.toBe(
      conversationKey(agent, "", [user("a\nassistant\nb")]),
    );
  });
});

describe("AnswerKey", () => {
  it("equals the key of the conversation with the whole answer, however the answer was cut (property)", () => {
    const piece = fc.oneof(fc.string(), fc.constantFrom(" ", "\n", "\n\n", " \t", "🙂", "x"));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), fc.string(), (pieces, caller) => {
        const messages = [system("Be brief."), user("Add 2 and 3")];
        const key = new AnswerKey(agent, caller, messages);
        for (const p of pieces) key.push(p);
        expect(key.digest()).toBe(conversationKey(agent, caller, [...messages, assistant(pieces.join(""))]));
      }),
    );
  });
});

describe("MemoryAffinityStore", () => {
  it("lets a point be continued once: a second claim is a fork", () => {
    const store = new MemoryAffinityStore();
    store.remember("p1", "sid-1");
    expect(store.claim("p1")).toBe("sid-1");
    expect(store.claim("p1")).toBeUndefined();
    expect(store.claim("unknown")).toBeUndefined();
  });

  it("gives a released point back, and claims for a pinned session only that session's points", () => {
    const store = new MemoryAffinityStore();
    store.remember("p1", "sid-1");
    expect(store.claim("p1", "sid-2")).toBeUndefined();
    expect(store.claim("p1", "sid-1")).toBe("sid-1");
    store.release("p1", "sid-1");
    expect(store.claim("p1")).toBe("sid-1");
  });

  it("knows the caller each session was created for", () => {
    const store = new MemoryAffinityStore();
    store.own("sid-1", "alice");
    expect(store.ownerOf("sid-1")).toBe("alice");
    expect(store.ownerOf("sid-2")).toBeUndefined();
  });

  it("forgets points after ttlMs", () => {
    let now = 0;
    const store = new MemoryAffinityStore({ ttlMs: 10, now: () => now });
    store.remember("p1", "sid-1");
    now = 10;
    expect(store.claim("p1")).toBeUndefined();
  });
});
