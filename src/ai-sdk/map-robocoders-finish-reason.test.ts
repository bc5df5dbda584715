import { describe, expect, it } from "vitest";
import { type RawEvent, type RobocodersEvent, toEvent } from "../core/events.js";
import { mapRobocodersFinishReason, trackTurnEnd } from "./map-robocoders-finish-reason.js";

const ev = (raw: RawEvent) => toEvent(raw);
const question = ev({ action: "message", source: "agent", args: { content: "?", wait_for_response: true } });
const state = (agent_state: string) => ev({ observation: "agent_state_changed", extras: { agent_state } });

describe("mapRobocodersFinishReason", () => {
  it.each<[string, RobocodersEvent | undefined, string, string | undefined]>([
    ["a question to the user", question, "stop", "awaiting_user_input"],
    ["finish", ev({ action: "finish", args: {} }), "stop", "finish"],
    ["reject", ev({ action: "reject", args: {} }), "other", "reject"],
    ["state finished", state("finished"), "stop", "finished"],
    ["state awaiting_user_input", state("awaiting_user_input"), "stop", "awaiting_user_input"],
    ["state error", state("error"), "error", "error"],
    ["state paused", state("paused"), "other", "paused"],
    ["an error frame", ev({ error: true, message: "boom" }), "error", "error"],
    ["no turn-ending event", undefined, "other", undefined],
  ])("maps %s", (_name, event, unified, raw) => {
    expect(mapRobocodersFinishReason(event)).toEqual({ unified, raw });
  });
});

describe("trackTurnEnd", () => {
  const run = ev({ action: "run", args: { command: "ls" } });
  const output = ev({ observation: "run", content: "a.py" });
  const finish = ev({ action: "finish", args: {} });

  it("keeps the last turn-ending event, cleared when the agent acts again", () => {
    let end: RobocodersEvent | undefined;
    end = trackTurnEnd(end, question);
    expect(end).toBe(question);
    end = trackTurnEnd(end, state("awaiting_user_input"));
    expect(mapRobocodersFinishReason(end)).toEqual({ unified: "stop", raw: "awaiting_user_input" });
    end = trackTurnEnd(end, run); // an automatic continue: the agent works again
    expect(end).toBeUndefined();
    end = trackTurnEnd(end, output);
    expect(end).toBeUndefined();
    end = trackTurnEnd(end, finish);
    end = trackTurnEnd(end, state("running"));
    expect(end).toBe(finish);
  });
});
