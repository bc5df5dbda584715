import fc from "fast-check";
import pc from "picocolors";
import { describe, expect, it } from "vitest";
import { toEvent } from "../core/events.js";
import { eventJson, formatBytes, renderEvent, truncate, wrapText } from "./render.js";

const ev = (raw: Record<string, unknown>) =>
  toEvent({ id: 1, timestamp: "2024-11-15T16:57:20", source: "agent", ...raw });

describe("renderEvent", () => {
  it("shows agent messages as their text with a newline", () => {
    const event = ev({
      action: "message",
      message: "Hi",
      args: { content: "What language?", wait_for_response: true },
    });
    expect(renderEvent(event)).toBe("What language?\n");
  });

  it("keeps multi-line message content whole", () => {
    const event = ev({ action: "message", args: { content: "a\nb\n" } });
    expect(renderEvent(event)).toBe("a\nb\n");
  });

  it("shows a command as $ line with its thought", () => {
    const event = ev({
      action: "run",
      message: "Running command: python3 add.py 2 3",
      args: { command: "python3 add.py 2 3", thought: "Let me try it:", background: false },
    });
    expect(renderEvent(event)).toBe("Let me try it:\n$ python3 add.py 2 3\n");
    expect(renderEvent(event, { thoughts: false })).toBe("$ python3 add.py 2 3\n");
  });

  it("shows a file write as path and size, not the content", () => {
    const content = "import sys\n".repeat(200);
    const event = ev({ action: "write", args: { path: "/workspace/add.py", content, thought: "" } });
    const out = renderEvent(event);
    expect(out).toBe("✎ write /workspace/add.py (2.1 KB, 200 lines)\n");
    expect(out).not.toContain("import sys");
  });

  it("shows reads, browsing, delegation, python and finish as one line each", () => {
    expect(renderEvent(ev({ action: "read", args: { path: "README.md" } }))).toBe("◆ read README.md\n");
    expect(renderEvent(ev({ action: "browse", args: { url: "https://example.com" } }))).toBe(
      "⇢ browse https://example.com\n",
    );
    expect(
      renderEvent(
        ev({
          action: "delegate",
          args: { agent: "TaskPlannerAgent", inputs: { task: "plan it\nmore" }, thought: "" },
        }),
      ),
    ).toBe("↳ delegate to TaskPlannerAgent: plan it\n");
    expect(
      renderEvent(ev({ action: "run_ipython", args: { code: "print(1)\nprint(2)\nprint(3)", thought: "" } })),
    ).toBe(">>> print(1) (+2 lines)\n");
    expect(
      renderEvent(ev({ action: "finish", message: "All done! What's next on the agenda?", args: {} })),
    ).toBe("✔ finished All done! What's next on the agenda?\n");
    expect(renderEvent(ev({ action: "reject", args: { thought: "cannot" } }))).toBe("✘ rejected cannot\n");
  });

  it("keeps a command's suffixes on its line and shows a finish summary whole, at 50 columns", () => {
    const width = 50;
    const run = renderEvent(
      ev({
        action: "run",
        args: {
          command:
            "cd /workspace/todo-app-react && npm run start -- -p 3000 > server.log 2>&1 &\necho started",
          thought: "",
          background: true,
        },
      }),
      { width },
    );
    expect(run).toMatch(/^\$ cd \/workspace\/.*… \(\+1 lines\) \(background\)\n$/);
    expect(Array.from(run.trimEnd()).length).toBeLessThanOrEqual(width);
    const summary = "The module, its CLI and its tests are in place and the tests pass. Next: packaging.";
    const finish = renderEvent(ev({ action: "finish", args: { thought: summary } }), { width });
    const lines = finish.trimEnd().split("\n");
    expect(lines.length).toBeGreaterThan(1);
    expect(lines[0]).toMatch(/^✔ finished The module/);
    for (const line of lines) expect(Array.from(line).length).toBeLessThanOrEqual(width);
    expect(lines.map((l) => l.trim()).join(" ")).toBe(`✔ finished ${summary}`);
    const coloured = renderEvent(ev({ action: "reject", args: { thought: summary } }), {
      width,
      palette: pc.createColors(true),
    });
    expect(coloured.replace(/\x1b\[[0-9;]*m/g, "").split("\n")[0]).toMatch(/^✘ rejected The module/);
  });

  it("summarises command output and hides noise", () => {
    expect(
      renderEvent(
        ev({ observation: "run", content: "5\n", extras: { exit_code: 0, command: "python3 add.py 2 3" } }),
      ),
    ).toBe("  ⎿ exit 0, 1 line of output\n");
    expect(renderEvent(ev({ observation: "run", content: "", extras: { exit_code: 2 } }))).toBe(
      "  ⎿ exit 2\n",
    );
    expect(renderEvent(ev({ observation: "agent_state_changed", extras: { agent_state: "running" } }))).toBe(
      "",
    );
    expect(renderEvent(ev({ observation: "write", content: "", extras: { path: "a" } }))).toBe("");
  });

  it("shows control frames and unknown actions", () => {
    expect(renderEvent(toEvent({ error: true, message: "Agent crashed" }))).toBe("✘ Agent crashed\n");
    expect(renderEvent(toEvent({ message: "Reconnecting" }))).toBe("• Reconnecting\n");
    expect(renderEvent(ev({ action: "summon", message: "Summoning", args: {} }))).toBe(
      "• summon: Summoning\n",
    );
  });

  it("colours with a palette", () => {
    const colours = pc.createColors(true);
    const out = renderEvent(ev({ action: "run", args: { command: "ls", thought: "" } }), {
      palette: colours,
    });
    expect(out).toContain("\x1b[");
    expect(out.replace(/\x1b\[[0-9;]*m/g, "")).toBe("$ ls\n");
  });

  it("cuts long command lines to the width", () => {
    const out = renderEvent(ev({ action: "run", args: { command: "x".repeat(500), thought: "" } }), {
      width: 40,
    });
    expect(Array.from(out.trimEnd()).length).toBeLessThanOrEqual(40);
    expect(out).toContain("…");
  });

  it("never throws and always ends lines with a newline, whatever the event", () => {
    const json = fc.jsonValue();
    fc.assert(
      fc.property(
        fc.record({
          action: fc.option(
            fc.constantFrom("message", "run", "write", "read", "browse", "delegate", "finish", "zzz"),
          ),
          observation: fc.option(fc.constantFrom("run", "error", "agent_state_changed", "yyy")),
          message: fc.option(fc.string()),
          args: fc.option(json),
          extras: fc.option(json),
          content: fc.option(json),
        }),
        (raw) => {
          const clean = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== null));
          const out = renderEvent(toEvent(clean), { width: 30 });
          expect(out === "" || out.endsWith("\n")).toBe(true);
        },
      ),
    );
  });
});

describe("wrapText", () => {
  it("keeps every line within the width and every word, in order", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ minLength: 1, maxLength: 30, unit: "grapheme" }).map((w) => w.replace(/[ \n]/g, "x")),
        ),
        fc.integer({ min: 5, max: 60 }),
        (words, width) => {
          const lines = wrapText(words.join(" "), width);
          for (const line of lines) expect(Array.from(line).length).toBeLessThanOrEqual(width);
          const long = words.some((w) => Array.from(w).length > width);
          if (!long)
            expect(
              lines
                .join(" ")
                .split(" ")
                .filter((w) => w !== ""),
            ).toEqual(words);
          else expect(lines.join("").replaceAll(" ", "")).toBe(words.join(""));
        },
      ),
    );
    expect(wrapText("one two three", 7)).toEqual(["one two", "three"]);
    expect(wrapText("a\nb c", 3)).toEqual(["a", "b c"]);
  });
});

describe("formatBytes and truncate", () => {
  it("formats sizes", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1536)).toBe("1.5 KB");
    expect(formatBytes(20 * 1024)).toBe("20 KB");
    expect(formatBytes(3 * 1024 * 1024)).toBe("3.0 MB");
  });
  it("truncates by characters", () => {
    expect(truncate("hello", 10)).toBe("hello");
    expect(truncate("hello world", 6)).toBe("hello…");
    expect(truncate("😀😀😀", 2)).toBe("😀…");
  });
});

describe("eventJson", () => {
  it("puts kind first and raw last, and keeps every raw field", () => {
    const raw = {
      id: 3,
      action: "run",
      args: { command: "ls", thought: "", extra: [1] },
      message: "Running command: ls",
    };
    const line = eventJson(toEvent(raw));
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(Object.keys(parsed)[0]).toBe("kind");
    expect(Object.keys(parsed).at(-1)).toBe("raw");
    expect(parsed).toMatchObject({ kind: "action", action: "run", id: 3, args: { command: "ls" }, raw });
  });
});
