import { describe, expect, it } from "vitest";
import { type RawEvent, toEvent } from "../core/events.js";
import { RobocodersStreamMapper } from "./map-robocoders-stream.js";

const events: RawEvent[] = [
  { source: "agent", message: "Hi", action: "message", args: { content: "Hi", wait_for_response: false } },
  { source: "agent", message: "Let me check.", action: "message", args: { content: "Let me check." } },
  { source: "agent", message: "Running command: ls", action: "run", args: { command: "ls", thought: "" } },
  {
    source: "agent",
    message: "Done.",
    action: "message",
    args: { content: "Done.", wait_for_response: true },
  },
];

function run(mapper: RobocodersStreamMapper) {
  const parts = events.flatMap((raw) => mapper.push(toEvent(raw)));
  parts.push(...mapper.closeText());
  return parts;
}

describe("RobocodersStreamMapper", () => {
  it("emits one text run per stretch of agent talk, activity between them", () => {
    const mapper = new RobocodersStreamMapper({ textMode: "messages", textSeparator: "\n\n" });
    expect(run(mapper)).toEqual([
      { type: "text-start", id: "text-0" },
      { type: "text-delta", id: "text-0", delta: "Hi" },
      { type: "text-delta", id: "text-0", delta: "\n\nLet me check." },
      { type: "text-end", id: "text-0" },
      { type: "text-start", id: "text-1" },
      { type: "text-delta", id: "text-1", delta: "\n\nDone." },
      { type: "text-end", id: "text-1" },
    ]);
    expect(mapper.text).toBe("Hi\n\nLet me check.\n\nDone.");
    expect(mapper.activity).toMatchObject([{ type: "run", args: { command: "ls" } }]);
    expect(mapper.finishReason()).toEqual({ unified: "stop", raw: "awaiting_user_input" });
  });

  it("gives the library's text in reference mode, raw parts when asked", () => {
    const mapper = new RobocodersStreamMapper({
      textMode: "reference",
      textSeparator: "",
      includeRawChunks: true,
    });
    const parts = run(mapper);
    expect(mapper.text).toBe("HiLet me check.Running command: lsDone.");
    expect(parts.filter((p) => p.type === "raw")).toHaveLength(4);
    expect(parts.filter((p) => p.type === "text-start")).toHaveLength(1);
    expect(parts[0]).toEqual({ type: "raw", rawValue: events[0] });
  });

  it("reports no finish cause when the stream ends without a turn-ending event", () => {
    const mapper = new RobocodersStreamMapper({ textMode: "messages", textSeparator: "" });
    mapper.push(toEvent(events[0] ?? {}));
    expect(mapper.finishReason()).toEqual({ unified: "other", raw: undefined });
  });
});
