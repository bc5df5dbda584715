/**
 * Script shapes selected like faults: `ask-again[=<n>]` (a reply to a question gets another question, so
 * clients that continue more than once can be exercised) and `text-after-ask` (a text message follows the
 * question in the same stream), `write=<path>` (the agent also writes the given paths) and `markdown` (a
 * Markdown message before the first question).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Robocoders } from "../../src/client/index.js";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { MARKDOWN_MESSAGE, TEXT_AFTER_ASK } from "../../src/emulator/scripts.js";
import { lines, login, postJson } from "./helpers.js";

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  await emulator.close();
});

type Event = {
  action?: string;
  args?: { content?: string; wait_for_response?: boolean; path?: string };
};

async function turn(sid: string, auth: Record<string, string>, prompt: string): Promise<Event[]> {
  const res = await postJson(emulator, "/chat", { sid, prompt }, auth);
  expect(res.status).toBe(200);
  return lines(await res.text()).map((line) => JSON.parse(line) as Event);
}

const waits = (events: Event[]) =>
  events.map((e) => e.action === "message" && e.args?.wait_for_response === true);

describe("ask-again", () => {
  it("asks n more questions, one per reply, then works; the next task asks once again", async () => {
    const { sid, auth } = await login(emulator);
    const first = await turn(sid, auth, "Build a CLI calculator [[fault:ask-again=2]]");
    expect(waits(first)).toEqual([true]);
    const second = await turn(sid, auth, "continue");
    expect(waits(second)).toEqual([true]);
    expect(second[0]?.args?.content).toMatch(/^One more question about "Build a CLI calculator" \(1\)/);
    const third = await turn(sid, auth, "continue");
    expect(third[0]?.args?.content).toContain("(2)");
    expect(waits(third)).toEqual([true]);
    const fourth = await turn(sid, auth, "continue");
    expect(fourth.at(-1)?.action).toBe("finish");
    expect(waits(fourth).some(Boolean)).toBe(false);
    // A new task without the directive asks once, as usual.
    expect(waits(await turn(sid, auth, "Now a web version"))).toEqual([true]);
    expect((await turn(sid, auth, "continue")).at(-1)?.action).toBe("finish");
  });

  it("lets a client that continues several times get to the end", async () => {
    const client = new Robocoders({ baseURL: emulator.url, cacheDir: false, maxContinues: 3 });
    try {
      const texts: string[] = [];
      for await (const text of client.chat("Sort a list [[fault:ask-again=2]]", { newSession: true }).text())
        texts.push(text);
      const out = texts.join("");
      expect(out).toContain("One more question");
      expect(out.endsWith("All done! What's next on the agenda?")).toBe(true);
      const records = emulator.chats.slice(-4);
      expect(records.map((r) => r.cleanPrompt)).toEqual(["Sort a list", "continue", "continue", "continue"]);
      expect(records[0]?.faults).toEqual({ askAgain: 2 });
    } finally {
      await client.close();
    }
  });

  it("is counted and shown as a fault name", async () => {
    const { sid, auth } = await login(emulator);
    const before = emulator.stats.faultsInjected["ask-again"] ?? 0;
    await turn(sid, auth, "hello [[fault:ask-again]]");
    expect(emulator.stats.faultsInjected["ask-again"]).toBe(before + 1);
  });
});

describe("text-after-ask", () => {
  it("follows the question with a text message in the same stream", async () => {
    const { sid, auth } = await login(emulator);
    const first = await turn(sid, auth, "Write a parser [[fault:text-after-ask]]");
    expect(first.map((e) => e.action)).toEqual(["message", "message"]);
    expect(waits(first)).toEqual([true, false]);
    expect(first[1]?.args?.content).toBe(TEXT_AFTER_ASK);
    expect((await turn(sid, auth, "continue")).at(-1)?.action).toBe("finish");
  });

  it("with ask-again, follows every question", async () => {
    const { sid, auth } = await login(emulator);
    expect(waits(await turn(sid, auth, "Plan a trip [[fault:ask-again=1, text-after-ask]]"))).toEqual([
      true,
      false,
    ]);
    expect(waits(await turn(sid, auth, "continue"))).toEqual([true, false]);
    expect((await turn(sid, auth, "continue")).at(-1)?.action).toBe("finish");
  });

  it("appears in verbose streams before the agent waits", async () => {
    const { sid, auth } = await login(emulator);
    const res = await postJson(
      emulator,
      "/chat",
      { sid, prompt: "x [[fault:text-after-ask]] [[verbose]]" },
      auth,
    );
    const kinds = lines(await res.text()).map((line) => {
      const event = JSON.parse(line) as {
        action?: string;
        observation?: string;
        extras?: { agent_state?: string };
      };
      return event.action ?? `${event.observation}:${event.extras?.agent_state}`;
    });
    expect(kinds).toEqual([
      "agent_state_changed:running",
      "message",
      "message",
      "agent_state_changed:awaiting_user_input",
    ]);
  });
});

describe("write=<path>", () => {
  it("writes each path as given before the closing message; a repeated path gets a new version", async () => {
    const { sid, auth } = await login(emulator);
    const first = await turn(
      sid,
      auth,
      "Add two numbers [[fault:write=../up.py, write=/etc/x write=app/a.py write=app/a.py]]",
    );
    expect(first.some((e) => e.action === "write")).toBe(false);
    const work = await turn(sid, auth, "continue");
    const writes = work.filter((e) => e.action === "write");
    expect(writes.slice(-4).map((e) => e.args?.path)).toEqual(["../up.py", "/etc/x", "app/a.py", "app/a.py"]);
    expect(writes.at(-2)?.args?.content).toContain("return 1");
    expect(writes.at(-1)?.args?.content).toContain("return 2");
    expect(work.slice(-2).map((e) => e.action)).toEqual(["message", "finish"]);
    // The next task of the session writes only its own files.
    await turn(sid, auth, "Another task");
    const next = await turn(sid, auth, "continue");
    expect(next.filter((e) => e.action === "write").map((e) => e.args?.path)).not.toContain("app/a.py");
  });
});

describe("markdown", () => {
  it("puts a Markdown message before the first question", async () => {
    const { sid, auth } = await login(emulator);
    const events = await turn(sid, auth, "Plan it [[fault:markdown]]");
    expect(events.map((e) => e.args?.content === MARKDOWN_MESSAGE)).toEqual([true, false]);
    expect(waits(events)).toEqual([false, true]);
  });
});
