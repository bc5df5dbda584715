import { describe, expect, it } from "vitest";
import { type RawEvent, toEvent } from "../core/events.js";
import { mapRobocodersEvent, toActivity } from "./map-robocoders-event.js";

const ev = (raw: RawEvent) => toEvent(raw);

const message = ev({
  id: 1,
  source: "agent",
  message: "What should the script do?",
  action: "message",
  args: { content: "What should the script do?", wait_for_response: true },
  sid: "s",
});
const run = ev({
  id: 2,
  timestamp: "2024-11-15T16:57:20.100200",
  source: "agent",
  message: "Running command: python3 add.py 2 3",
  action: "run",
  args: { command: "python3 add.py 2 3", background: false, thought: "Let me try it:" },
});
const runObservation = ev({
  id: 3,
  cause: 2,
  source: "agent",
  message: "Command `python3 add.py 2 3` executed with exit code 0.",
  observation: "run",
  content: "5",
  extras: { command_id: -1, command: "python3 add.py 2 3", exit_code: 0 },
});
const finish = ev({
  source: "agent",
  message: "All done! What's next on the agenda?",
  action: "finish",
  args: { outputs: {}, thought: "" },
});

describe("mapRobocodersEvent in messages mode", () => {
  it("takes an agent message's content as text and reports no activity", () => {
    expect(mapRobocodersEvent(message, "messages")).toEqual({
      text: "What should the script do?",
      activity: undefined,
    });
  });

  it("keeps commands out of the text and reports them as activity", () => {
    const mapped = mapRobocodersEvent(run, "messages");
    expect(mapped.text).toBeUndefined();
    expect(mapped.activity).toEqual({
      kind: "action",
      type: "run",
      id: 2,
      timestamp: "2024-11-15T16:57:20.100200",
      source: "agent",
      message: "Running command: python3 add.py 2 3",
      args: { command: "python3 add.py 2 3", background: false, thought: "Let me try it:" },
    });
  });

  it("reports observations with their output", () => {
    const mapped = mapRobocodersEvent(runObservation, "messages");
    expect(mapped.text).toBeUndefined();
    expect(mapped.activity).toMatchObject({
      kind: "observation",
      type: "run",
      cause: 2,
      content: "5",
      extras: { exit_code: 0 },
    });
  });

  it("takes finish's closing words as text and keeps it as activity", () => {
    const mapped = mapRobocodersEvent(finish, "messages");
    expect(mapped.text).toBe("All done! What's next on the agenda?");
    expect(mapped.activity).toMatchObject({ kind: "action", type: "finish" });
  });

  it("leaves an echoed user message out of the text", () => {
    const echo = ev({ source: "user", message: "hi", action: "message", args: { content: "hi" } });
    expect(mapRobocodersEvent(echo, "messages").text).toBeUndefined();
    expect(mapRobocodersEvent(echo, "messages").activity).toMatchObject({ type: "message", source: "user" });
  });

  it("treats a control notice as text and an error frame as activity only", () => {
    expect(mapRobocodersEvent(ev({ message: "Queued" }), "messages")).toMatchObject({ text: "Queued" });
    const error = mapRobocodersEvent(ev({ error: true, message: "Agent crashed" }), "messages");
    expect(error.text).toBeUndefined();
    expect(error.activity).toEqual({ kind: "control", type: "error", message: "Agent crashed" });
  });
});

describe("mapRobocodersEvent in reference mode", () => {
  it("uses the reference rule: args.content, else message", () => {
    expect(mapRobocodersEvent(run, "reference").text).toBe("Running command: python3 add.py 2 3");
    expect(mapRobocodersEvent(message, "reference").text).toBe("What should the script do?");
    const write = ev({
      message: "Writing file: a.py",
      action: "write",
      args: { path: "a.py", content: "print(1)\n" },
    });
    expect(mapRobocodersEvent(write, "reference").text).toBe("print(1)\n");
  });

  it("gives no text where the reference yields nothing", () => {
    expect(
      mapRobocodersEvent(ev({ action: "run", args: "oops", message: "x" }), "reference").text,
    ).toBeUndefined();
    expect(
      mapRobocodersEvent(ev({ action: "message", args: { content: "" } }), "reference").text,
    ).toBeUndefined();
  });
});

describe("toActivity", () => {
  it("drops base64 screenshots and turns non-finite numbers into null", () => {
    const browse = ev({
      message: "Visited https://example.com",
      observation: "browse",
      content: "<html>",
      extras: { url: "https://example.com", screenshot: "iVBORw0KGgo=", status_code: 200, score: Number.NaN },
    });
    expect(toActivity(browse).extras).toEqual({ url: "https://example.com", status_code: 200, score: null });
  });
});
