/**
 * Conversation affinity through the gateway: follow-ups continue the session, new conversations get
 * new ones, `X-Robocoders-Session` pins one.
 */
import OpenAI, { APIError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorText, type Stack, startStack } from "./helpers.js";

let stack: Stack;
let openai: OpenAI;

beforeAll(async () => {
  stack = await startStack();
  openai = new OpenAI({ baseURL: stack.baseURL, apiKey: "unused", maxRetries: 0 });
});
afterAll(async () => {
  await stack?.close();
});

type Message = OpenAI.ChatCompletionMessageParam;

async function ask(
  messages: Message[],
  options: { stream?: boolean; headers?: Record<string, string> } = {},
) {
  const request = { model: "GeneralCodingAgent", messages };
  if (options.stream === true) {
    const { data, response } = await openai.chat.completions
      .create({ ...request, stream: true }, { headers: options.headers })
      .withResponse();
    let text = "";
    for await (const chunk of data) text += chunk.choices[0]?.delta.content ?? "";
    return { text, sid: response.headers.get("x-robocoders-session") };
  }
  const { data, response } = await openai.chat.completions
    .create(request, { headers: options.headers })
    .withResponse();
  return { text: data.choices[0]?.message.content ?? "", sid: response.headers.get("x-robocoders-session") };
}

/** The prompt the emulator's agent received on the latest `/chat` of a session. */
function lastPrompt(sid: string | null): string | undefined {
  return stack.emulator.chats.findLast((record) => record.sid === sid)?.cleanPrompt;
}

describe("conversation affinity", () => {
  it("continues the session of a follow-up and sends only the new user message", async () => {
    const history: Message[] = [
      { role: "system", content: "You write Python." },
      { role: "user", content: "Write a CLI that adds two numbers" },
    ];
    const first = await ask(history);
    expect(first.sid).toEqual(expect.any(String));
    expect(lastPrompt(first.sid)).toBe(
      "System: You write Python.\nUser: Write a CLI that adds two numbers\nAssistant:",
    );

    history.push(
      { role: "assistant", content: first.text },
      { role: "user", content: "Use argparse, go ahead" },
    );
    const second = await ask(history, { stream: true });
    expect(second.sid).toBe(first.sid);
    expect(lastPrompt(second.sid)).toBe("Use argparse, go ahead");

    history.push({ role: "assistant", content: second.text }, { role: "user", content: "Now add tests" });
    const third = await ask(history);
    expect(third.sid).toBe(first.sid);
    expect(lastPrompt(third.sid)).toBe("Now add tests");
    const all = emulatorText(stack.emulator, first.sid);
    for (const part of [first.text, second.text, third.text]) expect(all).toContain(part);
  });

  it("gives a new conversation, or an edited history, a new session and the whole history", async () => {
    const first = await ask([{ role: "user", content: "Write a web scraper" }]);
    const other = await ask([{ role: "user", content: "Write a web scraper" }]);
    expect(other.sid).not.toBe(first.sid);

    const edited = await ask([
      { role: "user", content: "Write a web scraper" },
      { role: "assistant", content: "something the gateway never said" },
      { role: "user", content: "go on" },
    ]);
    expect(edited.sid).not.toBe(first.sid);
    expect(lastPrompt(edited.sid)).toBe(
      "User: Write a web scraper\nAssistant: something the gateway never said\nUser: go on\nAssistant:",
    );
  });

  it("X-Robocoders-Session pins a session", async () => {
    const first = await ask([{ role: "user", content: "Write a todo app" }]);
    const sid = first.sid ?? "";
    const pinned = await ask([{ role: "user", content: "Also add a README" }], {
      headers: { "X-Robocoders-Session": sid },
    });
    expect(pinned.sid).toBe(sid);
    expect(lastPrompt(sid)).toBe("Also add a README");
  });

  it("a pinned session this gateway did not create is a 404, a malformed one a 400", async () => {
    const unknown = await ask([{ role: "user", content: "hi" }], {
      headers: { "X-Robocoders-Session": "00000000-0000-4000-8000-000000000000" },
    }).catch((error: unknown) => error);
    expect(unknown).toBeInstanceOf(APIError);
    expect(unknown).toMatchObject({ status: 404, code: "session_not_found" });
    const malformed = await ask([{ role: "user", content: "hi" }], {
      headers: { "X-Robocoders-Session": "not a session!" },
    }).catch((error: unknown) => error);
    expect(malformed).toMatchObject({ status: 400, code: "invalid_session" });
  });

  it("continues a remembered point at most once: regenerate, an edit or a second client forks", async () => {
    const history: Message[] = [{ role: "user", content: "Write a unit converter" }];
    const first = await ask(history);
    const point: Message[] = [...history, { role: "assistant", content: first.text }];
    const follow = await ask([...point, { role: "user", content: "Use metres" }]);
    expect(follow.sid).toBe(first.sid);
    expect(lastPrompt(follow.sid)).toBe("Use metres");
    // "Regenerate" sends the same request again: a fork, with the whole history in a new session.
    const regenerated = await ask([...point, { role: "user", content: "Use metres" }], { stream: true });
    expect(regenerated.sid).not.toBe(first.sid);
    expect(lastPrompt(regenerated.sid)).toBe(
      `User: Write a unit converter\nAssistant: ${first.text}\nUser: Use metres\nAssistant:`,
    );
    // An edited last message from the same point forks too, into yet another session.
    const edited = await ask([...point, { role: "user", content: "Use feet" }]);
    expect(new Set([first.sid, regenerated.sid, edited.sid]).size).toBe(3);
    // Each fork is a conversation of its own that continues normally.
    const forkFollow = await ask([
      ...point,
      { role: "user", content: "Use metres" },
      { role: "assistant", content: regenerated.text },
      { role: "user", content: "thanks" },
    ]);
    expect(forkFollow.sid).toBe(regenerated.sid);
    expect(lastPrompt(forkFollow.sid)).toBe("thanks");
  });

  it("keeps callers apart: another user never continues or pins someone else's session", async () => {
    const history: Message[] = [{ role: "user", content: "Write a chess engine" }];
    const alice = await openai.chat.completions
      .create({ model: "GeneralCodingAgent", messages: history, user: "alice" })
      .withResponse();
    const aliceSid = alice.response.headers.get("x-robocoders-session") ?? "";
    const next: Message[] = [
      ...history,
      { role: "assistant", content: alice.data.choices[0]?.message.content ?? "" },
      { role: "user", content: "go on" },
    ];
    const bob = await openai.chat.completions
      .create({ model: "GeneralCodingAgent", messages: next, user: "bob" })
      .withResponse();
    expect(bob.response.headers.get("x-robocoders-session")).not.toBe(aliceSid);
    const pinned = await openai.chat.completions
      .create(
        { model: "GeneralCodingAgent", messages: [{ role: "user", content: "hi" }], user: "bob" },
        { headers: { "X-Robocoders-Session": aliceSid } },
      )
      .catch((error: unknown) => error);
    expect(pinned).toMatchObject({ status: 404, code: "session_not_found" });
    // Alice herself may still pin and continue it.
    const own = await openai.chat.completions
      .create(
        { model: "GeneralCodingAgent", messages: next, user: "alice" },
        { headers: { "X-Robocoders-Session": aliceSid } },
      )
      .withResponse();
    expect(own.response.headers.get("x-robocoders-session")).toBe(aliceSid);
    expect(lastPrompt(aliceSid)).toBe("go on");
  });

  it("starts over with the whole history when a remembered session expired upstream", async () => {
    const history: Message[] = [{ role: "user", content: "Write a markdown linter" }];
    const first = await ask(history);
    stack.emulator.forgetSession(first.sid ?? "");
    history.push({ role: "assistant", content: first.text }, { role: "user", content: "continue" });
    const second = await ask(history);
    expect(second.sid).not.toBe(first.sid);
    expect(lastPrompt(second.sid)).toBe(
      `User: Write a markdown linter\nAssistant: ${first.text}\nUser: continue\nAssistant:`,
    );
  });
});
