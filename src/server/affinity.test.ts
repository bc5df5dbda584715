import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../core/errors.js";
import { ConversationCache, conversationKey, planTurn, rememberTurn, type TurnInput } from "./affinity.js";
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
  it("ignores surrounding whitespace but not roles, agent, user or order", () => {
    const base = conversationKey(agent, undefined, [user("hi"), assistant("hello")]);
    expect(conversationKey(agent, undefined, [user(" hi\n"), assistant("hello  ")])).toBe(base);
    expect(conversationKey(agent, undefined, [system("hi"), assistant("hello")])).not.toBe(base);
    expect(conversationKey("RepoAgent", undefined, [user("hi"), assistant("hello")])).not.toBe(base);
    expect(conversationKey(agent, "alice", [user("hi"), assistant("hello")])).not.toBe(base);
    expect(conversationKey(agent, undefined, [assistant("hello"), user("hi")])).not.toBe(base);
  });

  it("does not confuse message boundaries", () => {
    expect(conversationKey(agent, undefined, [user("a"), user("b")])).not.toBe(
      conversationKey(agent, undefined, [user("a\nUser: b")]),
    );
  });
});

describe("planTurn / rememberTurn", () => {
  const first: TurnInput = { agent, user: undefined, messages: [system("Be brief."), user("Add 2 and 3")] };

  it("starts a new conversation with the formatted history and no session", () => {
    const cache = new ConversationCache();
    expect(planTurn(cache, first)).toEqual({
      sid: undefined,
      prompt: "System: Be brief.\nUser: Add 2 and 3\nAssistant:",
      continued: false,
    });
  });

  it("continues a remembered conversation with only the new user message", () => {
    const cache = new ConversationCache();
    rememberTurn(cache, first, "sid-1", "5");
    const second: TurnInput = { ...first, messages: [...first.messages, assistant("5"), user("and 4?")] };
    expect(planTurn(cache, second)).toEqual({ sid: "sid-1", prompt: "and 4?", continued: true });
    rememberTurn(cache, second, "sid-1", "9");
    const third: TurnInput = { ...first, messages: [...second.messages, assistant("9"), user("thanks")] };
    expect(planTurn(cache, third)).toEqual({ sid: "sid-1", prompt: "thanks", continued: true });
  });

  it("treats an edited history, another agent or another user as a new conversation", () => {
    const cache = new ConversationCache();
    rememberTurn(cache, first, "sid-1", "5");
    const edited = [...first.messages, assistant("five"), user("and 4?")];
    expect(planTurn(cache, { ...first, messages: edited }).continued).toBe(false);
    const follow = [...first.messages, assistant("5"), user("and 4?")];
    expect(planTurn(cache, { ...first, agent: "RepoAgent", messages: follow }).continued).toBe(false);
    expect(planTurn(cache, { ...first, user: "bob", messages: follow }).continued).toBe(false);
    // Two new messages at once are not a follow-up either.
    expect(planTurn(cache, { ...first, messages: [...follow, user("more")] }).continued).toBe(false);
  });

  it("needs the last message to be a user message", () => {
    const cache = new ConversationCache();
    rememberTurn(cache, first, "sid-1", "5");
    const plan = planTurn(cache, { ...first, messages: [...first.messages, assistant("5"), assistant("x")] });
    expect(plan.continued).toBe(false);
  });

  it("honours a pinned session: same session continues, another session gets the whole history", () => {
    const cache = new ConversationCache();
    rememberTurn(cache, first, "sid-1", "5");
    const follow = [...first.messages, assistant("5"), user("and 4?")];
    expect(planTurn(cache, { ...first, messages: follow, pinnedSid: "sid-1" })).toEqual({
      sid: "sid-1",
      prompt: "and 4?",
      continued: true,
    });
    const other = planTurn(cache, { ...first, messages: follow, pinnedSid: "sid-2" });
    expect(other.sid).toBe("sid-2");
    expect(other.continued).toBe(false);
    expect(other.prompt).toBe("System: Be brief.\nUser: Add 2 and 3\nAssistant: 5\nUser: and 4?\nAssistant:");
  });

  it("sends a single message unchanged", () => {
    expect(
      planTurn(new ConversationCache(), { agent, user: undefined, messages: [user(" hi ")] }).prompt,
    ).toBe(" hi ");
  });
});
