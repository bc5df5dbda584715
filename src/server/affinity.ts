/**
 * Conversation affinity: which Robocoders session answers which OpenAI-style conversation.
 *
 * OpenAI clients resend the whole conversation on every turn, while a Robocoders session already holds
 * the history (and the agent's workspace). After answering, the gateway remembers
 * `hash(agent, user, messages + the answer) → session`. A later request whose messages are exactly such a
 * remembered conversation plus one new user message continues that session and sends only the new
 * message. Anything else is a new conversation: a new session, and the whole history formatted by
 * {@link formatPrompt}.
 *
 * Messages are compared after normalisation: content trimmed (clients often strip the answer they
 * display), roles as validated (`developer` reads as `system`).
 */
import { createHash } from "node:crypto";
import { InvalidArgumentError } from "../core/errors.js";
import { formatPrompt } from "../provider/format-prompt.js";
import type { ChatMessage } from "./chat-request.js";

/** Options of a {@link ConversationCache}. */
export interface ConversationCacheOptions {
  /** Most conversations remembered; the least recently used is dropped first. Default: 1000. */
  maxEntries?: number;
  /** How long a conversation is remembered after its last turn, in ms. Default: 3 600 000 (1 hour). */
  ttlMs?: number;
  /** Clock, in ms. Default: `Date.now`. */
  now?: () => number;
}

/** A bounded map from conversation keys to session ids: least-recently-used eviction plus an age limit. */
export class ConversationCache {
  readonly maxEntries: number;
  readonly ttlMs: number;
  private readonly now: () => number;
  private readonly entries = new Map<string, { sid: string; expiresAt: number }>();

  constructor(options: ConversationCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 1000;
    this.ttlMs = options.ttlMs ?? 3_600_000;
    this.now = options.now ?? Date.now;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 0) {
      throw new InvalidArgumentError(`maxEntries must be a non-negative integer, got ${this.maxEntries}`);
    }
    if (!(this.ttlMs >= 0))
      throw new InvalidArgumentError(`ttlMs must be a non-negative number, got ${this.ttlMs}`);
  }

  /** Number of entries held (expired ones included until they are touched or evicted). */
  get size(): number {
    return this.entries.size;
  }

  /** The session of a key, or `undefined` when unknown or expired. A hit makes the entry most recent. */
  get(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= this.now()) return undefined;
    this.entries.set(key, entry);
    return entry.sid;
  }

  /** Remembers a key's session, evicting expired entries and then the least recently used ones. */
  set(key: string, sid: string): void {
    if (this.maxEntries === 0) return;
    const now = this.now();
    this.entries.delete(key);
    this.entries.set(key, { sid, expiresAt: now + this.ttlMs });
    if (this.entries.size <= this.maxEntries) return;
    for (const [k, entry] of this.entries) {
      if (entry.expiresAt <= now) this.entries.delete(k);
    }
    for (const k of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(k);
    }
  }

  /** Forgets everything. */
  clear(): void {
    this.entries.clear();
  }
}

/** The key of a conversation: a SHA-256 over the agent, the end-user id and the normalised messages. */
export function conversationKey(
  agent: string,
  user: string | undefined,
  messages: readonly ChatMessage[],
): string {
  const normalized = messages.map((m) => [m.role, m.content.trim()]);
  return createHash("sha256")
    .update(JSON.stringify([agent, user ?? null, normalized]))
    .digest("hex");
}

/** What to send for one request. */
export interface TurnPlan {
  /** The session to talk in; `undefined` means a new session. */
  sid: string | undefined;
  /** The prompt to send. */
  prompt: string;
  /** True when the request continues a remembered conversation (only the new user message is sent). */
  continued: boolean;
}

/** The request's identity for {@link planTurn} and {@link rememberTurn}. */
export interface TurnInput {
  /** The resolved agent name. */
  agent: string;
  /** The caller's end-user id (`user` field). */
  user: string | undefined;
  /** The request's messages; at least one. */
  messages: readonly ChatMessage[];
  /** A session the caller pinned with `X-Robocoders-Session`. */
  pinnedSid?: string | undefined;
}

/**
 * Decides the session and prompt of a request:
 * - the messages are a remembered conversation plus one new user message, in the same session as the pin
 *   (if any) → that session, and only the new message;
 * - otherwise → the pinned session, or a new one, and the formatted history.
 */
export function planTurn(cache: ConversationCache, input: TurnInput): TurnPlan {
  const { messages } = input;
  const last = messages.at(-1);
  if (messages.length >= 2 && last !== undefined && last.role === "user") {
    const sid = cache.get(conversationKey(input.agent, input.user, messages.slice(0, -1)));
    if (sid !== undefined && (input.pinnedSid === undefined || input.pinnedSid === sid)) {
      return { sid, prompt: last.content, continued: true };
    }
  }
  return { sid: input.pinnedSid, prompt: formatPrompt(messages), continued: false };
}

/** Remembers that `sid` answered `messages` with `answer`, so the next turn can continue it. */
export function rememberTurn(cache: ConversationCache, input: TurnInput, sid: string, answer: string): void {
  const conversation: ChatMessage[] = [...input.messages, { role: "assistant", content: answer }];
  cache.set(conversationKey(input.agent, input.user, conversation), sid);
}
