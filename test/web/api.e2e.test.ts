/**
 * The workspace's native API end to end: the gateway in front of the emulator, driven with fetch as any
 * front end would.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Conversation, EventEntry, TimelineEntry } from "../../src/server/workspace/timeline.js";
import { until } from "../support.js";
import { json, readTimeline, type Stack, sseFrames, startStack, startUnreachableGateway } from "./helpers.js";

let stack: Stack;
let api: string;

beforeAll(async () => {
  stack = await startStack({ emulator: { verbose: true } });
  api = `${stack.server.url}/api`;
});
afterAll(() => stack.close());

async function create(body: Record<string, unknown> = {}): Promise<Conversation> {
  const response = await fetch(`${api}/conversations`, json("POST", body));
  expect(response.status).toBe(201);
  return (await response.json()) as Conversation;
}

async function turn(id: string, body: Record<string, unknown>) {
  const response = await fetch(`${api}/conversations/${id}/turns`, json("POST", body));
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
  return readTimeline(response);
}

const events = (entries: TimelineEntry[]) =>
  entries.filter((entry): entry is EventEntry => entry.type === "event").map((entry) => entry.event);

describe("conversations", () => {
  it("are created, listed, read, renamed and deleted", async () => {
    const made = await create({ agent: "repo" });
    expect(made).toMatchObject({ agent: "RepoAgent", status: "new", lastSeq: 0, autoContinue: true });
    const list = (await (await fetch(`${api}/conversations`)).json()) as { conversations: Conversation[] };
    expect(list.conversations.map((c) => c.id)).toContain(made.id);
    const renamed = await fetch(`${api}/conversations/${made.id}`, json("PATCH", { title: "  My   task " }));
    expect(await renamed.json()).toMatchObject({ title: "My task" });
    expect(await (await fetch(`${api}/conversations/${made.id}`)).json()).toMatchObject({ title: "My task" });
    expect((await fetch(`${api}/conversations/${made.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await fetch(`${api}/conversations/${made.id}`)).status).toBe(404);
  });

  it("reject bad input with clear errors", async () => {
    const bad = await fetch(`${api}/conversations`, json("POST", { agent: "nobody" }));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: "invalid_agent", param: "agent" } });
    const notJson = await fetch(`${api}/conversations`, json("POST", undefined, {}));
    expect(notJson.status).toBe(201);
    const broken = await fetch(`${api}/conversations`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    expect(await broken.json()).toMatchObject({ error: { code: "invalid_json" } });
    const conversation = await create();
    const empty = await fetch(
      `${api}/conversations/${conversation.id}/turns`,
      json("POST", { prompt: "  " }),
    );
    expect(empty.status).toBe(400);
    const retry = await fetch(`${api}/conversations/${conversation.id}/turns`, json("POST", { retry: true }));
    expect(await retry.json()).toMatchObject({ error: { code: "nothing_to_retry" } });
  });
});

describe("turns", () => {
  it("stream typed events (raw included) with ids, and continue automatically, marked as such", async () => {
    const conversation = await create();
    const { entries, idle } = await turn(conversation.id, { prompt: "add two numbers" });
    expect(idle).toMatchObject({ status: "finished" });
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
    const prompts = entries.filter((e) => e.type === "prompt");
    expect(prompts.map((p) => [p.prompt, p.auto])).toEqual([
      ["add two numbers", false],
      ["continue", true],
    ]);
    const typed = events(entries);
    const run = typed.find((e) => e.kind === "observation" && e.observation === "run");
    expect(run).toMatchObject({ kind: "observation", extras: { exit_code: 0 } });
    expect(run?.raw).toMatchObject({ observation: "run", extras: { exit_code: 0 } });
    expect(typed.some((e) => e.kind === "action" && e.action === "finish")).toBe(true);
    expect(entries.at(-1)).toMatchObject({ type: "turn-end", outcome: "finished" });
    const read = (await (await fetch(`${api}/conversations/${conversation.id}`)).json()) as Conversation;
    expect(read).toMatchObject({ title: "add two numbers", status: "finished", lastSeq: entries.length });
    // Both /chat calls went to the same session.
    const sids = stack.emulator.chats.filter((c) => c.sid === read.sid).map((c) => c.cleanPrompt);
    expect(sids).toEqual(["add two numbers", "continue"]);
  });

  it("wait for an answer when auto-continue is off, and the answer goes to the same session", async () => {
    const conversation = await create({ agent: "RepoAgent", autoContinue: false });
    const first = await turn(conversation.id, { prompt: "fix the parser" });
    expect(first.idle).toMatchObject({ status: "waiting" });
    expect(first.entries.filter((e) => e.type === "prompt")).toHaveLength(1);
    const second = await turn(conversation.id, { prompt: "yes, use main" });
    expect(second.idle).toMatchObject({ status: "finished" });
    expect(second.entries[0]).toMatchObject({
      type: "prompt",
      prompt: "yes, use main",
      auto: false,
      turn: 2,
    });
    const sid = (first.entries.at(-1) as { sid?: string }).sid;
    expect(sid).toBeDefined();
    expect((second.entries.at(-1) as { sid?: string }).sid).toBe(sid);
    expect(stack.emulator.chats.filter((c) => c.sid === sid).map((c) => c.cleanPrompt)).toEqual([
      "fix the parser",
      "yes, use main",
    ]);
  });

  it("resume after a dropped connection with Last-Event-ID, losing and repeating nothing", async () => {
    stack.emulator.setFaults("silence=40");
    try {
      const conversation = await create();
      const response = await fetch(
        `${api}/conversations/${conversation.id}/turns`,
        json("POST", { prompt: "resume me" }),
      );
      const seen: TimelineEntry[] = [];
      const controller = new AbortController();
      for await (const frame of sseFrames(response)) {
        seen.push(JSON.parse(frame.data) as TimelineEntry);
        if (seen.length === 3) break; // drops the connection
      }
      controller.abort();
      // The turn goes on without a viewer.
      const lastId = String(seen.at(-1)?.seq);
      const resumed = await fetch(`${api}/conversations/${conversation.id}/events`, {
        headers: { "last-event-id": lastId },
      });
      const rest = await readTimeline(resumed);
      const all = [...seen, ...rest.entries];
      expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
      expect(rest.idle).toMatchObject({ status: "finished" });
      const stored = (await (await fetch(`${api}/conversations/${conversation.id}/entries`)).json()) as {
        entries: TimelineEntry[];
      };
      expect(stored.entries).toEqual(all);
      // A reader from the start of a finished conversation gets everything and the idle frame.
      const replay = await readTimeline(
        await fetch(`${api}/conversations/${conversation.id}/events?after=0`),
      );
      expect(replay.entries).toEqual(all);
    } finally {
      stack.emulator.clearFaults();
    }
  });

  it("stop aborts the upstream request at once", async () => {
    stack.emulator.setFaults("silence=2000");
    try {
      const conversation = await create();
      const response = await fetch(
        `${api}/conversations/${conversation.id}/turns`,
        json("POST", { prompt: "slow" }),
      );
      const reading = readTimeline(response);
      await until(
        () =>
          stack.emulator.stats.chatStreams.started > 0 && stack.emulator.chats.at(-1)?.cleanPrompt === "slow",
      );
      const started = Date.now();
      const stop = await fetch(`${api}/conversations/${conversation.id}/stop`, json("POST"));
      expect(await stop.json()).toEqual({ stopped: true });
      const { entries, idle } = await reading;
      expect(Date.now() - started).toBeLessThan(1500);
      expect(entries.at(-1)).toMatchObject({ type: "turn-end", outcome: "stopped" });
      expect(idle).toMatchObject({ status: "stopped" });
      await until(() => stack.emulator.chats.at(-1)?.outcome === "aborted-by-client");
    } finally {
      stack.emulator.clearFaults();
    }
  });

  it("refuses a second turn while one runs", async () => {
    stack.emulator.setFaults("silence=300");
    try {
      const conversation = await create();
      const first = await fetch(
        `${api}/conversations/${conversation.id}/turns`,
        json("POST", { prompt: "one" }),
      );
      const second = await fetch(
        `${api}/conversations/${conversation.id}/turns`,
        json("POST", { prompt: "two" }),
      );
      expect(second.status).toBe(409);
      expect(await second.json()).toMatchObject({ error: { code: "turn_running" } });
      await fetch(`${api}/conversations/${conversation.id}/stop`, json("POST"));
      await readTimeline(first);
    } finally {
      stack.emulator.clearFaults();
    }
  });
});

describe("errors", () => {
  it("a rate limit fails the turn with the wait time, and the turn can be retried", async () => {
    const conversation = await create({ autoContinue: false });
    const failed = await turn(conversation.id, {
      prompt: "[[fault:status=429, retry-after=7, count=1]] hello",
    });
    expect(failed.idle).toMatchObject({ status: "failed" });
    expect(failed.entries.at(-1)).toMatchObject({
      type: "turn-end",
      outcome: "failed",
      error: { code: "rate_limited", retryAfterMs: 7000, retryable: true, status: 429 },
    });
    expect((failed.entries.at(-1) as { error: { message: string } }).error.message).toContain("7 s");
    const retried = await turn(conversation.id, { retry: true });
    expect(retried.idle).toMatchObject({ status: "waiting" });
    expect(retried.entries[0]).toMatchObject({ type: "prompt", turn: 2, auto: false });
  });

  it("a cut stream keeps what arrived whole and says the answer was cut", async () => {
    const conversation = await create({ autoContinue: false });
    const { entries } = await turn(conversation.id, { prompt: "[[fault:cut-mid-line=2]] cut me" });
    expect(events(entries).length).toBe(2);
    expect(entries.at(-1)).toMatchObject({
      type: "turn-end",
      outcome: "failed",
      error: { code: "stream_truncated" },
    });
  });

  it("an unreachable upstream is reported as such", async () => {
    const server = await startUnreachableGateway(stack);
    try {
      const made = (await (
        await fetch(`${server.url}/api/conversations`, json("POST"))
      ).json()) as Conversation;
      const response = await fetch(
        `${server.url}/api/conversations/${made.id}/turns`,
        json("POST", { prompt: "hi" }),
      );
      const { entries } = await readTimeline(response);
      expect(entries.at(-1)).toMatchObject({
        outcome: "failed",
        error: { code: "connection_failed", retryable: true },
      });
      expect((entries.at(-1) as { error: { message: string } }).error.message).toMatch(/unreachable/);
    } finally {
      await server.close();
    }
  });
});

describe("take it away", () => {
  it("exports the timeline as JSON Lines and gets the session's code", async () => {
    const conversation = await create();
    const { entries } = await turn(conversation.id, { prompt: "export me" });
    const exported = await fetch(`${api}/conversations/${conversation.id}/export`);
    expect(exported.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    expect(exported.headers.get("content-disposition")).toMatch(
      /^attachment; filename="robocoders-.*\.jsonl"$/,
    );
    const lines = (await exported.text()).split("\n");
    expect(lines.pop()).toBe("");
    expect(lines.map((line) => JSON.parse(line))).toEqual(entries);
    const code = await fetch(
      `${api}/conversations/${conversation.id}/code`,
      json("POST", { githubUsername: "octocat" }),
    );
    expect(code.status).toBe(200);
    expect(await code.json()).toMatchObject({ repoUrl: expect.stringMatching(/^https:\/\/github\.com\//) });
    const badUser = await fetch(
      `${api}/conversations/${conversation.id}/code`,
      json("POST", { githubUsername: "a b" }),
    );
    expect(badUser.status).toBe(400);
    const fresh = await create();
    const noSession = await fetch(
      `${api}/conversations/${fresh.id}/code`,
      json("POST", { githubUsername: "octocat" }),
    );
    expect(await noSession.json()).toMatchObject({ error: { code: "no_session" } });
  });
});
