/**
 * `robocoders chat` on a pseudo-terminal (util-linux `script`): agent messages rendered as Markdown and
 * wrapped at the terminal's width between words (the emulator's `markdown` script shape sends one), the
 * same message untouched through a pipe, and the conversation's banner naming the session.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import stringWidth from "string-width";
import { describe, expect, it } from "vitest";
import { cacheFileName } from "../../src/client/options.js";
import { MARKDOWN_MESSAGE } from "../../src/emulator/scripts.js";
import { cliFixture, HAS_SCRIPT, runCli, runCliInTty, stripAnsi } from "./helpers.js";

const fx = cliFixture();
const PROMPT = "Plan it [[fault:markdown]]";
const PARAGRAPH = MARKDOWN_MESSAGE.split("\n").at(-1) ?? "";

/** The lines the terminal showed from the message's heading to the agent's question. */
function messageLines(output: string): string[] {
  const text = stripAnsi(output);
  const from = text.search(/^(## )?Plan$/m);
  const to = text.indexOf("Thanks! Before I start");
  expect(from).toBeGreaterThanOrEqual(0);
  expect(to).toBeGreaterThan(from);
  return text.slice(from, to).trimEnd().split("\n");
}

describe.skipIf(!HAS_SCRIPT)("Markdown on a terminal", () => {
  it("renders headings, lists, emphasis, links, inline code and highlighted code blocks", async () => {
    const { env } = fx.fresh();
    const { code, output } = await runCliInTty(["chat", "--no-auto-continue", PROMPT], { env, columns: 100 });
    expect(code).toBe(0);
    expect(output).toContain("\x1b[1m\x1b[36mPlan\x1b[39m\x1b[22m"); // ## heading: bold cyan
    expect(output).toContain("\x1b[1mthree steps\x1b[22m");
    expect(output).toContain("\x1b[3mtests\x1b[23m"); // italic
    expect(output).toContain("\x1b[36mmain.py\x1b[39m"); // inline code
    expect(output).toMatch(/\x1b\[35mdef\x1b\[39m/); // the code block, highlighted
    const lines = messageLines(output);
    expect(lines.slice(0, 12)).toEqual([
      "Plan",
      "",
      "I'll work in three steps, each with tests:",
      "",
      "1. Write main.py with a solve function",
      "2. Add a command-line entry point",
      "3. Run the tests with pytest (https://docs.pytest.org/)",
      "",
      "╭ python",
      "│ def solve(a: float, b: float) -> float:",
      "│     return a + b",
      "",
    ]);
    expect(lines.slice(12).join(" ")).toBe(PARAGRAPH);
  });

  it("wraps at the terminal's width without breaking a word", async () => {
    const { env } = fx.fresh();
    const { code, output } = await runCliInTty(["chat", "--no-auto-continue", PROMPT], { env, columns: 40 });
    expect(code).toBe(0);
    const lines = messageLines(output);
    // Every line fits, but for code lines (never wrapped).
    for (const line of lines)
      if (!line.startsWith("│")) expect(stringWidth(line), line).toBeLessThanOrEqual(40);
    const paragraph = lines.slice(lines.lastIndexOf("") + 1);
    expect(paragraph.length).toBeGreaterThan(2);
    expect(paragraph.join(" ")).toBe(PARAGRAPH);
    expect(lines).toContain("3. Run the tests with pytest");
    expect(lines).toContain("   (https://docs.pytest.org/)");
  });

  it("without colours, keeps the Markdown markers that carry meaning", async () => {
    const { env } = fx.fresh();
    const { code, output } = await runCliInTty(["chat", "--no-auto-continue", PROMPT], {
      env: { ...env, NO_COLOR: "1" },
    });
    expect(code).toBe(0);
    const lines = messageLines(output);
    expect(lines[0]).toBe("## Plan");
    expect(lines).toContain("1. Write `main.py` with a `solve` function");
  });
});

describe("Markdown through a pipe", () => {
  it("is printed as the agent sent it", async () => {
    const { env } = fx.fresh();
    const result = await runCli(["chat", "--no-auto-continue", PROMPT], { env });
    expect(result.code).toBe(0);
    expect(result.stdout.startsWith(`${MARKDOWN_MESSAGE}\n\nThanks! Before I start`)).toBe(true);
  });
});

describe.skipIf(!HAS_SCRIPT)("the conversation's banner", () => {
  it("says a new session starts, then names the session the first turn created", async () => {
    const { env, cacheDir } = fx.fresh();
    const { code, output } = await runCliInTty(["chat", "--no-auto-continue"], {
      env,
      steps: [
        { waitFor: "› ", send: "hello\r" },
        { waitFor: /Session \S+\.[\s\S]*› /, send: "/exit\r" },
      ],
    });
    expect(code).toBe(0);
    const { sid } = JSON.parse(readFileSync(join(cacheDir, cacheFileName(fx.emulator.url)), "utf8")) as {
      sid: string;
    };
    const text = stripAnsi(output);
    expect(text).toContain("Chatting with GeneralCodingAgent in a new session.");
    expect(text).toContain(`Session ${sid}.`);
  });

  it.each([
    ["-c", ["-c"]],
    ["-c <name>", ["-c", "work"]],
    ["--session <name>", ["--session", "work"]],
  ])("names the session continued with %s, and its name", async (_label, flags) => {
    const { env } = fx.fresh();
    expect((await runCli(["chat", "--no-auto-continue", "First"], { env })).code).toBe(0);
    const sid = (await runCli(["session", "show"], { env })).stdout.trim();
    expect((await runCli(["session", "name", sid, "work"], { env })).code).toBe(0);
    const { code, output } = await runCliInTty(["chat", "--no-auto-continue", ...flags], {
      env,
      steps: [
        { waitFor: "› ", send: "Second\r" },
        { waitFor: /finished|Thanks![\s\S]*› /, send: "/exit\r" },
      ],
    });
    expect(code).toBe(0);
    const text = stripAnsi(output);
    expect(text).toContain(`Chatting with GeneralCodingAgent in session ${sid} (work).`);
    expect(text).not.toContain("Session ");
    expect(fx.emulator.chats.filter((r) => r.sid === sid).map((r) => r.cleanPrompt)).toEqual([
      "First",
      "Second",
    ]);
  });
});
