/**
 * One `run_task` or `answer_agent` call: streams the agent's events, records them in the session
 * registry, reports a progress line per action, and sums the call up for the model.
 */
import type { AgentName, RobocodersClient } from "../client/types.js";
import { needsUserInput, type RobocodersEvent } from "../core/events.js";
import type { TrackedCommand, TrackedFile } from "../workspace/index.js";
import { progressMessage } from "./progress.js";
import { fileUri, timelineUri } from "./resources.js";
import type { TaskResult } from "./schemas.js";
import type { SessionRecord, SessionRegistry } from "./sessions.js";

/** What a task call needs. */
export interface TaskRequest {
  prompt: string;
  agent: AgentName;
  /** Continue this session; `undefined` starts a new one. */
  session: string | undefined;
  /** Automatic `continue` prompts after a question (0 disables). */
  maxContinues: number;
  /** Aborts the upstream request at once. */
  signal: AbortSignal;
  /** Called with a short line per agent action; the next event waits for the returned promise. */
  onProgress?: (message: string) => Promise<void>;
}

/** The outcome of a task call: the answer, the structured summary, or a failure with what arrived before it. */
export interface TaskOutcome {
  /** The agent's final answer: its messages of the last turn, joined by blank lines. */
  answer: string;
  /** The structured summary; `undefined` when the call failed before a session was known. */
  result: TaskResult | undefined;
  /** The error that ended the call early, if any. */
  error?: unknown;
}

/** Collects what the model needs from the events of one call. */
class CallSummary {
  private turn = 0;
  private messages: string[] = [];
  private lastAction: RobocodersEvent | undefined;
  private waiting = false;
  private verdict: "finished" | "rejected" | undefined;
  private errorText: string | undefined;

  add(event: RobocodersEvent, turn: number): void {
    if (turn !== this.turn) {
      this.turn = turn;
      this.messages = [];
      this.waiting = false;
      this.verdict = undefined;
    }
    if (event.kind === "control") {
      if (event.error) this.errorText = event.message;
      return;
    }
    if (event.kind === "observation") {
      if (event.observation === "agent_state_changed" && event.extras.agent_state === "awaiting_user_input") {
        this.waiting = this.verdict === undefined;
      }
      return;
    }
    if (event.source === "user") return;
    if (event.kind === "unknown_action") {
      this.lastAction = event;
      return;
    }
    if (event.kind !== "action") return;
    this.lastAction = event;
    if (event.action === "message") {
      const text = event.args.content !== "" ? event.args.content : event.message;
      if (text !== "") this.messages.push(text);
      if (needsUserInput(event)) this.waiting = true;
    } else if (event.action === "finish" || event.action === "reject") {
      this.verdict = event.action === "finish" ? "finished" : "rejected";
      this.waiting = false;
    }
  }

  status(): TaskResult["status"] {
    if (this.verdict !== undefined) return this.verdict;
    return this.waiting ? "waiting_for_answer" : "ended";
  }

  answer(): string {
    if (this.messages.length > 0) return this.messages.join("\n\n");
    const last = this.lastAction;
    if (last?.kind === "action" && (last.action === "finish" || last.action === "reject")) {
      const thought = typeof last.args.thought === "string" ? last.args.thought : "";
      if (thought !== "") return thought;
    }
    if (this.errorText !== undefined && this.errorText !== "") return this.errorText;
    return last?.message ?? "";
  }
}

/** The commands and files one call touched, in order, each once (their state is read at the end). */
class CallWork {
  private readonly commands = new Set<TrackedCommand>();
  private readonly files = new Map<TrackedFile, "write" | "edit">();

  add(update: ReturnType<SessionRegistry["append"]>): void {
    if (update?.type === "command") this.commands.add(update.command);
    else if (update?.type === "file") {
      // Insertion order is that of the first change; a file written whole at any point counts as written.
      const before = this.files.get(update.file);
      this.files.set(update.file, before === "write" || update.version.kind === "write" ? "write" : "edit");
    }
  }

  summary(sid: string): Pick<TaskResult, "commands" | "files"> {
    return {
      commands: [...this.commands].map((c) => ({
        command: c.command,
        language: c.kind === "run" ? ("shell" as const) : ("python" as const),
        exit_code: c.exitCode ?? null,
        background: c.background,
      })),
      files: [...this.files].map(([file, operation]) => ({
        path: file.path,
        operation,
        bytes: file.size ?? null,
        uri: file.content === undefined ? null : fileUri(sid, file.path),
      })),
    };
  }
}

/** Runs one task call. Errors are returned with what arrived before them, never thrown. */
export async function runTask(
  client: RobocodersClient,
  registry: SessionRegistry,
  request: TaskRequest,
): Promise<TaskOutcome> {
  const summary = new CallSummary();
  const work = new CallWork();
  let record: SessionRecord | undefined;
  let sid = request.session;
  let turns = 0;
  const build = (): TaskResult | undefined => {
    if (sid === undefined) return undefined;
    const status = summary.status();
    return {
      session: sid,
      agent: request.agent,
      status,
      waiting_for_answer: status === "waiting_for_answer",
      auto_continued: Math.max(0, turns - 1),
      ...work.summary(sid),
      timeline_uri: timelineUri(sid),
    };
  };
  try {
    const stream = client.chat(request.prompt, {
      agent: request.agent,
      signal: request.signal,
      maxContinues: request.maxContinues,
      persistSession: false,
      ...(request.session === undefined ? { newSession: true } : { sid: request.session }),
    });
    for await (const event of stream) {
      turns = stream.turns;
      if (record === undefined || record.sid !== stream.sid) {
        sid = stream.sid ?? sid;
        if (sid !== undefined) record = registry.use(sid, request.agent);
      }
      if (record !== undefined) work.add(registry.append(record, event));
      summary.add(event, turns);
      const line = progressMessage(event);
      if (line !== undefined) await request.onProgress?.(line);
    }
    turns = stream.turns;
    sid = stream.sid ?? sid;
    if (record === undefined && sid !== undefined) registry.use(sid, request.agent);
    return { answer: summary.answer(), result: build() };
  } catch (error) {
    return { answer: summary.answer(), result: build(), error };
  }
}
