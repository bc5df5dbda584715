import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { initialTaskState, playTurn } from "./scripts.js";
import {
  chunkBoundaries,
  type EventClock,
  numberSteps,
  type PlannedLine,
  planBody,
  planLines,
} from "./stream.js";

const line = (text: string): PlannedLine => ({ line: text, kind: "event", text: "" });

function events(verbose: boolean, clock: EventClock = { nextId: 0, lastMicros: 0 }) {
  const state = initialTaskState();
  const first = numberSteps(
    playTurn(state, "GeneralCodingAgent", "add two numbers"),
    "sid-1",
    clock,
    verbose,
    1e15,
  );
  const second = numberSteps(
    playTurn(state, "GeneralCodingAgent", "continue"),
    "sid-1",
    clock,
    verbose,
    1e15,
  );
  return { first, second };
}

describe("numberSteps", () => {
  it("numbers per session with gaps in compact mode and keeps the key order", () => {
    const { first, second } = events(false);
    expect(first.map((e) => e.action)).toEqual(["message"]);
    expect(Object.keys(first[0] ?? {})).toEqual([
      "id",
      "timestamp",
      "source",
      "message",
      "action",
      "args",
      "sid",
    ]);
    const ids = [...first, ...second].map((e) => e.id as number);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(ids.some((id, i) => i > 0 && id - (ids[i - 1] as number) > 1)).toBe(true);
    expect(second.every((e) => "action" in e)).toBe(true);
    expect(second.at(-1)?.action).toBe("finish");
  });

  it("adds observations with cause and agent state changes in verbose mode", () => {
    const { second } = events(true);
    const run = second.find((e) => e.observation === "run");
    expect(Object.keys(run ?? {})).toEqual([
      "id",
      "timestamp",
      "source",
      "message",
      "cause",
      "observation",
      "content",
      "extras",
      "sid",
    ]);
    const cause = second.find((e) => e.id === run?.cause);
    expect(cause?.action).toBe("run");
    expect(
      second
        .filter((e) => e.observation === "agent_state_changed")
        .map((e) => (e.extras as { agent_state: string }).agent_state),
    ).toEqual(["running", "finished"]);
  });

  it("stamps naive, non-decreasing timestamps, some without microseconds", () => {
    const clock = { nextId: 0, lastMicros: 0 };
    const all = [...events(true, clock).first, ...events(true, clock).second];
    const stamps = all.map((e) => e.timestamp as string);
    for (const stamp of stamps) expect(stamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$/);
    expect(stamps).toEqual([...stamps].sort());
    expect(stamps.some((s) => !s.includes("."))).toBe(true);
  });
});

describe("planLines", () => {
  const clock = (): EventClock => ({ nextId: 100, lastMicros: 0 });
  it("injects fault lines before the last event", () => {
    const { second } = events(false);
    const planned = planLines(
      second,
      { malformedLines: true, nonObjectLines: true, nanLines: true, controlFrames: true },
      { sid: "s", clock: clock(), nowMicros: 1e15 },
    );
    expect(planned.at(-1)?.value?.action).toBe("finish");
    const kinds = planned.map((l) => l.kind);
    expect(kinds).toContain("malformed");
    expect(kinds).toContain("non-object");
    expect(planned.find((l) => l.kind === "nan-event")?.line).toMatch(/"score": NaN, "budget": Infinity/);
    expect(planned.find((l) => l.kind === "control")?.line).toBe(
      '{"message": "Agent is still working, please wait\\u2026"}',
    );
  });

  it("makes a long line of about the requested size and ends a turn on an error frame", () => {
    const { second } = events(false);
    const planned = planLines(
      second,
      { longLineBytes: 300_000, errorFrame: true },
      { sid: "s", clock: clock(), nowMicros: 1e15 },
    );
    const long = planned.find((l) => l.line.length > 100_000);
    expect(long?.line.length).toBeGreaterThan(299_000);
    expect(long?.line.length).toBeLessThanOrEqual(300_000);
    expect(JSON.parse(long?.line ?? "").observation).toBe("browse");
    expect(planned.at(-1)?.line).toBe(
      '{"error": true, "message": "Agent encountered an error: RuntimeError: sandbox timed out"}',
    );
  });

  it("adds an empty and a whitespace line after every line, the last one included", () => {
    const planned = planLines(
      events(false).second.slice(0, 2),
      { blankLines: true },
      { sid: "s", clock: clock(), nowMicros: 0 },
    );
    expect(planned.map((l) => l.line.trim() === "")).toEqual([false, true, true, false, true, true]);
    expect(planned.slice(-2).map((l) => [l.line, l.kind])).toEqual([
      ["", "blank"],
      [" \t  ", "blank"],
    ]);
  });
});

describe("chunkBoundaries and planBody", () => {
  it("cuts one line per chunk by default, and one byte per chunk on request", () => {
    const plan = planBody([line("ab"), line("cd")], {}, 0);
    expect(plan.chunks.map((c) => c.bytes.toString())).toEqual(["ab\n", "cd\n"]);
    expect(plan.chunks.map((c) => c.linesDone)).toEqual([1, 2]);
    const bytes = planBody([line("ab")], { chunking: { mode: "fixed", size: 1 } }, 0);
    expect(bytes.chunks.map((c) => c.bytes.toString())).toEqual(["a", "b", "\n"]);
  });

  it("splits CRLF pairs, escapes and UTF-8 sequences", () => {
    const plan = planBody([line('"\\u00fc\u00fc"')], { chunking: { mode: "split" }, splitCrlf: true }, 0);
    expect(plan.chunks.map((c) => c.bytes)).toEqual([
      Buffer.from('"\\u00'),
      Buffer.from([0x66, 0x63, 0xc3]),
      Buffer.from([0xbc, 0x22, 0x0d]),
      Buffer.from("\n"),
    ]);
  });

  it("never loses or reorders bytes, whatever the policy", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: "grapheme" }), { minLength: 1, maxLength: 8 }),
        fc.oneof(
          fc.constant({ mode: "lines" as const }),
          fc.constant({ mode: "whole" as const }),
          fc.constant({ mode: "split" as const }),
          fc.integer({ min: 1, max: 9 }).map((size) => ({ mode: "fixed" as const, size })),
          fc.integer().map((seed) => ({ mode: "random" as const, seed, max: 5 })),
        ),
        fc.boolean(),
        fc.boolean(),
        (texts, chunking, crlf, noFinalNewline) => {
          const plan = planBody(texts.map(line), { chunking, crlf, noFinalNewline }, 0);
          const ending = crlf ? "\r\n" : "\n";
          const expected = texts.join(ending) + (noFinalNewline ? "" : ending);
          expect(Buffer.concat(plan.chunks.map((c) => c.bytes)).toString()).toBe(expected);
          expect(plan.chunks.every((c) => c.bytes.length > 0)).toBe(true);
          if (expected !== "") expect(plan.chunks.at(-1)?.linesDone).toBe(texts.length);
        },
      ),
    );
  });

  it("is reproducible for a random seed", () => {
    const body = Buffer.from("x".repeat(500));
    const a = chunkBoundaries(body, [500], { mode: "random", seed: 7 }, false);
    expect(chunkBoundaries(body, [500], { mode: "random", seed: 7 }, false)).toEqual(a);
    expect(chunkBoundaries(body, [500], { mode: "random", seed: 8 }, false)).not.toEqual(a);
  });

  it("forces a boundary at each silence and cuts mid-line", () => {
    const plan = planBody(
      [line("aa"), line("bb"), line("cccc")],
      { chunking: { mode: "whole" }, silenceMs: 50, cutMidLine: 2 },
      0,
    );
    expect(plan.chunks.map((c) => [c.bytes.toString(), c.delayMs, c.linesDone])).toEqual([
      ["aa\n", 0, 1],
      ["bb\n", 50, 2],
      ["cc", 50, 2],
    ]);
    expect(plan.cut).toBe(true);
  });
});
