/**
 * The data model of the web workspace, shared by the server and the page (no Node imports here):
 * conversations and the entries of their timelines.
 *
 * A timeline is the ordered record of everything that happened in a conversation. Each entry has a
 * `seq`, unique and increasing within its conversation, which is also the SSE event id: a client that
 * lost its connection sends the last `seq` it received as `Last-Event-ID` and gets exactly what follows.
 */
import type { RobocodersEvent } from "../../core/events.js";

/** Where a conversation stands. */
export type ConversationStatus =
  /** Nothing has run yet. */
  | "new"
  /** A turn is running. */
  | "running"
  /** The agent asked something and waits for an answer. */
  | "waiting"
  /** The agent finished (or the stream ended without a question). */
  | "finished"
  /** The user stopped the last turn. */
  | "stopped"
  /** The last turn failed; it can be retried. */
  | "failed";

/** A conversation's metadata (its timeline is read separately). */
export interface Conversation {
  /** Opaque id chosen by the server. */
  id: string;
  /** The title: the first prompt, shortened, until renamed. */
  title: string;
  /** The agent the next turn uses. */
  agent: string;
  /** The Robocoders session, once the first turn created it. */
  sid?: string;
  /** Whether a turn that ends on a question is continued automatically (a `continue` prompt). */
  autoContinue: boolean;
  status: ConversationStatus;
  /** ISO-8601 time of creation. */
  createdAt: string;
  /** ISO-8601 time of the last activity (an entry, a rename). */
  updatedAt: string;
  /** `seq` of the last timeline entry; 0 when the timeline is empty. */
  lastSeq: number;
  /** Number of turns started. */
  turns: number;
  /** The prompt of the last turn (what a retry sends again). */
  lastPrompt?: string;
}

/** Why a turn ended. */
export type TurnOutcome = "waiting" | "finished" | "stopped" | "failed";

/** A failed turn's error, as shown to the user. */
export interface TurnError {
  /** The library's error code (`rate_limited`, `connection_failed`, `stream_truncated`…) or `internal_error`. */
  code: string;
  /** A message for people. */
  message: string;
  /** The upstream HTTP status, when there was one. */
  status?: number;
  /** How long the service asked to wait before retrying, in ms (rate limits). */
  retryAfterMs?: number;
  /** Whether sending the same turn again may succeed. */
  retryable: boolean;
}

interface EntryBase {
  /** Position in the timeline, from 1; the SSE event id. */
  seq: number;
  /** ISO-8601 time the server recorded the entry. */
  time: string;
  /** The turn the entry belongs to, from 1. */
  turn: number;
}

/** A prompt sent to the agent: the user's, or an automatic `continue` (`auto: true`). */
export interface PromptEntry extends EntryBase {
  type: "prompt";
  prompt: string;
  auto: boolean;
  /** The agent the prompt went to. */
  agent: string;
}

/** An event of the `/chat` stream, typed by the library (`raw` holds the object as received). */
export interface EventEntry extends EntryBase {
  type: "event";
  event: RobocodersEvent;
}

/** A turn ended. */
export interface TurnEndEntry extends EntryBase {
  type: "turn-end";
  outcome: TurnOutcome;
  /** The session the turn used. */
  sid?: string;
  /** Set when `outcome` is `failed`. */
  error?: TurnError;
}

/** One entry of a conversation's timeline. */
export type TimelineEntry = PromptEntry | EventEntry | TurnEndEntry;

/** An entry before the store numbered it. */
export type NewEntry = TimelineEntry extends infer E
  ? E extends TimelineEntry
    ? Omit<E, "seq">
    : never
  : never;
