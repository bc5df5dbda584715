import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toEvent } from "../core/events.js";
import { MAX_PROGRESS_MESSAGE_CHARS, oneLine, progressMessage } from "./progress.js";

const action = (action: string, args: Record<string, unknown>, message = "", source = "agent") =>
  toEvent({ id: 3, source, message, action, args });

describe("progressMessage", () => {
  it("says what each action does, in one short line", () => {
    expect(progressMessage(action("run", { command: "python3 main.py 2 3", thought: "try" }))).toBe(
      "Running: python3 main.py 2 3",
    );
    expect(progressMessage(action("run_ipython", { code: "import os\nos.listdir()", thought: "" }))).toBe(
      "Running Python: import os …",
    );
    expect(
      progressMessage(
        action("write", { path: "/workspace/a.py", content: "ü\n", start: 0, end: -1, thought: "" }),
      ),
    ).toBe("Writing /workspace/a.py (3 bytes)");
    expect(progressMessage(action("edit", { path: "/workspace/a.py", start: 1, end: 2, thought: "" }))).toBe(
      "Editing /workspace/a.py",
    );
    expect(
      progressMessage(action("read", { path: "/workspace/README.md", start: 0, end: -1, thought: "" })),
    ).toBe("Reading /workspace/README.md");
    expect(progressMessage(action("browse", { url: "http://localhost:3000" }))).toBe(
      "Browsing http://localhost:3000",
    );
    expect(progressMessage(action("delegate", { agent: "TaskPlannerAgent", inputs: {}, thought: "" }))).toBe(
      "Delegating to TaskPlannerAgent",
    );
    expect(progressMessage(action("finish", { outputs: {}, thought: "Tests pass." }))).toBe(
      "Finished: Tests pass.",
    );
    expect(progressMessage(action("reject", { outputs: {}, thought: "" }))).toBe("Gave up");
    expect(
      progressMessage(
        action("message", { content: "Which framework?\nReply continue.", wait_for_response: true }),
      ),
    ).toBe("Asks: Which framework? …");
    expect(progressMessage(action("message", { content: "Done ✅", wait_for_response: false }))).toBe(
      "Says: Done ✅",
    );
    expect(progressMessage(action("teleport", { to: "mars" }, "Teleporting to mars"))).toBe(
      "Teleporting to mars",
    );
    expect(progressMessage(action("teleport", {}))).toBe("teleport");
  });

  it("stays quiet for observations, user messages and plain control frames, and reports error frames", () => {
    expect(
      progressMessage(toEvent({ observation: "run", content: "5", extras: { exit_code: 0 }, message: "" })),
    ).toBeUndefined();
    expect(
      progressMessage(action("message", { content: "hi", wait_for_response: false }, "", "user")),
    ).toBeUndefined();
    expect(progressMessage(toEvent({ message: "Agent is warming up" }))).toBeUndefined();
    expect(progressMessage(toEvent({ error: true, message: "LLM quota exceeded" }))).toBe(
      "Error: LLM quota exceeded",
    );
  });
});

describe("oneLine", () => {
  it("keeps the first non-blank line, marks more lines and cuts long ones", () => {
    expect(oneLine("\n\n  first  \nsecond")).toBe("first …");
    expect(oneLine("tab\there\u001b[2J")).toBe("tab here [2J");
    expect(oneLine("x".repeat(500))).toBe(`${"x".repeat(MAX_PROGRESS_MESSAGE_CHARS - 1)}…`);
    expect(oneLine("")).toBe("");
  });

  it("never returns a control character or more than the limit (property)", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme", maxLength: 400 }),
        fc.integer({ min: 2, max: 200 }),
        (text, max) => {
          const line = oneLine(text, max);
          expect(Array.from(line).length).toBeLessThanOrEqual(max);
          expect(line).not.toMatch(/[\u0000-\u001f\u007f]/);
        },
      ),
    );
  });
});
