/**
 * The terminal mode end to end, on a pseudo-terminal made by util-linux `script`: rendered events,
 * spinner, colours (and NO_COLOR / --no-color), and the interactive conversation.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cacheFileName } from "../../src/client/options.js";
import { cliFixture, HAS_SCRIPT, runCliInTty, stripAnsi } from "./helpers.js";

const fx = cliFixture();
/** The cache file of the fixture's emulator in a cache folder. */
const cacheFileIn = (cacheDir: string): string => join(cacheDir, cacheFileName(fx.emulator.url));
const fresh = () => fx.fresh();

const COLOUR = /\x1b\[(3[0-9]|1|2)m/;

describe.skipIf(!HAS_SCRIPT)("chat on a terminal", () => {
  it("renders messages as text and actions as compact coloured lines, with a spinner", async () => {
    const { env } = fresh();
    fx.emulator.setVerbose(true);
    const { code, output } = await runCliInTty(["chat", "Write a Python script that adds two numbers"], {
      env,
    }).finally(() => fx.emulator.setVerbose(false));
    expect(code).toBe(0);
    expect(output).toMatch(COLOUR);
    expect(output).toContain("GeneralCodingAgent is thinking…");
    const text = stripAnsi(output);
    expect(text).toMatch(/^Thanks! Before I start/m);
    expect(text).toContain("↻ continue (sent automatically)");
    expect(text).toMatch(/^↳ delegate to TaskPlannerAgent/m);
    expect(text).toMatch(/^>>> import os \(\+\d+ lines\)/m);
    expect(text).toMatch(/^✎ write \/workspace\/\S+\/main\.py \(\d+ B, \d+ lines\)$/m);
    expect(text).toMatch(/^\$ python3 \/workspace\/\S+\/main\.py 2 3$/m);
    expect(text).toMatch(/^ {2}⎿ exit 0/m);
    expect(text).toMatch(/^◆ read \/workspace\//m);
    expect(text).toMatch(/^✔ finished/m);
    // File contents are not dumped, nor raw JSON.
    expect(text).not.toContain("def solve(");
    expect(text).not.toContain('"action"');
  });

  it("at 50 columns: a background command's line fits, and the finish summary is shown whole", async () => {
    const columns = 50;
    const [frontEnd, python] = await Promise.all([
      runCliInTty(["chat", "-a", "FrontEndAgent", "Build a todo app in React"], {
        env: fresh().env,
        columns,
      }),
      runCliInTty(["chat", "Write a Python script that adds two numbers"], { env: fresh().env, columns }),
    ]);
    expect(frontEnd.code).toBe(0);
    expect(python.code).toBe(0);
    const background = stripAnsi(frontEnd.output)
      .split("\n")
      .filter((line) => line.includes("(background)"));
    expect(background).toHaveLength(1);
    expect(background[0]).toMatch(/^\$ cd .*… \(background\)$/);
    expect(Array.from(background[0] ?? "").length).toBeLessThanOrEqual(columns);
    const text = stripAnsi(python.output);
    const finish = text.slice(text.indexOf("✔ finished")).trimEnd().split("\n");
    for (const line of finish) expect(Array.from(line).length).toBeLessThanOrEqual(columns);
    expect(finish.map((line) => line.trim()).join(" ")).toBe(
      "✔ finished The module, its CLI and its tests are in place and the tests pass.",
    );
  });

  it.each([
    { name: "NO_COLOR", args: [] as string[], env: { NO_COLOR: "1" } },
    { name: "--no-color", args: ["--no-color"], env: {} },
  ])("$name turns colours off", async ({ args, env: extra }) => {
    const { env } = fresh();
    const { code, output } = await runCliInTty(["chat", ...args, "--no-auto-continue", "hello"], {
      env: { ...env, ...extra },
    });
    expect(code).toBe(0);
    expect(output).not.toMatch(COLOUR);
    expect(stripAnsi(output)).toContain("Thanks! Before I start");
  });

  it("errors are one line on the terminal too, with the exit code", async () => {
    const { env } = fresh();
    const { code, output } = await runCliInTty(["chat", "hi [[fault:status=422]]"], { env });
    expect(code).toBe(4);
    expect(stripAnsi(output)).toMatch(
      /^robocoders: POST \/chat was rejected as invalid \(422\).*Field required/m,
    );
  });
});

describe.skipIf(!HAS_SCRIPT)("interactive conversation", () => {
  function turns(cacheDir: string) {
    const { sid } = JSON.parse(readFileSync(cacheFileIn(cacheDir), "utf8")) as { sid: string };
    return { sid, records: fx.emulator.chats.filter((r) => r.sid === sid) };
  }

  it("sends every turn to the same session and leaves on /exit", async () => {
    const { env, cacheDir } = fresh();
    const { code, output } = await runCliInTty(["chat", "--no-auto-continue"], {
      env,
      steps: [
        { waitFor: "› ", send: "Write a todo app\r" },
        { waitFor: "› ", send: "continue\r" },
        { waitFor: "› ", send: "/exit\r" },
      ],
    });
    expect(code).toBe(0);
    const { records } = turns(cacheDir);
    expect(records.map((r) => r.cleanPrompt)).toEqual(["Write a todo app", "continue"]);
    const text = stripAnsi(output);
    expect(text).toContain("Chatting with GeneralCodingAgent");
    expect(text).toMatch(/^Thanks! Before I start on "Write a todo app"/m);
    expect(text).toMatch(/^✔ finished/m);
  });

  it("a mistyped /command is not sent; Ctrl-C over a half-typed line clears it instead of leaving", async () => {
    const { env } = fresh();
    const before = fx.emulator.chats.length;
    const { code, output } = await runCliInTty(["chat", "--no-auto-continue"], {
      env,
      steps: [
        { waitFor: "› ", send: "/nwe\r" },
        { waitFor: "Unknown command /nwe", send: "half a thought" },
        { waitFor: "half a thought", send: "\x03" },
        { waitFor: "› ", send: "a real question\r" },
        { waitFor: "› ", send: "/exit\r" },
      ],
    });
    expect(code).toBe(0);
    const sent = fx.emulator.chats.slice(before).map((r) => r.cleanPrompt);
    expect(sent).toEqual(["a real question"]);
    expect(stripAnsi(output)).toContain("/help lists the commands");
  });

  it("/new starts a fresh session; Ctrl-D leaves", async () => {
    const { env, cacheDir } = fresh();
    const before = fx.emulator.chats.length;
    const { code } = await runCliInTty(["chat", "--no-auto-continue", "-a", "repo"], {
      env,
      steps: [
        { waitFor: "› ", send: "first task\r" },
        { waitFor: "› ", send: "/new\r" },
        { waitFor: "› ", send: "second task\r" },
        { waitFor: "› ", send: "\x04" },
      ],
    });
    expect(code).toBe(0);
    const mine = fx.emulator.chats.slice(before).filter((r) => r.agent === "RepoAgent");
    expect(mine.map((r) => r.cleanPrompt)).toEqual(["first task", "second task"]);
    expect(mine[0]?.sid).not.toBe(mine[1]?.sid);
    expect(turns(cacheDir).sid).toBe(mine[1]?.sid);
  });

  it("a failed turn does not end the conversation", async () => {
    const { env, cacheDir } = fresh();
    const { code, output } = await runCliInTty(["chat", "--no-auto-continue"], {
      env,
      steps: [
        { waitFor: "› ", send: "broken [[fault:status=422]]\r" },
        { waitFor: "› ", send: "working\r" },
        { waitFor: "› ", send: "/exit\r" },
      ],
    });
    expect(code).toBe(0);
    expect(stripAnsi(output)).toMatch(/robocoders: POST \/chat was rejected as invalid \(422\)/);
    expect(turns(cacheDir).records.map((r) => r.cleanPrompt)).toContain("working");
  });

  it("Ctrl-C stops the running answer, aborts the request, and the conversation goes on", async () => {
    const { env } = fresh();
    fx.emulator.addFault({ silenceMs: 2_000, endpoint: "chat" });
    const aborted = fx.emulator.stats.chatStreams.aborted;
    const { code, output } = await runCliInTty(["chat", "--no-auto-continue"], {
      env,
      steps: [
        { waitFor: "› ", send: "[[verbose]] Write a Python script\r" },
        { waitFor: "Thanks!", send: "\x03" },
        { waitFor: "› ", send: "/exit\r" },
      ],
    });
    expect(code).toBe(0);
    expect(stripAnsi(output)).toContain("robocoders: Interrupted.");
    expect(fx.emulator.stats.chatStreams.aborted).toBeGreaterThan(aborted);
  });

  it("Ctrl-C at the prompt ends with exit 130", async () => {
    const { env } = fresh();
    const { code, output } = await runCliInTty(["chat"], { env, steps: [{ waitFor: "› ", send: "\x03" }] });
    expect(code).toBe(130);
    expect(stripAnsi(output)).toContain("robocoders: Interrupted.");
  });
});

describe.skipIf(!HAS_SCRIPT)("demo on a terminal", () => {
  it("is coloured and exits 0", async () => {
    const { code, output } = await runCliInTty(["demo", "--latency", "0"]);
    expect(code).toBe(0);
    expect(output).toMatch(COLOUR);
    expect(stripAnsi(output)).toContain("Demo finished");
  });
});

describe("script is available for the terminal tests", () => {
  it("util-linux script is installed", () => {
    expect(HAS_SCRIPT).toBe(true);
  });
});
