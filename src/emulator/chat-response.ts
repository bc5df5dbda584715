/**
 * Writing a `/chat` stream: the planned lines and chunks go to the socket with their pauses, and the
 * {@link ChatRecord} grows with every line fully handed over, so a test sees exactly what was sent even
 * when the client hangs up or a fault cuts the stream.
 */
import type { ServerResponse } from "node:http";
import type { RequestTrace } from "./request-log.js";
import { playTurn } from "./scripts.js";
import type { EmulatorState, Session } from "./state.js";
import { type BodyPlan, numberSteps, type PlannedLine, planBody, planLines } from "./stream.js";
import type { AgentName, ChatOutcome, ChatRecord, Faults, SentLine } from "./types.js";

/** The lines and the body plan of one turn. */
export interface PlannedChat {
  lines: PlannedLine[];
  plan: BodyPlan;
  /** `content-type` of the response. Default: the instance's `chatContentType`. */
  contentType?: string | undefined;
}

/** Plays one scripted turn of `session` and plans its body (advances the session's task and clock). */
export function planScriptedChat(
  session: Session,
  agent: AgentName,
  prompt: string,
  faults: Faults,
  verbose: boolean,
  latencyMs: number,
): PlannedChat {
  const nowMicros = Date.now() * 1000;
  const steps = playTurn(session.task, agent, prompt, {
    ...(faults.askAgain === undefined ? {} : { askAgain: faults.askAgain }),
    ...(faults.textAfterAsk === undefined ? {} : { textAfterAsk: faults.textAfterAsk }),
    ...(faults.writes === undefined ? {} : { writes: faults.writes }),
    ...(faults.markdown === undefined ? {} : { markdown: faults.markdown }),
  });
  const events = numberSteps(steps, session.sid, session.clock, verbose, nowMicros);
  const lines = planLines(events, faults, { sid: session.sid, clock: session.clock, nowMicros });
  return { lines, plan: planBody(lines, faults, latencyMs) };
}

/** What is known of a `/chat` request before its stream starts. */
export interface ChatRequestInfo {
  sid: string;
  agent: AgentName;
  /** The prompt as received. */
  prompt: string;
  /** The prompt without fault directives. */
  cleanPrompt: string;
  faults: Faults;
}

/** Resolves after `ms`, or early when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Whether a sent line carries text a faithful client delivers. */
function carriesText(line: SentLine): boolean {
  return line.kind !== "blank" && line.kind !== "malformed" && line.kind !== "non-object" && line.text !== "";
}

/**
 * Streams a planned `/chat` body on `res` (status 200, chunked) and records it in `state`. Resolves when
 * the body is written, cut by a fault, or the client went away; `lifetime` aborting (the emulator
 * closing) stops it early.
 */
export async function writeChatStream(
  res: ServerResponse,
  state: EmulatorState,
  lifetime: AbortSignal,
  request: ChatRequestInfo,
  chat: PlannedChat,
  trace?: RequestTrace,
): Promise<void> {
  const { lines, plan } = chat;
  const { faults } = request;
  const record: ChatRecord = {
    seq: state.nextChatSeq(),
    ...request,
    lines: [],
    texts: [],
    outcome: "streaming",
    completed: false,
  };
  state.addChat(record);
  if (trace !== undefined) trace.chat = record;

  const closed = new AbortController();
  let finished = false;
  const onAbort = (): void => closed.abort();
  lifetime.addEventListener("abort", onAbort, { once: true });
  const settle = (outcome: ChatOutcome): void => {
    if (finished) return;
    finished = true;
    record.outcome = outcome;
    record.completed = outcome === "completed";
    const counters = state.stats.chatStreams;
    if (outcome === "completed") counters.completed += 1;
    else if (outcome === "aborted-by-client") counters.aborted += 1;
    else counters.cut += 1;
  };
  res.on("close", () => {
    closed.abort();
    settle(res.writableFinished ? "completed" : "aborted-by-client");
  });

  state.countStatus("chat", 200);
  res.writeHead(200, {
    server: "uvicorn",
    "content-type": chat.contentType ?? state.chatContentType,
    "cache-control": "no-cache",
    "x-accel-buffering": "no",
  });
  res.flushHeaders();

  const addLines = (upTo: number): void => {
    while (record.lines.length < upTo) {
      const line = lines[record.lines.length] as SentLine;
      record.lines.push(line);
      if (carriesText(line)) record.texts.push(line.text);
    }
  };
  const write = (bytes: Buffer): Promise<boolean> =>
    new Promise((resolve) => {
      if (closed.signal.aborted) {
        resolve(false);
        return;
      }
      const onClose = (): void => resolve(false);
      closed.signal.addEventListener("abort", onClose, { once: true });
      res.write(bytes, (error) => {
        closed.signal.removeEventListener("abort", onClose);
        resolve(error == null);
      });
    });

  try {
    for (const chunk of plan.chunks) {
      await sleep(chunk.delayMs, closed.signal);
      if (closed.signal.aborted) return;
      if (!(await write(chunk.bytes))) return;
      addLines(chunk.linesDone);
    }
    if (finished) return;
    if (plan.cut) {
      settle("cut-mid-line");
      res.socket?.destroy();
    } else if (faults.missingFinalChunk) {
      settle("missing-final-chunk");
      res.socket?.end();
    } else {
      await new Promise<void>((resolve) => res.end(resolve));
      settle("completed");
    }
  } finally {
    lifetime.removeEventListener("abort", onAbort);
  }
}
