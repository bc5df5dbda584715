/**
 * Public types of the emulator: its options, fault injection, counters and records.
 *
 * Faults can be selected three ways (all use the same vocabulary, see {@link Faults}):
 * - per instance: {@link EmulatorOptions.faults} and {@link Emulator.setFaults}/{@link Emulator.addFault};
 * - per request: the HTTP header `x-emulator-fault: <spec>`;
 * - per request, for clients that cannot set headers: a directive `[[fault:<spec>]]` anywhere in the
 *   `/chat` prompt (removed from the prompt before the agent sees it).
 *
 * A spec string is a list of tokens separated by commas, semicolons or spaces, e.g.
 * `status=503, count=2` or `chunk=1, crlf, cut-mid-line`; see {@link parseFaultSpec}.
 */

import type { ChatExchange } from "../core/transcript.js";

/** The emulator's endpoints, as used in counters and in {@link FaultRule.endpoint}. */
export type EndpointName = "auth" | "create-session" | "chat" | "get-session-code" | "docs" | "openapi.json";

/** The agents the API accepts. */
export const AGENTS = ["GeneralCodingAgent", "RepoAgent", "FrontEndAgent"] as const;
/** One of {@link AGENTS}. */
export type AgentName = (typeof AGENTS)[number];

/** Statuses a fault can answer with instead of the normal response. */
export type FaultStatus = 401 | 403 | 404 | 422 | 429 | 500 | 502 | 503 | 504;
/** Every status {@link FaultStatus} allows. */
export const FAULT_STATUSES: readonly FaultStatus[] = [401, 403, 404, 422, 429, 500, 502, 503, 504];

/**
 * How the `/chat` body is cut into HTTP chunks (each becomes one chunk of the chunked encoding):
 * - `lines` (default): one chunk per line, as the real server does;
 * - `whole`: the whole body in one chunk (as far as silences allow);
 * - `fixed`: chunks of `size` bytes (1 = one byte per chunk), across line boundaries;
 * - `random`: chunks of random length between `min` (default 1) and `max` (default 64) bytes,
 *   reproducible with `seed`;
 * - `split`: a boundary in the middle of every `\uXXXX` escape, every multi-byte UTF-8 sequence,
 *   and between every CR and LF, plus at every line end.
 */
export type Chunking =
  | { mode: "lines" }
  | { mode: "whole" }
  | { mode: "fixed"; size: number }
  | { mode: "random"; seed: number; min?: number; max?: number }
  | { mode: "split" };

/**
 * A set of faults. Status faults apply to any endpoint; the other fields shape the `/chat` stream
 * (and `expiredToken` shapes `/auth`). Every field is off by default.
 */
export interface Faults {
  /** Answer with this status instead of the normal response (JSON, plain-text or HTML body as the real stack would). Spec: `status=503`. */
  status?: FaultStatus;
  /** For `status: 429` (and 503): the `Retry-After` header, in seconds or `"date"` for an HTTP-date 2 s ahead. Default `1` for 429. Spec: `retry-after=5`, `retry-after=date`. */
  retryAfter?: number | "date";
  /** `/auth` hands out tokens that have already expired. Spec: `expired-token`. */
  expiredToken?: boolean;
  /** Chunking policy of the `/chat` body. Spec: `chunk=lines|whole|split|<N>|random[:<seed>]`. */
  chunking?: Chunking;
  /** End lines with CRLF instead of LF. Spec: `crlf`. */
  crlf?: boolean;
  /** End lines with CRLF and put a chunk boundary between each CR and LF. Spec: `split-crlf`. */
  splitCrlf?: boolean;
  /** Write non-ASCII characters as raw UTF-8 instead of `\uXXXX` escapes. Spec: `utf8`. */
  rawUtf8?: boolean;
  /** Insert an empty line and a whitespace-only line after every line, the last one included. Spec: `blank-lines`. */
  blankLines?: boolean;
  /** Omit the line ending after the last line. Spec: `no-final-newline`. */
  noFinalNewline?: boolean;
  /** Insert a line that is not valid JSON (a truncated object and a stray word). Spec: `malformed`. */
  malformedLines?: boolean;
  /** Insert valid JSON lines that are not objects (`[1, 2]`, `"text"`, `42`, `null`). Spec: `non-object`. */
  nonObjectLines?: boolean;
  /** Insert an event that contains a `NaN` and an `Infinity` literal. Spec: `nan`. */
  nanLines?: boolean;
  /** Insert a control frame without `action`/`observation`: `{"message": "..."}`. Spec: `control`. */
  controlFrames?: boolean;
  /** End the turn with `{"error": true, "message": "..."}` instead of the agent's last events. Spec: `error-frame`. */
  errorFrame?: boolean;
  /** Insert a browse observation whose base64 screenshot makes its line about this many bytes. Spec: `long-line=4MiB` (`long-line` alone: 3 MiB). */
  longLineBytes?: number;
  /** Pause this many ms before each event after the first. Spec: `silence=<ms>`. */
  silenceMs?: number;
  /** Delay the whole response (status line included) by this many ms. Spec: `slow-first-byte=<ms>`. */
  firstByteDelayMs?: number;
  /** Send the headers, then wait this many ms before the first body byte. Spec: `slow-body=<ms>`. */
  bodyDelayMs?: number;
  /** Write this many complete lines (default: half of them), then half of the next line, then destroy the socket. Spec: `cut-mid-line[=<lines>]`. */
  cutMidLine?: boolean | number;
  /** Send the whole body but close the connection without the terminating zero-length chunk. Spec: `missing-final-chunk`. */
  missingFinalChunk?: boolean;
  /** Add observations and `agent_state_changed` events (not a fault, but selectable the same way). Spec: `verbose`. */
  verbose?: boolean;
  /**
   * Script shape, set on the prompt that starts a task: the agent asks this many more questions before it
   * works, one per reply (each reply to a question gets another question), so clients that continue more
   * than once can be exercised. Spec: `ask-again[=<n>]` (default 1).
   */
  askAgain?: number;
  /**
   * Script shape: a turn that ends on a question goes on with a text message (`wait_for_response: false`)
   * after it in the same stream, as the reference client sees when it continues as soon as it reads the
   * question. Spec: `text-after-ask`.
   */
  textAfterAsk?: boolean;
  /**
   * Script shape, set on the prompt that starts a task: the agent also writes these workspace paths, as
   * given (relative, absolute, with `..`), in order, before its closing message; a path given again is
   * rewritten with a changed content (for diffs). For clients that save or show the agent's files. Spec:
   * `write=<path>` (repeatable in one spec; a path cannot hold spaces, `,`, `;` or `]`).
   */
  writes?: readonly string[];
  /**
   * Script shape: the question that starts the task comes after a Markdown message (heading, list,
   * emphasis, link, inline code, a code block and a long paragraph), for clients that render Markdown.
   * Spec: `markdown`.
   */
  markdown?: boolean;
}

/** A fault set with a scope: which endpoints it applies to and how many times. */
export interface FaultRule extends Faults {
  /** Endpoints this rule applies to. Default: every endpoint for `status`, `auth` for `expiredToken`, `chat` otherwise. Spec: `endpoint=chat` (repeatable: `endpoint=auth+chat`). */
  endpoint?: EndpointName | readonly EndpointName[];
  /**
   * How many matching requests the rule fires on; afterwards it is spent. Default: unlimited.
   * For a header or prompt directive, the count is kept per distinct spec text, so the same spec
   * repeated by a retrying client fails `count` times and then succeeds (add `tag=<anything>` to make
   * a spec distinct). Spec: `count=2`.
   */
  count?: number;
}

/** Options of {@link startEmulator}. */
export interface EmulatorOptions {
  /** Interface to bind. Default `"127.0.0.1"`. */
  host?: string;
  /** Port to bind; `0` picks a free one. Default `0`. */
  port?: number;
  /** Lifetime of tokens minted by `/auth`, in seconds. Default 365 days (`31_536_000`). */
  tokenLifetimeSeconds?: number;
  /** HS256 signing secret. Default: random per instance. */
  secret?: string | Uint8Array;
  /** Verbose streams (observations, `agent_state_changed`) by default. Default `false` (compact, actions only). */
  verbose?: boolean;
  /** Pause between events of every stream, in ms, to imitate a working agent. Default `0`. */
  latencyMs?: number;
  /** Faults active on this instance: rules, a spec string, or both in an array. Default none. */
  faults?: FaultRule | string | readonly (FaultRule | string)[];
  /** `content-type` of the `/chat` stream. Default `"application/x-ndjson"`. */
  chatContentType?: string;
  /** Size in bytes of the screenshot line of `longLineBytes` when the spec gives none. Default 3 MiB. */
  defaultLongLineBytes?: number;
  /** Keep at most this many {@link ChatRecord}s (oldest dropped first). Default `1000`. */
  maxChatRecords?: number;
  /**
   * The admin API under `/__emulator/` (stats, chat records, reset, faults, sessions, tokens, settings over
   * HTTP, for tests in any language): `true` turns it on, an {@link AdminOptions} object turns it on with
   * options. Default `false` (`robocoders emulate` turns it on when it listens on loopback).
   */
  admin?: boolean | AdminOptions;
  /** Called once per request when its response is over (the `emulate --log` line). Default: none. */
  onRequest?: (entry: RequestLogEntry) => void;
  /**
   * Answer `/chat` from recorded exchanges instead of the agents' scripts: a transcript file, a folder of
   * them (`*.jsonl`, name order), or the exchanges themselves. A request takes the first unused exchange
   * recorded with the same prompt, else the next unused one; its status and body are sent byte for byte
   * (a body recorded as broken off ends with a cut connection). The usual checks (JSON, token, fields,
   * session) still come first; with nothing left to replay, `/chat` answers 500. {@link Emulator.reset}
   * makes every exchange available again. Default: none (the scripts answer).
   */
  replay?: string | readonly ChatExchange[];
}

/** Options of the admin API ({@link EmulatorOptions.admin}). */
export interface AdminOptions {
  /**
   * A secret every admin request must carry, as `Authorization: Bearer <token>` or
   * `x-emulator-admin-token: <token>`. Default: none (on loopback, the `Host` and `Origin` checks still apply).
   */
  token?: string;
}

/** One request as the emulator answered it ({@link EmulatorOptions.onRequest}). */
export interface RequestLogEntry {
  /** The request method. */
  method: string;
  /** The path, without the query string. */
  path: string;
  /** The response status; `0` when the connection ended before one was sent. */
  status: number;
  /** Names of the faults applied (as in {@link EmulatorStats.faultsInjected}); empty for none. */
  faults: string[];
  /** From the request's arrival to the end of its response, in ms. */
  durationMs: number;
  /** Whether it was a request to the admin API. */
  admin: boolean;
  /** For a `/chat` stream: how it ended. */
  outcome?: ChatOutcome;
}

/** How a `/chat` response ended. */
export type ChatOutcome =
  | "streaming"
  | "completed"
  | "aborted-by-client"
  | "cut-mid-line"
  | "missing-final-chunk";

/** One line of a `/chat` response, as written. */
export interface SentLine {
  /** The line without its line ending, as written (may be invalid JSON when injected by a fault). */
  line: string;
  /** What the line is: a real event, or something injected by a fault. */
  kind: "event" | "blank" | "malformed" | "non-object" | "nan-event" | "control" | "error-frame";
  /** The event object (for `event`, `nan-event`, `control`, `error-frame`). */
  value?: Record<string, unknown>;
  /** What the reference client yields for the line: `args.content` if non-empty, else `message`; `""` for nothing. */
  text: string;
}

/** A record of one `/chat` response. */
export interface ChatRecord {
  /** Sequence number of the request on this instance, from 1. */
  seq: number;
  sid: string;
  agent: AgentName;
  /** The prompt as received. */
  prompt: string;
  /** The prompt with fault directives removed, as the agent saw it. */
  cleanPrompt: string;
  /** The faults applied to this response (merged). */
  faults: Faults;
  /** Lines fully handed to the socket, in order. */
  lines: SentLine[];
  /** The texts of the real events, in order: what a faithful client delivers. */
  texts: string[];
  outcome: ChatOutcome;
  /** Whether the response was completely sent (`outcome === "completed"`). */
  completed: boolean;
}

/** Per-instance counters; {@link Emulator.reset} zeroes them. */
export interface EmulatorStats {
  /** Every request. */
  totalRequests: number;
  /** Requests per endpoint (`"other"` for unknown paths). */
  requests: Record<EndpointName | "other", number>;
  /** Responses per endpoint and status. */
  statuses: Record<EndpointName | "other", Record<number, number>>;
  /** Tokens minted by `/auth` (and {@link Emulator.mintToken}). */
  tokensIssued: number;
  /** Sessions created. */
  sessionsCreated: number;
  /** `/chat` streams (200 responses) started, completed, aborted by the client, or cut by a fault. */
  chatStreams: { started: number; completed: number; aborted: number; cut: number };
  /** Faults injected, by name (`status:503`, `cut-mid-line`, `chunk:fixed`, ...). */
  faultsInjected: Record<string, number>;
}

/** Options of {@link Emulator.mintToken}. */
export interface MintTokenOptions {
  /** Seconds until `exp`; negative for an expired token. Default: the instance's token lifetime. */
  expiresInSeconds?: number;
  /** The `sub` claim. Default: a fresh UUID. */
  sub?: string;
  /** Sign with another secret (an invalid token for this instance). */
  secret?: string | Uint8Array;
}

/** A running emulator. */
export interface Emulator {
  /** Base URL, e.g. `http://127.0.0.1:40123` (no trailing slash). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Live counters (the same object is updated in place). */
  readonly stats: EmulatorStats;
  /** Records of `/chat` responses, oldest first. */
  readonly chats: readonly ChatRecord[];
  /** Mints a token signed by this instance. */
  mintToken(options?: MintTokenOptions): Promise<string>;
  /** Replaces the instance's fault rules (`undefined` or `[]` clears them). */
  setFaults(faults: EmulatorOptions["faults"]): void;
  /** Adds one fault rule to the instance. */
  addFault(fault: FaultRule | string): void;
  /** Removes every instance fault rule. */
  clearFaults(): void;
  /** Turns verbose streams on or off for the instance. */
  setVerbose(verbose: boolean): void;
  /** Sets the pause between events of every stream, in ms (`0`: none). */
  setLatency(latencyMs: number): void;
  /** Invalidates every token issued so far (the instance signs with a new random key from now on). */
  revokeTokens(): void;
  /** The admin API's base URL (`<url>/__emulator`), or `undefined` when it is off. */
  readonly adminUrl: string | undefined;
  /** Creates a session as `/create-session` would and returns its sid. */
  createSession(): string;
  /** Whether the sid is a live session. */
  hasSession(sid: string): boolean;
  /** Forgets a session (the next `/chat` on it gets 404). Returns whether it existed. */
  forgetSession(sid: string): boolean;
  /**
   * Zeroes counters, drops chat records and the per-spec fault counts, and makes every replayed exchange
   * available again. Sessions are kept.
   */
  reset(): void;
  /** Stops listening and destroys every open connection. Idempotent. */
  close(): Promise<void>;
}
