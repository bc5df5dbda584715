/**
 * Conversation affinity: which Robocoders session answers which OpenAI-style conversation, and which
 * caller owns which session.
 *
 * OpenAI clients resend the whole conversation on every turn, while a Robocoders session already holds
 * the history (and the agent's workspace). After answering, the gateway remembers a **point**:
 * `hash(caller, agent, messages + the answer) → session`. The rules:
 *
 * - **Follow-up**: a request whose messages are a remembered point plus one new user message continues
 *   that session and sends only the new message. A point is continued **at most once**.
 * - **Fork**: a later request from a point already continued (the user pressed "regenerate", edited the
 *   last message, or a second client sent the same conversation) starts a new session with the whole
 *   history, so one agent workspace never receives two divergent continuations.
 * - **Callers are apart**: the caller (the API key in use, when keys are configured, and the `user`
 *   field) is part of every point, and a session can be pinned (`X-Robocoders-Session`) only by the
 *   caller it was created for.
 *
 * Messages are compared after normalisation: content trimmed (clients often strip the answer they
 * display), roles as validated (`developer` reads as `system`).
 *
 * The state lives behind {@link AffinityStore} (asynchronous, so a shared store such as Redis can
 * replace {@link MemoryAffinityStore}).
 */
import { createHash, type Hash } from "node:crypto";
import { InvalidArgumentError } from "../core/errors.js";
import type { ChatMessage } from "./chat-request.js";

/** Options of a {@link ConversationCache}. */
export interface ConversationCacheOptions {
  /** Most entries remembered; the least recently used is dropped first. Default: 1000. */
  maxEntries?: number;
  /** How long an entry is remembered after it was last set or read, in ms. Default: 3 600 000 (1 hour). */
  ttlMs?: number;
  /** Clock, in ms. Default: `Date.now`. */
  now?: () => number;
}

/** A bounded map: least-recently-used eviction plus an age limit. */
export class ConversationCache<V = string> {
  readonly maxEntries: number;
  readonly ttlMs: number;
  private readonly now: () => number;
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();

  constructor(options: ConversationCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 1000;
    this.ttlMs = options.ttlMs ?? 3_600_000;
    this.now = options.now ?? Date.now;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 0) {
      throw new InvalidArgumentError(`maxEntries must be a non-negative integer, got ${this.maxEntries}`);
    }
    if (!(this.ttlMs >= 0)) {
      throw new InvalidArgumentError(`ttlMs must be a non-negative number, got ${this.ttlMs}`);
    }
  }

  /** Number of entries held (expired ones included until they are touched or evicted). */
  get size(): number {
    return this.entries.size;
  }

  /** The value of a key, or `undefined` when unknown or expired. A hit makes the entry most recent. */
  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= this.now()) return undefined;
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Remembers a key's value, evicting expired entries and then the least recently used ones. */
  set(key: string, value: V): void {
    if (this.maxEntries === 0) return;
    const now = this.now();
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: now + this.ttlMs });
    if (this.entries.size <= this.maxEntries) return;
    for (const [k, entry] of this.entries) {
      if (entry.expiresAt <= now) this.entries.delete(k);
    }
    for (const k of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(k);
    }
  }

  /** Forgets one key. */
  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Forgets everything. */
  clear(): void {
    this.entries.clear();
  }
}

/**
 * Where the gateway keeps conversation points and session owners. Every method may be asynchronous;
 * `claim` must be atomic (two concurrent claims of one point: one gets the session, the other nothing).
 */
export interface AffinityStore {
  /**
   * Claims a remembered point for a follow-up: resolves to its session and marks the point continued, or
   * `undefined` when the point is unknown, expired, already continued, or (with `onlySid`) names
   * another session (then the point stays unclaimed).
   */
  claim(point: string, onlySid?: string): Promise<string | undefined> | string | undefined;
  /** Gives a claimed point back (the follow-up failed before the agent received it). */
  release(point: string, sid: string): Promise<void> | void;
  /** Remembers a new point (not yet continued). */
  remember(point: string, sid: string): Promise<void> | void;
  /** Records the caller a session was created for. */
  own(sid: string, caller: string): Promise<void> | void;
  /** The caller a session was created for, or `undefined` when this gateway does not know it. */
  ownerOf(sid: string): Promise<string | undefined> | string | undefined;
}

/** Options of a {@link MemoryAffinityStore}: the bounds of its points (sessions get four times as many). */
export type MemoryAffinityStoreOptions = ConversationCacheOptions;

/** The in-process {@link AffinityStore}: bounded LRU maps; forgotten on restart. */
export class MemoryAffinityStore implements AffinityStore {
  private readonly points: ConversationCache<{ sid: string; continued: boolean }>;
  private readonly owners: ConversationCache<string>;

  constructor(options: MemoryAffinityStoreOptions = {}) {
    this.points = new ConversationCache(options);
    this.owners = new ConversationCache({
      ...options,
      maxEntries: (options.maxEntries ?? 1000) * 4,
    });
  }

  claim(point: string, onlySid?: string): string | undefined {
    const entry = this.points.get(point);
    if (entry === undefined || entry.continued) return undefined;
    if (onlySid !== undefined && entry.sid !== onlySid) return undefined;
    entry.continued = true;
    return entry.sid;
  }

  release(point: string, sid: string): void {
    const entry = this.points.get(point);
    if (entry !== undefined && entry.sid === sid) entry.continued = false;
  }

  remember(point: string, sid: string): void {
    this.points.set(point, { sid, continued: false });
  }

  own(sid: string, caller: string): void {
    this.owners.set(sid, caller);
  }

  ownerOf(sid: string): string | undefined {
    return this.owners.get(sid);
  }
}

function pointHash(agent: string, caller: string, prefix: readonly ChatMessage[], lastRole: string): Hash {
  const normalized = prefix.map((m) => [m.role, m.content.trim()]);
  return createHash("sha256")
    .update(JSON.stringify([agent, caller, normalized]))
    .update(`\n${lastRole}\n`);
}

/**
 * The key of a conversation point: a SHA-256 over the agent, the caller and the normalised messages
 * (at least one).
 */
export function conversationKey(agent: string, caller: string, messages: readonly ChatMessage[]): string {
  const last = messages.at(-1);
  if (last === undefined) throw new InvalidArgumentError("a conversation has at least one message");
  return pointHash(agent, caller, messages.slice(0, -1), last.role).update(last.content.trim()).digest("hex");
}

/**
 * The key of `messages + an answer` built while the answer streams, holding only the answer's trailing
 * whitespace: `new AnswerKey(agent, caller, messages)`, `push(text)` for each piece, then `digest()` —
 * equal to `conversationKey(agent, caller, [...messages, {role: "assistant", content: answer}])`.
 */
export class AnswerKey {
  private readonly hash: Hash;
  private started = false;
  private pending = "";

  constructor(agent: string, caller: string, messages: readonly ChatMessage[]) {
    this.hash = pointHash(agent, caller, messages, "assistant");
  }

  /** Adds a piece of the answer. */
  push(text: string): void {
    let piece = text;
    if (!this.started) {
      piece = piece.replace(/^\s+/, "");
      if (piece === "") return;
      this.started = true;
    }
    if (piece === "") return;
    const trailing = /\s+$/.exec(piece);
    if (trailing === null) {
      this.hash.update(this.pending + piece);
      this.pending = "";
    } else if (trailing.index === 0) {
      this.pending += piece;
    } else {
      this.hash.update(this.pending + piece.slice(0, trailing.index));
      this.pending = trailing[0];
    }
  }

  /** The key (once). */
  digest(): string {
    return this.hash.digest("hex");
  }
}
