/**
 * Replay of recorded `/chat` exchanges (`startEmulator({ replay })`, `robocoders emulate --replay`): each
 * `/chat` request that passes the usual checks (JSON, token, fields, session) is answered with a recorded
 * response, byte for byte: the exchange recorded with the same prompt (directives aside) that has not been
 * used yet, else the next unused one in recording order.
 */
import { referenceText } from "../core/events.js";
import { parsePythonJson } from "../core/python-json.js";
import { type ChatExchange, exchangeBody } from "../core/transcript.js";
import type { PlannedChat } from "./chat-response.js";
import { extractDirectives } from "./faults.js";
import { type BodyChunk, chunkBoundaries, type PlannedLine } from "./stream.js";
import type { Faults } from "./types.js";

/** The recorded exchanges of an instance and which have been answered. */
export class ReplayBook {
  readonly #exchanges: readonly ChatExchange[];
  readonly #used: boolean[];

  constructor(exchanges: readonly ChatExchange[]) {
    this.#exchanges = exchanges;
    this.#used = exchanges.map(() => false);
  }

  /** How many exchanges there are, and how many are left. */
  counts(): { total: number; remaining: number } {
    return { total: this.#exchanges.length, remaining: this.#used.filter((used) => !used).length };
  }

  /** Takes the exchange for a prompt: the first unused one recorded with it, else the first unused one. */
  take(prompt: string): ChatExchange | undefined {
    const clean = extractDirectives(prompt).prompt;
    let index = this.#exchanges.findIndex(
      (exchange, i) => !this.#used[i] && extractDirectives(exchange.request.json.prompt).prompt === clean,
    );
    if (index === -1) index = this.#used.indexOf(false);
    if (index === -1) return undefined;
    this.#used[index] = true;
    return this.#exchanges[index];
  }

  /** Makes every exchange available again. */
  rewind(): void {
    this.#used.fill(false);
  }
}

/** What a recorded line is, and the text the reference client would take from it. */
export function classifyLine(line: string): PlannedLine {
  if (line.trim() === "") return { line, kind: "blank", text: "" };
  let value: unknown;
  try {
    value = parsePythonJson(line);
  } catch {
    return { line, kind: "malformed", text: "" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return { line, kind: "non-object", text: "" };
  const event = value as Record<string, unknown>;
  const kind =
    "action" in event || "observation" in event ? "event" : event.error === true ? "error-frame" : "control";
  return { line, kind, value: event, text: referenceText(event) ?? "" };
}

/**
 * Plans a recorded 200 body: its bytes unchanged, cut into chunks at line ends (or as `faults.chunking`
 * says), with `faults.silenceMs` (else `latencyMs`) before each line after the first and
 * `faults.bodyDelayMs` before the first byte. A body recorded as incomplete ends with a cut connection.
 */
export function planReplayChat(exchange: ChatExchange, faults: Faults, latencyMs: number): PlannedChat {
  const body = exchangeBody(exchange);
  const complete = exchange.response.complete;
  const text = body.toString("utf8");
  const lineEnds: number[] = [];
  for (let i = body.indexOf(0x0a); i !== -1; i = body.indexOf(0x0a, i + 1)) lineEnds.push(i + 1);
  const pieces = text.split("\n");
  const trailing = pieces.pop() ?? "";
  const lines = pieces.map((piece) => classifyLine(piece.replace(/\r$/, "")));
  const trailingDone = trailing !== "" && complete;
  if (trailingDone) lines.push(classifyLine(trailing.replace(/\r$/, "")));

  const pause = faults.silenceMs ?? latencyMs;
  const starts = new Set(lineEnds);
  const bounds = chunkBoundaries(
    body,
    lineEnds,
    faults.chunking ?? { mode: "lines" },
    faults.splitCrlf === true,
  );
  const chunks: BodyChunk[] = [];
  let start = 0;
  for (const end of [...bounds, body.length]) {
    if (end === start) continue;
    let linesDone = lineEnds.filter((e) => e <= end).length;
    if (end === body.length && trailingDone) linesDone += 1;
    const delayMs = start === 0 ? (faults.bodyDelayMs ?? 0) : starts.has(start) ? pause : 0;
    chunks.push({ bytes: body.subarray(start, end), delayMs, linesDone });
    start = end;
  }
  return {
    lines,
    plan: { chunks, cut: !complete, completeLines: lines.length },
    contentType: exchange.response.headers["content-type"],
  };
}
