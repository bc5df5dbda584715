/**
 * What one emulator instance remembers: counters, `/chat` records, sessions, fault rules, the token key
 * and the settings that can change while it runs (verbose streams, latency).
 */
import { randomUUID } from "node:crypto";
import type { ChatExchange } from "../core/transcript.js";
import { FaultRules } from "./fault-rules.js";
import { ENDPOINTS } from "./faults.js";
import { ReplayBook } from "./replay.js";
import { initialTaskState, type TaskState } from "./scripts.js";
import type { EventClock } from "./stream.js";
import { type MintedToken, TokenIssuer } from "./tokens.js";
import type { ChatRecord, EmulatorOptions, EmulatorStats, EndpointName, MintTokenOptions } from "./types.js";

/** Default size of the `long-line` screenshot line: 3 MiB. */
export const DEFAULT_LONG_LINE_BYTES = 3 << 20;
/** Default number of chat records kept. */
export const DEFAULT_MAX_CHAT_RECORDS = 1000;

/** A live session: where its agent is in the task, and its event numbering. */
export interface Session {
  sid: string;
  task: TaskState;
  clock: EventClock;
}

/** Counters for an endpoint or `"other"`. */
export type CounterKey = EndpointName | "other";

/** Zeroed counters. */
export function emptyStats(): EmulatorStats {
  const keys: readonly CounterKey[] = [...ENDPOINTS, "other"];
  const byKey = <T>(make: () => T): Record<CounterKey, T> =>
    Object.fromEntries(keys.map((key) => [key, make()])) as Record<CounterKey, T>;
  return {
    totalRequests: 0,
    requests: byKey(() => 0),
    statuses: byKey(() => ({})),
    tokensIssued: 0,
    sessionsCreated: 0,
    chatStreams: { started: 0, completed: 0, aborted: 0, cut: 0 },
    faultsInjected: {},
  };
}

/** The mutable state of one emulator instance. */
export class EmulatorState {
  /** Live counters; {@link reset} zeroes them in place. */
  readonly stats: EmulatorStats = emptyStats();
  /** `/chat` records, oldest first, at most {@link maxChatRecords}. */
  readonly chats: ChatRecord[] = [];
  readonly sessions = new Map<string, Session>();
  readonly faults: FaultRules;
  readonly tokens: TokenIssuer;
  /** `content-type` of `/chat` streams. */
  readonly chatContentType: string;
  readonly maxChatRecords: number;
  /** Whether streams include observations and `agent_state_changed` unless a request says otherwise. */
  verbose: boolean;
  /** Pause between events of every stream, in ms. */
  latencyMs: number;
  /** The recorded exchanges `/chat` answers from, when replaying. */
  readonly replay: ReplayBook | undefined;
  #chatSeq = 0;

  /**
   * @param exchanges the recorded exchanges to replay (`options.replay`, loaded).
   * @throws {FaultSpecError} when `options.faults` holds a spec that does not parse.
   */
  constructor(options: EmulatorOptions, exchanges?: readonly ChatExchange[]) {
    this.replay = exchanges === undefined ? undefined : new ReplayBook(exchanges);
    this.tokens = new TokenIssuer(options.secret, options.tokenLifetimeSeconds);
    this.faults = new FaultRules(options.defaultLongLineBytes ?? DEFAULT_LONG_LINE_BYTES);
    this.faults.set(options.faults);
    this.chatContentType = options.chatContentType ?? "application/x-ndjson";
    this.maxChatRecords = options.maxChatRecords ?? DEFAULT_MAX_CHAT_RECORDS;
    this.verbose = options.verbose ?? false;
    this.latencyMs = options.latencyMs ?? 0;
  }

  /** Mints a token signed by this instance and counts it. */
  async mintToken(options: MintTokenOptions = {}): Promise<MintedToken> {
    const minted = await this.tokens.mint(options);
    this.stats.tokensIssued += 1;
    return minted;
  }

  /** Creates a session as `/create-session` does and returns its sid. */
  createSession(): string {
    const sid = randomUUID();
    this.sessions.set(sid, { sid, task: initialTaskState(), clock: { nextId: 0, lastMicros: 0 } });
    this.stats.sessionsCreated += 1;
    return sid;
  }

  /** Counts a request to `key`. */
  countRequest(key: CounterKey): void {
    this.stats.totalRequests += 1;
    this.stats.requests[key] += 1;
  }

  /** Counts a response status of `key`. */
  countStatus(key: CounterKey, status: number): void {
    const bucket = this.stats.statuses[key];
    bucket[status] = (bucket[status] ?? 0) + 1;
  }

  /** Counts applied faults by name. */
  countFaults(names: readonly string[]): void {
    for (const name of names) this.stats.faultsInjected[name] = (this.stats.faultsInjected[name] ?? 0) + 1;
  }

  /** The next chat sequence number (from 1). */
  nextChatSeq(): number {
    this.#chatSeq += 1;
    return this.#chatSeq;
  }

  /** Keeps a chat record, dropping the oldest beyond {@link maxChatRecords}, and counts a started stream. */
  addChat(record: ChatRecord): void {
    this.chats.push(record);
    if (this.chats.length > this.maxChatRecords)
      this.chats.splice(0, this.chats.length - this.maxChatRecords);
    this.stats.chatStreams.started += 1;
  }

  /** Zeroes counters, drops chat records and the per-spec fault counts. Sessions are kept. */
  reset(): void {
    Object.assign(this.stats, emptyStats());
    this.chats.length = 0;
    this.faults.resetSpecCounts();
    this.replay?.rewind();
  }
}
