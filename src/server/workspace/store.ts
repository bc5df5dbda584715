/**
 * Where the web workspace keeps its conversations and their timelines: the {@link ConversationStore}
 * interface and its default, bounded in-memory implementation {@link MemoryConversationStore}.
 *
 * A store only keeps data; running turns and telling live viewers is the service's job. Another store
 * (e.g. Redis, for conversations that survive a restart) implements the same interface.
 */
import type { Conversation, NewEntry, TimelineEntry } from "./timeline.js";

/** The fields {@link ConversationStore.update} may change. */
export type ConversationPatch = Partial<Omit<Conversation, "id" | "lastSeq" | "createdAt">>;

/**
 * Storage of conversations and their timelines. Every method is asynchronous so that a networked store
 * fits. The service is the only writer of a conversation at a time.
 */
export interface ConversationStore {
  /** Every conversation, the most recently active first. */
  list(): Promise<Conversation[]>;
  /** One conversation, or `undefined`. */
  get(id: string): Promise<Conversation | undefined>;
  /** Adds a new conversation with an empty timeline (may drop the least recently active one to make room). */
  create(conversation: Conversation): Promise<void>;
  /**
   * Changes some fields of a conversation and returns it, or `undefined` when there is none. `id`,
   * `lastSeq` are never changed this way; `updatedAt` only when the patch holds it.
   */
  update(id: string, patch: ConversationPatch): Promise<Conversation | undefined>;
  /** Deletes a conversation and its timeline; `false` when there was none. */
  delete(id: string): Promise<boolean>;
  /**
   * Appends an entry: numbers it (`lastSeq + 1`), sets the conversation's `lastSeq` and `updatedAt`, and
   * returns it. `undefined` when the conversation does not exist (deleted meanwhile).
   */
  append(id: string, entry: NewEntry): Promise<TimelineEntry | undefined>;
  /** The entries with `seq > after`, oldest first, at most `limit` of them (default: all). */
  entries(id: string, after?: number, limit?: number): Promise<TimelineEntry[]>;
}

/** Default {@link MemoryStoreOptions.maxConversations}. */
export const DEFAULT_MAX_CONVERSATIONS = 200;
/** Default {@link MemoryStoreOptions.maxEntries}. */
export const DEFAULT_MAX_ENTRIES = 20_000;
/** Default {@link MemoryStoreOptions.ttlMs}: 7 days. */
export const DEFAULT_CONVERSATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** Bounds of {@link MemoryConversationStore}. */
export interface MemoryStoreOptions {
  /** Most conversations kept; creating one more drops the least recently active. Default: 200. */
  maxConversations?: number;
  /**
   * Most entries kept per conversation; past it the oldest are dropped (numbering goes on, so a client
   * resuming from a dropped entry gets what is left). Default: 20 000.
   */
  maxEntries?: number;
  /** A conversation inactive for this long is forgotten, in ms. Default: 7 days. */
  ttlMs?: number;
  /** The clock, for tests. Default: `Date.now`. */
  now?: () => number;
}

interface Slot {
  conversation: Conversation;
  entries: TimelineEntry[];
  /** Last activity, ms since the epoch. */
  touched: number;
}

/** A {@link ConversationStore} in memory: bounded in count, length and age. Nothing survives a restart. */
export class MemoryConversationStore implements ConversationStore {
  private readonly slots = new Map<string, Slot>();
  private readonly maxConversations: number;
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(options: MemoryStoreOptions = {}) {
    this.maxConversations = Math.max(1, options.maxConversations ?? DEFAULT_MAX_CONVERSATIONS);
    this.maxEntries = Math.max(1, options.maxEntries ?? DEFAULT_MAX_ENTRIES);
    this.ttlMs = options.ttlMs ?? DEFAULT_CONVERSATION_TTL_MS;
    this.now = options.now ?? Date.now;
  }

  async list(): Promise<Conversation[]> {
    this.expire();
    return [...this.slots.values()]
      .sort((a, b) => b.touched - a.touched || (a.conversation.id < b.conversation.id ? -1 : 1))
      .map((slot) => ({ ...slot.conversation }));
  }

  async get(id: string): Promise<Conversation | undefined> {
    const slot = this.slot(id);
    return slot === undefined ? undefined : { ...slot.conversation };
  }

  async create(conversation: Conversation): Promise<void> {
    this.slots.delete(conversation.id);
    this.expire();
    while (this.slots.size >= this.maxConversations) {
      let oldest: [string, Slot] | undefined;
      for (const entry of this.slots)
        if (oldest === undefined || entry[1].touched < oldest[1].touched) oldest = entry;
      if (oldest === undefined) break;
      this.slots.delete(oldest[0]);
    }
    this.slots.set(conversation.id, { conversation: { ...conversation }, entries: [], touched: this.now() });
  }

  async update(id: string, patch: ConversationPatch): Promise<Conversation | undefined> {
    const slot = this.slot(id);
    if (slot === undefined) return undefined;
    const { id: _id, lastSeq: _lastSeq, createdAt: _createdAt, ...fields } = patch as Partial<Conversation>;
    slot.conversation = { ...slot.conversation, ...fields };
    if (patch.updatedAt !== undefined) slot.touched = this.now();
    return { ...slot.conversation };
  }

  async delete(id: string): Promise<boolean> {
    return this.slots.delete(id);
  }

  async append(id: string, entry: NewEntry): Promise<TimelineEntry | undefined> {
    const slot = this.slot(id);
    if (slot === undefined) return undefined;
    const seq = slot.conversation.lastSeq + 1;
    const numbered = { ...entry, seq } as TimelineEntry;
    slot.entries.push(numbered);
    if (slot.entries.length > this.maxEntries) slot.entries.splice(0, slot.entries.length - this.maxEntries);
    slot.conversation.lastSeq = seq;
    slot.conversation.updatedAt = entry.time;
    slot.touched = this.now();
    return numbered;
  }

  async entries(id: string, after = 0, limit = Number.POSITIVE_INFINITY): Promise<TimelineEntry[]> {
    const slot = this.slot(id);
    if (slot === undefined) return [];
    const { entries } = slot;
    // Entries are sorted by seq: find the first one after `after` by bisection.
    let lo = 0;
    let hi = entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (entries[mid]!.seq <= after) lo = mid + 1;
      else hi = mid;
    }
    return entries.slice(lo, Number.isFinite(limit) ? lo + Math.max(0, limit) : undefined);
  }

  /** The live slot of `id`, forgetting it when it expired. */
  private slot(id: string): Slot | undefined {
    const slot = this.slots.get(id);
    if (slot === undefined) return undefined;
    if (this.now() - slot.touched > this.ttlMs) {
      this.slots.delete(id);
      return undefined;
    }
    return slot;
  }

  private expire(): void {
    const limit = this.now() - this.ttlMs;
    for (const [id, slot] of this.slots) if (slot.touched < limit) this.slots.delete(id);
  }
}
