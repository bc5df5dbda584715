import { describe, expect, it } from "vitest";
import { toEvent } from "../../src/core/events.js";
import type { TimelineEntry } from "../../src/server/workspace/timeline.js";
import { formatBytes, formatDuration, TimelineModel } from "./model.js";

const time = (s: number) => new Date(Date.UTC(2026, 0, 1, 10, 0, s)).toISOString();
let seq = 0;
const prompt = (text: string, auto = false): TimelineEntry => ({
  seq: ++seq,
  time: time(seq),
  turn: 1,
  type: "prompt",
  prompt: text,
  auto,
  agent: "GeneralCodingAgent",
});
const event = (raw: Record<string, unknown>): TimelineEntry => ({
  seq: ++seq,
  time: time(seq),
  turn: 1,
  type: "event",
  event: toEvent(raw),
});
const end = (outcome: "finished" | "waiting" | "failed"): TimelineEntry => ({
  seq: ++seq,
  time: time(seq),
  turn: 1,
  type: "turn-end",
  outcome,
});

describe("TimelineModel", () => {
  it("pairs actions with their observations, keeps state changes out of the rows, and ignores replays", () => {
    seq = 0;
    const model = new TimelineModel();
    const entries = [
      prompt("go"),
      event({ observation: "agent_state_changed", extras: { agent_state: "running" }, content: "" }),
      event({ id: 1, action: "run", source: "agent", args: { command: "ls" } }),
      event({ id: 2, observation: "run", cause: 1, content: "a\nb", extras: { exit_code: 0 } }),
      event({
        id: 3,
        action: "write",
        source: "agent",
        args: { path: "/workspace/a.py", content: "x = 1\n" },
      }),
      event({
        id: 4,
        action: "write",
        source: "agent",
        args: { path: "/workspace/a.py", content: "x = 2\n" },
      }),
      event({ id: 5, observation: "error", cause: 4, content: "disk full", extras: {} }),
      event({
        id: 6,
        action: "message",
        source: "agent",
        args: { content: "Which?", wait_for_response: true },
      }),
      end("waiting"),
    ];
    expect(model.pushAll(entries)).toBe(true);
    expect(model.pushAll(entries.slice(3))).toBe(false);
    expect(model.rows.map((r) => r.kind)).toEqual([
      "prompt",
      "action",
      "action",
      "action",
      "observation",
      "action",
      "turn-end",
    ]);
    const run = model.rows[1];
    expect(run?.kind === "action" && run.observation?.content).toBe("a\nb");
    expect(run?.kind === "action" && run.endTime).toBe(Date.parse(time(4)));
    const second = model.rows[3];
    expect(second?.kind === "action" && second.fileVersion?.diff).toContain("-x = 1\n+x = 2");
    expect(model.status).toMatchObject({
      running: false,
      waiting: true,
      agentState: "running",
      lastOutcome: "waiting",
    });
    expect(model.workspace.files().map((f) => f.path)).toEqual(["/workspace/a.py"]);
  });

  it("is running from a prompt to its turn end, and a new prompt clears the waiting state", () => {
    seq = 0;
    const model = new TimelineModel();
    model.push(prompt("go"));
    expect(model.status).toMatchObject({ running: true, turnStarted: Date.parse(time(1)) });
    model.push(end("waiting"));
    model.push(prompt("yes"));
    expect(model.status).toMatchObject({ running: true, waiting: false });
    model.push(end("failed"));
    expect(model.status).toMatchObject({ running: false, waiting: false, lastOutcome: "failed" });
  });
});

describe("formatting", () => {
  it("durations and sizes read well", () => {
    expect([850, 12_400, 184_000, 3_720_000].map(formatDuration)).toEqual([
      "850 ms",
      "12 s",
      "3 min 4 s",
      "1 h 2 min",
    ]);
    expect([512, 1536, 3 * 1024 * 1024].map(formatBytes)).toEqual(["512 B", "1.5 KiB", "3.0 MiB"]);
  });
});
