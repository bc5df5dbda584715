/**
 * The web workspace's engine: creates conversations, runs their turns on the server (independent of any
 * viewer), records every event in the conversation's timeline and tells live viewers.
 */
import { randomUUID } from "node:crypto";
import { resolveAgent } from "../../client/agents.js";
import { AGENTS, type AgentName, type RobocodersClient, type SessionCode } from "../../client/types.js";
import { needsUserInput } from "../../core/events.js";
import type { Logger } from "../../core/logger.js";
import { GatewayError } from "../openai-error.js";
import { type ConversationPatch, type ConversationStore, MemoryConversationStore } from "./store.js";
import type { Conversation, NewEntry, TimelineEntry, TurnError, TurnOutcome } from "./timeline.js";
import { turnError } from "./turn-error.js";

/** Default {@link WorkspaceOptions.maxAutoContinues}. */
export const DEFAULT_MAX_AUTO_CONTINUES = 1;
/** The prompt of an automatic continue (what the reference client sends). */
export const CONTINUE_PROMPT = "continue";
/** Longest accepted prompt, in characters. */
export const MAX_PROMPT_CHARS = 100_000;
/** Longest accepted title, in characters. */
export const MAX_TITLE_CHARS = 200;

/** Options of the web workspace (`GatewayOptions.workspace`). */
export interface WorkspaceOptions {
  /** Where conversations are kept. Default: a {@link MemoryConversationStore} with its default bounds. */
  store?: ConversationStore;
  /**
   * How many automatic `continue` prompts one turn may send when the agent asks a question and the
   * conversation's auto-continue switch is on. Default: 1 (as the reference client).
   */
  maxAutoContinues?: number;
  /** Whether new conversations continue automatically (each conversation has its switch). Default: true. */
  autoContinue?: boolean;
  /**
   * Retries of a failed `/chat` request before the turn fails (the page shows the error, with the wait a
   * rate limit asks for, and a retry button). Default: 0.
   */
  maxRetries?: number;
  /** Folder of the built page (`index.html` and `assets/`). Default: the package's `dist/web`. */
  pageDir?: string;
}

/** Receives the entries of a conversation as they are recorded. */
export type EntryListener = (entry: TimelineEntry) => void;

interface RunningTurn {
  controller: AbortController;
  done: Promise<void>;
}

function now(): string {
  return new Date().toISOString();
}

/** A prompt's first line, shortened: the default title of a conversation. */
export function titleOf(prompt: string, max = 80): string {
  const flat = prompt.replace(/\s+/g, " ").trim();
  if (flat === "") return "New conversation";
  const chars = Array.from(flat);
  return chars.length <= max ? flat : `${chars.slice(0, max - 1).join("")}…`;
}

function notFound(id: string): GatewayError {
  return new GatewayError(404, `No conversation ${JSON.stringify(id)}`, {
    type: "not_found_error",
    code: "conversation_not_found",
  });
}

/** The agent name for `value`, or a 400. */
export function agentOf(value: string): AgentName {
  try {
    return resolveAgent(value);
  } catch {
    throw new GatewayError(400, `Unknown agent ${JSON.stringify(value)}; use one of ${AGENTS.join(", ")}`, {
      type: "invalid_request_error",
      param: "agent",
      code: "invalid_agent",
    });
  }
}

/** Conversations and their turns. One instance per gateway. */
export class WorkspaceService {
  /** The store conversations are kept in. */
  readonly store: ConversationStore;
  private readonly client: RobocodersClient;
  private readonly maxAutoContinues: number;
  private readonly autoContinueDefault: boolean;
  private readonly maxRetries: number;
  private readonly logger: Logger | undefined;
  private readonly listeners = new Map<string, Set<EntryListener>>();
  private readonly running = new Map<string, RunningTurn>();

  constructor(client: RobocodersClient, options: WorkspaceOptions = {}, logger?: Logger) {
    this.client = client;
    this.store = options.store ?? new MemoryConversationStore();
    this.maxAutoContinues = Math.max(0, options.maxAutoContinues ?? DEFAULT_MAX_AUTO_CONTINUES);
    this.autoContinueDefault = options.autoContinue ?? true;
    this.maxRetries = Math.max(0, options.maxRetries ?? 0);
    this.logger = logger;
  }

  /** The conversation, or a 404 {@link GatewayError}. */
  async get(id: string): Promise<Conversation> {
    const conversation = await this.store.get(id);
    if (conversation === undefined) throw notFound(id);
    return conversation;
  }

  /** Creates a conversation (no turn runs yet). */
  async create(
    input: { agent?: string; title?: string; autoContinue?: boolean } = {},
  ): Promise<Conversation> {
    const time = now();
    const conversation: Conversation = {
      id: randomUUID(),
      title: input.title === undefined ? "New conversation" : checkTitle(input.title),
      agent: input.agent === undefined ? AGENTS[0] : agentOf(input.agent),
      autoContinue: input.autoContinue ?? this.autoContinueDefault,
      status: "new",
      createdAt: time,
      updatedAt: time,
      lastSeq: 0,
      turns: 0,
    };
    await this.store.create(conversation);
    return conversation;
  }

  /** Renames a conversation, switches its agent or its auto-continue. */
  async update(
    id: string,
    patch: { title?: string; agent?: string; autoContinue?: boolean },
  ): Promise<Conversation> {
    const change: ConversationPatch = { updatedAt: now() };
    if (patch.title !== undefined) change.title = checkTitle(patch.title);
    if (patch.agent !== undefined) change.agent = agentOf(patch.agent);
    if (patch.autoContinue !== undefined) change.autoContinue = patch.autoContinue;
    const updated = await this.store.update(id, change);
    if (updated === undefined) throw notFound(id);
    return updated;
  }

  /** Deletes a conversation, stopping its turn first. */
  async delete(id: string): Promise<void> {
    const turn = this.running.get(id);
    if (turn !== undefined) {
      turn.controller.abort(new Error("The conversation was deleted"));
      await turn.done;
    }
    if (!(await this.store.delete(id))) throw notFound(id);
  }

  /** Whether a turn of the conversation is running. */
  isRunning(id: string): boolean {
    return this.running.has(id);
  }

  /** Calls `listener` with every entry recorded from now on; returns the function that stops it. */
  subscribe(id: string, listener: EntryListener): () => void {
    let set = this.listeners.get(id);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(id, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(id) === set) this.listeners.delete(id);
    };
  }

  /**
   * Starts a turn: sends `prompt` (or, with `retry`, the last turn's prompt again) to the conversation's
   * session and records what comes back. Resolves once the turn runs; the turn goes on without viewers.
   * @throws GatewayError 404 (no conversation), 409 (a turn is running, or nothing to retry), 400 (bad prompt).
   */
  async startTurn(id: string, input: { prompt?: string; retry?: boolean }): Promise<Conversation> {
    if (this.running.has(id)) throw busy();
    const controller = new AbortController();
    let release!: () => void;
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.running.set(id, { controller, done });
    try {
      const conversation = await this.get(id);
      let prompt: string;
      if (input.retry === true) {
        if (conversation.lastPrompt === undefined) {
          throw new GatewayError(409, "There is no turn to retry", {
            type: "invalid_request_error",
            code: "nothing_to_retry",
          });
        }
        prompt = conversation.lastPrompt;
      } else {
        prompt = checkPrompt(input.prompt);
      }
      const turn = conversation.turns + 1;
      const patch: ConversationPatch = {
        status: "running",
        turns: turn,
        lastPrompt: prompt,
        updatedAt: now(),
      };
      if (conversation.turns === 0 && conversation.title === "New conversation")
        patch.title = titleOf(prompt);
      const started = (await this.store.update(id, patch)) ?? conversation;
      void this.run(started, turn, prompt, controller)
        .catch((error: unknown) => {
          // Recording the turn's end failed too (e.g. a shared store that is away): logged, never unhandled.
          this.logger?.error("workspace turn could not be recorded", {
            error: error instanceof Error ? error.message : String(error),
          });
        })
        .finally(() => {
          this.running.delete(id);
          release();
        });
      return started;
    } catch (error) {
      this.running.delete(id);
      release();
      throw error;
    }
  }

  /** Stops the running turn at once (its upstream request is aborted); `false` when none runs. */
  stop(id: string): boolean {
    const turn = this.running.get(id);
    if (turn === undefined) return false;
    turn.controller.abort(new Error("Stopped by the user"));
    return true;
  }

  /** Waits until the conversation's running turn (if any) has ended. */
  async settled(id: string): Promise<void> {
    await this.running.get(id)?.done;
  }

  /** Asks the service to add a GitHub user as collaborator on the repository of the session's code. */
  async sessionCode(id: string, githubUsername: string, signal?: AbortSignal): Promise<SessionCode> {
    const user = githubUsername.trim();
    if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/.test(user)) {
      throw new GatewayError(400, "githubUsername must be a GitHub user name (letters, digits, '-')", {
        type: "invalid_request_error",
        param: "githubUsername",
        code: "invalid_github_username",
      });
    }
    const conversation = await this.get(id);
    if (conversation.sid === undefined) {
      throw new GatewayError(409, "The conversation has no session yet: send a prompt first", {
        type: "invalid_request_error",
        code: "no_session",
      });
    }
    return this.client.getSessionCode(
      user,
      signal === undefined ? { sid: conversation.sid } : { sid: conversation.sid, signal },
    );
  }

  /** Stops every running turn and waits for them to end. */
  async close(): Promise<void> {
    const turns = [...this.running.values()];
    for (const turn of turns) turn.controller.abort(new Error("The gateway is shutting down"));
    await Promise.all(turns.map((turn) => turn.done));
  }

  private async record(id: string, entry: NewEntry): Promise<TimelineEntry | undefined> {
    const recorded = await this.store.append(id, entry);
    if (recorded === undefined) return undefined;
    const listeners = this.listeners.get(id);
    if (listeners !== undefined) {
      for (const listener of [...listeners]) {
        try {
          listener(recorded);
        } catch (error) {
          this.logger?.warn("workspace listener failed", {
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
    }
    return recorded;
  }

  private async run(
    conversation: Conversation,
    turn: number,
    firstPrompt: string,
    controller: AbortController,
  ): Promise<void> {
    const { id } = conversation;
    const { signal } = controller;
    let sid = conversation.sid;
    let prompt = firstPrompt;
    let auto = false;
    let continues = 0;
    let outcome: TurnOutcome = "finished";
    let error: TurnError | undefined;
    try {
      for (;;) {
        const current = await this.store.get(id);
        if (current === undefined) return;
        const agent = current.agent;
        if ((await this.record(id, { type: "prompt", time: now(), turn, prompt, auto, agent })) === undefined)
          return;
        const stream = this.client.chat(prompt, {
          agent,
          signal,
          persistSession: false,
          maxContinues: 0,
          maxRetries: this.maxRetries,
          ...(sid === undefined ? { newSession: true } : { sid }),
        });
        let waiting = false;
        try {
          for await (const event of stream) {
            if (stream.sid !== undefined && stream.sid !== sid) {
              sid = stream.sid;
              await this.store.update(id, { sid });
            }
            if (event.kind === "action" && event.source !== "user") waiting = needsUserInput(event);
            if ((await this.record(id, { type: "event", time: now(), turn, event })) === undefined) {
              controller.abort(new Error("The conversation was deleted"));
              return;
            }
          }
        } finally {
          if (stream.sid !== undefined && stream.sid !== sid) {
            sid = stream.sid;
            await this.store.update(id, { sid });
          }
        }
        const latest = await this.store.get(id);
        if (waiting && latest?.autoContinue === true && continues < this.maxAutoContinues) {
          continues += 1;
          prompt = CONTINUE_PROMPT;
          auto = true;
          continue;
        }
        outcome = waiting ? "waiting" : "finished";
        break;
      }
    } catch (failure) {
      if (signal.aborted) outcome = "stopped";
      else {
        outcome = "failed";
        error = turnError(failure);
        if (error.code === "internal_error") {
          this.logger?.error("workspace turn failed", {
            error: failure instanceof Error ? failure.message : String(failure),
          });
        }
      }
    }
    const end: NewEntry = { type: "turn-end", time: now(), turn, outcome };
    if (sid !== undefined) end.sid = sid;
    if (error !== undefined) end.error = error;
    await this.store.update(id, { status: outcome });
    await this.record(id, end);
  }
}

function busy(): GatewayError {
  return new GatewayError(409, "A turn is already running in this conversation; stop it or wait", {
    type: "invalid_request_error",
    code: "turn_running",
  });
}

function checkPrompt(prompt: unknown): string {
  if (typeof prompt !== "string" || prompt.trim() === "") {
    throw new GatewayError(400, "prompt must be a non-empty string", {
      type: "invalid_request_error",
      param: "prompt",
      code: "invalid_prompt",
    });
  }
  if (prompt.length > MAX_PROMPT_CHARS) {
    throw new GatewayError(400, `prompt is longer than ${MAX_PROMPT_CHARS} characters`, {
      type: "invalid_request_error",
      param: "prompt",
      code: "invalid_prompt",
    });
  }
  return prompt;
}

function checkTitle(title: string): string {
  const trimmed = title.replace(/\s+/g, " ").trim();
  if (trimmed === "" || trimmed.length > MAX_TITLE_CHARS) {
    throw new GatewayError(400, `title must be 1-${MAX_TITLE_CHARS} characters`, {
      type: "invalid_request_error",
      param: "title",
      code: "invalid_title",
    });
  }
  return trimmed;
}
