/**
 * Turning scripted steps into the bytes of a `/chat` response: numbering and stamping events,
 * serializing them like Python, injecting line-level faults, and cutting the body into chunks.
 * Everything here is pure; the server only writes what these functions plan.
 */
import { referenceText } from "../core/events.js";
import { type PyValue, pyDumps, pyIsoTimestamp } from "../core/python-json.js";
import { browseObservation, type Step } from "./scripts.js";
import type { Chunking, Faults, SentLine } from "./types.js";

/** Per-session numbering state: the next id and the last timestamp (µs since the epoch). */
export interface EventClock {
  nextId: number;
  lastMicros: number;
}

/** A JSON object as produced for the stream (key order matters). */
export type EventObject = { [key: string]: PyValue };

/**
 * Numbers and stamps every step (hidden and verbose-only steps take ids too, which leaves gaps) and
 * returns the events to stream: actions only in compact mode, everything but hidden steps in verbose mode.
 * @param nowMicros the current time in µs since the epoch.
 */
export function numberSteps(
  steps: readonly Step[],
  sid: string,
  clock: EventClock,
  verbose: boolean,
  nowMicros: number,
): EventObject[] {
  const events: EventObject[] = [];
  let lastActionId: number | undefined;
  for (const step of steps) {
    const id = clock.nextId++;
    let micros = Math.max(nowMicros, clock.lastMicros + 1) + ((id * 7919) % 997);
    // Now and then land on a whole second, so timestamps without a fraction occur too.
    if (id % 9 === 0) micros = Math.ceil(micros / 1_000_000) * 1_000_000;
    clock.lastMicros = micros;
    const timestamp = pyIsoTimestamp(micros);
    if (step.kind === "action") {
      lastActionId = id;
      if (step.hidden) continue;
      events.push({
        id,
        timestamp,
        source: step.source,
        message: step.message,
        action: step.action,
        args: step.args,
        sid,
      });
    } else {
      if (!verbose) continue;
      const event: EventObject = { id, timestamp, source: step.source, message: step.message };
      if (step.answers && lastActionId !== undefined) event.cause = lastActionId;
      event.observation = step.observation;
      event.content = step.content;
      event.extras = step.extras;
      event.sid = sid;
      events.push(event);
    }
  }
  return events;
}

/** A line planned for the response, before its line ending. */
export interface PlannedLine extends SentLine {}

function deterministicBase64(length: number): string {
  const bytes = Buffer.alloc(Math.ceil((length * 3) / 4) + 3);
  let x = 0x2545f491;
  for (let i = 0; i < bytes.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes.toString("base64").slice(0, length - (length % 4));
}

function lineOf(value: EventObject, kind: SentLine["kind"], rawUtf8: boolean): PlannedLine {
  const line = pyDumps(value, { ensureAscii: !rawUtf8 });
  return {
    line,
    kind,
    value: value as Record<string, unknown>,
    text: referenceText(value as Record<string, unknown>) ?? "",
  };
}

/** Context for {@link planLines}. */
export interface LineContext {
  sid: string;
  clock: EventClock;
  nowMicros: number;
}

/**
 * Serializes events into lines and applies the line-level faults (long line, NaN event, malformed and
 * non-object lines, control frames, error frame, blank lines). Injected lines go just before the last
 * event, so they sit inside the stream and the turn still ends on its real last event.
 */
export function planLines(
  events: readonly EventObject[],
  faults: Faults,
  context: LineContext,
): PlannedLine[] {
  const rawUtf8 = faults.rawUtf8 === true;
  const lines = events.map((event) => lineOf(event, "event", rawUtf8));
  const stamp = (): { id: number; timestamp: string } => {
    const id = context.clock.nextId++;
    const micros = Math.max(context.nowMicros, context.clock.lastMicros + 1);
    context.clock.lastMicros = micros;
    return { id, timestamp: pyIsoTimestamp(micros) };
  };
  const injected: PlannedLine[] = [];
  if (faults.longLineBytes !== undefined) {
    const url = "http://localhost:3000/";
    const shell = browseObservation(url, "Screenshot of the running app.", "");
    const { id, timestamp } = stamp();
    const base: EventObject = {
      id,
      timestamp,
      source: shell.source,
      message: shell.message,
      observation: shell.observation,
      content: shell.content,
      extras: { ...shell.extras },
      sid: context.sid,
    };
    const overhead = pyDumps(base).length;
    const extras = base.extras as { [key: string]: PyValue };
    extras.screenshot = `data:image/png;base64,${deterministicBase64(Math.max(4, faults.longLineBytes - overhead))}`;
    injected.push(lineOf(base, "event", rawUtf8));
  }
  if (faults.nanLines) {
    const { id, timestamp } = stamp();
    const code = "import math\nprint(math.nan, math.inf)";
    injected.push(
      lineOf(
        {
          id,
          timestamp,
          source: "agent",
          message: `Running Python code interactively: ${code}`,
          action: "run_ipython",
          args: {
            code,
            thought: "Checking the edge cases:",
            kernel_init_code: "",
            score: Number.NaN,
            budget: Number.POSITIVE_INFINITY,
          },
          sid: context.sid,
        },
        "nan-event",
        rawUtf8,
      ),
    );
  }
  if (faults.malformedLines) {
    const { id, timestamp } = stamp();
    injected.push(
      {
        line: `{"id": ${id}, "timestamp": "${timestamp}", "source": "agent", "message": "Running comm`,
        kind: "malformed",
        text: "",
      },
      {
        line: "{'id': 0, 'source': 'agent', 'message': 'python repr, not JSON'}",
        kind: "malformed",
        text: "",
      },
    );
  }
  if (faults.nonObjectLines) {
    for (const line of ["[1, 2, 3]", '"heartbeat"', "42", "null", "true"]) {
      injected.push({ line, kind: "non-object", text: "" });
    }
  }
  if (faults.controlFrames) {
    injected.push(lineOf({ message: "Agent is still working, please wait…" }, "control", rawUtf8));
  }
  let result: PlannedLine[];
  if (faults.errorFrame) {
    const kept = lines.slice(0, Math.floor(lines.length / 2));
    result = [
      ...kept,
      ...injected,
      lineOf(
        { error: true, message: "Agent encountered an error: RuntimeError: sandbox timed out" },
        "error-frame",
        rawUtf8,
      ),
    ];
  } else {
    const last = lines.length - 1;
    result = last < 0 ? injected : [...lines.slice(0, last), ...injected, ...lines.slice(last)];
  }
  if (faults.blankLines) {
    result = result.flatMap((line) => [
      line,
      { line: "", kind: "blank" as const, text: "" },
      { line: " \t  ", kind: "blank" as const, text: "" },
    ]);
  }
  return result;
}

/** A piece of the body: bytes, the pause before them, and which line they complete (if any). */
export interface BodyChunk {
  bytes: Buffer;
  /** Pause before writing this chunk, in ms. */
  delayMs: number;
  /** Number of lines completely written once this chunk is written. */
  linesDone: number;
}

/** How the body is written, derived from the faults. */
export interface BodyPlan {
  chunks: BodyChunk[];
  /** Destroy the socket after the last chunk (a cut mid-line). */
  cut: boolean;
  /** Lines the plan writes completely. */
  completeLines: number;
}

/** A small, seedable PRNG (mulberry32). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Chunk boundaries (offsets strictly inside `body`) for a policy. `lineEnds` are the offsets just
 * after each line ending; `splitCrlf` adds a boundary between every CR and LF.
 */
export function chunkBoundaries(
  body: Uint8Array,
  lineEnds: readonly number[],
  chunking: Chunking,
  splitCrlf: boolean,
): number[] {
  const cuts = new Set<number>();
  switch (chunking.mode) {
    case "lines":
      for (const end of lineEnds) cuts.add(end);
      break;
    case "whole":
      break;
    case "fixed":
      for (let i = chunking.size; i < body.length; i += chunking.size) cuts.add(i);
      break;
    case "random": {
      const next = mulberry32(chunking.seed);
      const min = Math.max(1, chunking.min ?? 1);
      const max = Math.max(min, chunking.max ?? 64);
      for (
        let i = min + Math.floor(next() * (max - min + 1));
        i < body.length;
        i += min + Math.floor(next() * (max - min + 1))
      ) {
        cuts.add(i);
      }
      break;
    }
    case "split":
      for (const end of lineEnds) cuts.add(end);
      for (let i = 0; i < body.length; i++) {
        const byte = body[i] as number;
        // Inside an escape: after `\u00` of `\u00fc`.
        if (byte === 0x5c && body[i + 1] === 0x75) cuts.add(i + 4);
        // Inside a multi-byte UTF-8 sequence: after its lead byte.
        if (byte >= 0xc0) cuts.add(i + 1);
        if (byte === 0x0d && body[i + 1] === 0x0a) cuts.add(i + 1);
      }
      break;
  }
  if (splitCrlf) {
    for (let i = 0; i + 1 < body.length; i++) if (body[i] === 0x0d && body[i + 1] === 0x0a) cuts.add(i + 1);
  }
  return [...cuts].filter((c) => c > 0 && c < body.length).sort((a, b) => a - b);
}

/**
 * Plans the body of a `/chat` response: line endings, chunking, silences and a cut mid-line.
 * @param latencyMs pause before each line after the first (a `silenceMs` fault overrides it).
 */
export function planBody(lines: readonly PlannedLine[], faults: Faults, latencyMs: number): BodyPlan {
  const ending = faults.crlf || faults.splitCrlf ? "\r\n" : "\n";
  const pause = faults.silenceMs ?? latencyMs;
  let total = lines.length;
  let cut = false;
  let partial: Buffer | undefined;
  if (faults.cutMidLine !== undefined && faults.cutMidLine !== false && lines.length > 0) {
    const keep =
      faults.cutMidLine === true
        ? Math.floor(lines.length / 2)
        : Math.min(faults.cutMidLine, lines.length - 1);
    total = keep;
    cut = true;
    const victim = Buffer.from((lines[keep] as PlannedLine).line, "utf8");
    partial = victim.subarray(0, Math.max(1, Math.floor(victim.length / 2)));
  }
  // Segments separated by pauses are chunked independently; a pause always forces a boundary.
  const chunks: BodyChunk[] = [];
  let segment: Buffer[] = [];
  let segmentEnds: number[] = [];
  let segmentLength = 0;
  let segmentDelay = faults.bodyDelayMs ?? 0;
  let linesBefore = 0;
  const flush = (): void => {
    if (segment.length === 0) return;
    const body = Buffer.concat(segment);
    const bounds = chunkBoundaries(
      body,
      segmentEnds,
      faults.chunking ?? { mode: "lines" },
      faults.splitCrlf === true,
    );
    let start = 0;
    let delay = segmentDelay;
    for (const end of [...bounds, body.length]) {
      const linesDone = linesBefore + segmentEnds.filter((e) => e <= end).length;
      const previous = chunks.at(-1);
      if (end === start) {
        // Nothing to write (an empty last line without its ending): the line is done with the previous chunk.
        if (previous !== undefined) previous.linesDone = linesDone;
        continue;
      }
      chunks.push({ bytes: body.subarray(start, end), delayMs: delay, linesDone });
      delay = 0;
      start = end;
    }
    linesBefore += segmentEnds.length;
    segment = [];
    segmentEnds = [];
    segmentLength = 0;
  };
  for (let i = 0; i < total; i++) {
    if (i > 0 && pause > 0) {
      flush();
      segmentDelay = pause;
    }
    const last = i === lines.length - 1;
    const text = (lines[i] as PlannedLine).line + (last && faults.noFinalNewline ? "" : ending);
    const bytes = Buffer.from(text, "utf8");
    segment.push(bytes);
    segmentLength += bytes.length;
    segmentEnds.push(segmentLength);
  }
  flush();
  if (partial !== undefined) {
    chunks.push({ bytes: partial, delayMs: total > 0 ? pause : segmentDelay, linesDone: linesBefore });
  }
  return { chunks, cut, completeLines: total };
}
