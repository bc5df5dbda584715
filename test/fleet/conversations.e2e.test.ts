/**
 * Three `robocoders serve` processes sharing one redis-server, requests round-robined over them: one
 * conversation stays in one upstream session with one `/auth` for the fleet, a fork gets its own session,
 * a killed instance's conversation goes on through the others, 200 concurrent conversations are each
 * answered with what the emulator sent, and a Redis restart costs 503s but no running stream.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatPrompt } from "../../src/core/messages.js";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { ensureBuilt } from "../cli/helpers.js";
import { useRedis } from "../redis.js";
import {
  type Answer,
  complete,
  expectedAnswer,
  type Instance,
  type Message,
  startInstance,
  turnRecords,
} from "./helpers.js";

const redis = useRedis();
let emulator: Emulator;
const fleet: Instance[] = [];
let turn = 0;
/** The next instance, round robin. */
const next = () => fleet[turn++ % fleet.length] as Instance;
const start = () =>
  startInstance({ baseURL: emulator.url, store: redis().url, args: ["--store-prefix", "conv:"] });

beforeAll(async () => {
  ensureBuilt();
  emulator = await startEmulator({ port: 0 });
  fleet.push(...(await Promise.all([start(), start(), start()])));
}, 120_000);

afterAll(async () => {
  await Promise.all(fleet.map((instance) => instance.kill()));
  await emulator?.close();
});

/** Checks an answer against the emulator's record of the `/chat` that carried `prompt`. */
function expectAnswered(answer: Answer, prompt: string): void {
  expect(answer.status, answer.error?.message).toBe(200);
  expect(answer.error).toBeUndefined();
  const records = turnRecords(emulator, prompt);
  expect(answer.sid).toBe(records[0]?.sid);
  expect(answer.text).toBe(expectedAnswer(records));
}

describe("three instances on one Redis", () => {
  it("keeps a 5-turn conversation in one upstream session with one /auth; a fork gets its own", async () => {
    const messages: Message[] = [{ role: "user", content: "Write a Python script that adds two numbers" }];
    const history: Message[][] = [];
    const sids: Array<string | null> = [];
    for (let i = 0; i < 5; i++) {
      history.push([...messages]);
      const answer = await complete(next().url, messages, { stream: i % 2 === 1 });
      // The first turn sends the history; each later one only its new message.
      expectAnswered(answer, i === 0 ? formatPrompt(messages) : `Now step ${i}`);
      sids.push(answer.sid);
      messages.push(
        { role: "assistant", content: answer.text },
        { role: "user", content: `Now step ${i + 1}` },
      );
    }
    expect(new Set(sids).size).toBe(1);
    expect(emulator.stats.sessionsCreated).toBe(1);
    expect(emulator.stats.requests.auth).toBe(1);

    // Turn 3 sent again (a regenerate) through another instance: a new session, with the whole history.
    const forked = history[2] as Message[];
    const fork = await complete(next().url, forked);
    expect(fork.status).toBe(200);
    expect(fork.sid).not.toBe(sids[0]);
    const forkRecords = emulator.chats.filter((record) => record.sid === fork.sid);
    expect(fork.text).toBe(expectedAnswer(forkRecords));
    expect(forkRecords[0]?.cleanPrompt).toMatch(/^User: Write a Python script that adds two numbers\n/);
    expect(forkRecords[0]?.cleanPrompt).toMatch(/\nUser: Now step 1\n[\s\S]*\nUser: Now step 2\nAssistant:$/);
    // Turn 3's message edited, through a third instance: its point was continued already, so a new session.
    const again = await complete(next().url, [
      ...forked.slice(0, -1),
      { role: "user", content: "Now step 2!" },
    ]);
    expect(again.status).toBe(200);
    expect(new Set([sids[0], fork.sid, again.sid]).size).toBe(3);
    expect(emulator.stats.requests.auth).toBe(1);
  });

  it("goes on with a conversation through the others when its instance is killed", async () => {
    const messages: Message[] = [{ role: "user", content: "Write a shell script that counts files" }];
    const victim = fleet[0] as Instance;
    const first = await complete(victim.url, messages, { stream: true });
    expectAnswered(first, formatPrompt(messages));
    await victim.kill();
    fleet.splice(0, 1);

    const sid = first.sid;
    let previous = first;
    for (const [i, instance] of fleet.entries()) {
      messages.push(
        { role: "assistant", content: previous.text },
        { role: "user", content: `Count step ${i}` },
      );
      const answer = await complete(instance.url, messages);
      expectAnswered(answer, `Count step ${i}`);
      expect(answer.sid).toBe(sid);
      previous = answer;
    }
    fleet.push(await start());
  });

  it("keeps the web workspace's conversations on Redis: run through one instance, read and continued through another", async () => {
    const [a, b, c] = fleet as [Instance, Instance, Instance];
    const api = async (instance: Instance, path: string, body?: unknown) => {
      const response = await fetch(`${instance.url}/api${path}`, {
        method: body === undefined ? "GET" : "POST",
        headers: { "content-type": "application/json" },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      // A turn answers with its timeline as SSE: read to the end (the turn ran).
      return response.headers.get("content-type")?.startsWith("text/event-stream")
        ? { status: response.status, text: await response.text() }
        : { status: response.status, json: (await response.json()) as Record<string, unknown> };
    };
    const created = await api(a, "/conversations", { agent: "GeneralCodingAgent", autoContinue: false });
    expect(created.status).toBe(201);
    const id = String(created.json?.id);
    expect(
      (await api(a, `/conversations/${id}/turns`, { prompt: "Write a todo app in Flask" })).text,
    ).toContain("event: turn-end");

    const read = await api(b, `/conversations/${id}`);
    expect(read.json).toMatchObject({ id, title: "Write a todo app in Flask", turns: 1 });
    const sid = String(read.json?.sid);
    expect(sid).toBe(turnRecords(emulator, "Write a todo app in Flask")[0]?.sid);
    const listed = (await api(c, "/conversations")).json?.conversations as Array<{ id: string }>;
    expect(listed.map((conversation) => conversation.id)).toContain(id);

    // The next turn through another instance continues the same session; entries are numbered on.
    expect((await api(c, `/conversations/${id}/turns`, { prompt: "continue" })).text).toContain(
      "event: turn-end",
    );
    const entries = (await api(b, `/conversations/${id}/entries`)).json?.entries as Array<{
      seq: number;
      type: string;
      sid?: string;
    }>;
    expect(entries.map((entry) => entry.seq)).toEqual(entries.map((_, i) => i + 1));
    expect(entries.filter((entry) => entry.type === "prompt")).toHaveLength(2);
    expect(entries.filter((entry) => entry.type === "turn-end").map((entry) => entry.sid)).toEqual([
      sid,
      sid,
    ]);
    expect((await api(a, `/conversations/${id}`)).json).toMatchObject({ sid, turns: 2 });
  });

  it("answers 200 concurrent conversations over three instances, each as the emulator sent it", async () => {
    const count = 200;
    const sessionsBefore = emulator.stats.sessionsCreated;
    const firsts = await Promise.all(
      Array.from({ length: count }, (_, i) => {
        const messages: Message[] = [{ role: "user", content: `Task ${i}: write a function` }];
        return complete((fleet[i % 3] as Instance).url, messages, { stream: i % 2 === 0 });
      }),
    );
    for (const [i, answer] of firsts.entries()) {
      expectAnswered(answer, formatPrompt([{ role: "user", content: `Task ${i}: write a function` }]));
    }
    expect(emulator.stats.sessionsCreated - sessionsBefore).toBe(count);

    // The second turn of each through another instance continues its session.
    const seconds = await Promise.all(
      firsts.map((first, i) =>
        complete(
          (fleet[(i + 1) % 3] as Instance).url,
          [
            { role: "user", content: `Task ${i}: write a function` },
            { role: "assistant", content: first.text },
            { role: "user", content: `Task ${i}: add a test` },
          ],
          { stream: i % 2 === 1 },
        ),
      ),
    );
    for (const [i, answer] of seconds.entries()) {
      expectAnswered(answer, `Task ${i}: add a test`);
      expect(answer.sid).toBe(firsts[i]?.sid);
    }
    expect(emulator.stats.sessionsCreated - sessionsBefore).toBe(count);
    expect(emulator.stats.requests.auth).toBe(1);
  }, 60_000);

  it("answers 503 store_unavailable while Redis restarts, finishes running streams, and recovers by itself", async () => {
    const prompt = "Write a slow build script [[fault:verbose silence=300]]";
    const [a, b] = fleet as [Instance, Instance];
    const response = await fetch(`${a.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "GeneralCodingAgent",
        stream: true,
        messages: [{ role: "user", content: prompt }],
      }),
    });
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>)
      .pipeThrough(new TextDecoderStream())
      .getReader();
    let raw = "";
    // The first content chunk: the stream runs.
    while (!/"content":"[^"]/.test(raw)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the stream ended early: ${raw}`);
      raw += value;
    }

    await redis().stop();
    let afterRefusal = "";
    try {
      const refused = await complete(b.url, [{ role: "user", content: "Anything while Redis is away" }]);
      expect(refused.status).toBe(503);
      expect(refused.error?.code).toBe("store_unavailable");
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      // The running stream goes on, and ends (remembering the conversation fails) while Redis is away.
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        afterRefusal += value;
      }
    } finally {
      await redis().start();
    }
    expect(afterRefusal).toMatch(/"content":"[^"]/);
    raw += afterRefusal;
    // The running stream was not cut: it ends with stop, and its text is what the emulator sent.
    expect(raw).not.toContain('"error"');
    expect(raw).toContain('"finish_reason":"stop"');
    expect(raw.trimEnd().endsWith("data: [DONE]")).toBe(true);
    let text = "";
    for (const line of raw.split("\n")) {
      if (!line.startsWith("data: {")) continue;
      text +=
        (JSON.parse(line.slice(6)) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta
          .content ?? "";
    }
    expect(text).toBe(expectedAnswer(turnRecords(emulator, "Write a slow build script")));

    // Back by itself, on every instance (the new Redis is empty: persistence is off).
    for (const instance of fleet) {
      await expect
        .poll(
          async () =>
            (await complete(instance.url, [{ role: "user", content: `Back ${instance.url}` }])).status,
          {
            timeout: 10_000,
            interval: 200,
          },
        )
        .toBe(200);
    }
  }, 30_000);
});
