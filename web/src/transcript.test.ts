import { describe, expect, it } from "vitest";
import { toEvent } from "../../src/core/events.js";
import type { TimelineEntry } from "../../src/server/workspace/timeline.js";
import { TimelineModel } from "./model.js";
import { toMarkdown } from "./transcript.js";

describe("toMarkdown", () => {
  it("writes prompts, messages, commands with output and fences longer than any backticks inside", () => {
    const model = new TimelineModel();
    const entries: TimelineEntry[] = [
      {
        seq: 1,
        time: "2026-01-01T00:00:00Z",
        turn: 1,
        type: "prompt",
        prompt: "do it",
        auto: false,
        agent: "RepoAgent",
      },
      {
        seq: 2,
        time: "2026-01-01T00:00:01Z",
        turn: 1,
        type: "event",
        event: toEvent({ id: 1, action: "message", source: "agent", args: { content: "Sure" } }),
      },
      {
        seq: 3,
        time: "2026-01-01T00:00:01Z",
        turn: 1,
        type: "prompt",
        prompt: "continue",
        auto: true,
        agent: "RepoAgent",
      },
      {
        seq: 4,
        time: "2026-01-01T00:00:02Z",
        turn: 1,
        type: "event",
        event: toEvent({ id: 2, action: "run", source: "agent", args: { command: "echo ```" } }),
      },
      {
        seq: 5,
        time: "2026-01-01T00:00:03Z",
        turn: 1,
        type: "event",
        event: toEvent({ id: 3, observation: "run", cause: 2, content: "```", extras: { exit_code: 0 } }),
      },
      {
        seq: 6,
        time: "2026-01-01T00:00:04Z",
        turn: 1,
        type: "turn-end",
        outcome: "failed",
        error: { code: "rate_limited", message: "try again in 3 s", retryable: true },
      },
    ];
    model.pushAll(entries);
    expect(toMarkdown("T", model.rows)).toBe(
      "# T\n\n### You\n\ndo it\n\n### Agent\n\nSure\n\n*Continued automatically:* continue\n\n" +
        "**Ran** ```` echo ``` ```` (exit code 0)\n\n````\n```\n````\n\n> **Error:** try again in 3 s\n",
    );
  });
});
