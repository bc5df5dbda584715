import { fetch } from "undici";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AGENTS, type Emulator, startEmulator } from "../../src/emulator/index.js";
import { lines, login, postJson } from "./helpers.js";

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  await emulator.close();
});

type Event = Record<string, unknown> & {
  id?: number;
  action?: string;
  observation?: string;
  args?: Record<string, unknown>;
};

async function chat(
  sid: string,
  auth: Record<string, string>,
  prompt: string,
  agent: string,
  headers: Record<string, string> = {},
): Promise<{ raw: string[]; events: Event[] }> {
  const res = await postJson(emulator, "/chat", { sid, prompt, agent }, { ...auth, ...headers });
  expect(res.status).toBe(200);
  const raw = lines(await res.text());
  return { raw, events: raw.map((line) => JSON.parse(line) as Event) };
}

describe.each(AGENTS)("%s script", (agent) => {
  it("asks first, works to a finish on continue, and starts a new task afterwards", async () => {
    const { sid, auth } = await login(emulator);
    const first = await chat(sid, auth, "Build a small app for my café ☕", agent);
    expect(first.events).toHaveLength(1);
    const ask = first.events[0] as Event;
    expect(ask.action).toBe("message");
    expect(ask.args).toEqual({ content: ask.message, wait_for_response: true, extras: {} });
    expect(String(ask.message)).toContain("café ☕");
    expect(String(ask.message)).toContain("?");
    expect(first.raw[0]).toContain("caf\\u00e9 \\u2615");

    const second = await chat(sid, auth, "continue", agent);
    const actions = second.events.map((e) => e.action);
    expect(actions.at(-1)).toBe("finish");
    expect(second.events.at(-1)?.message).toBe("All done! What's next on the agenda?");
    expect(actions).toContain("run");
    expect(actions).toContain("write");
    expect(second.events.every((e) => e.sid === sid && e.source === "agent" && "action" in e)).toBe(true);
    for (const event of second.events) {
      const args = event.args ?? {};
      switch (event.action) {
        case "run":
          expect(event.message).toBe(`Running command: ${args.command}`);
          break;
        case "run_ipython":
          expect(event.message).toBe(`Running Python code interactively: ${args.code}`);
          break;
        case "write":
          expect(event.message).toBe(`Writing file: ${args.path}`);
          break;
        case "read":
          expect(event.message).toBe(`Reading file: ${args.path}`);
          break;
        case "delegate":
          expect(event.message).toBe(`I'm asking ${args.agent} for help with this task.`);
          break;
        case "message":
          expect(event.message).toBe(args.content);
          expect(args.wait_for_response).toBe(false);
          break;
      }
    }
    // Ids count per session, increase, and have gaps.
    const ids = [...first.events, ...second.events].map((e) => e.id as number);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.some((id, i) => i > 0 && id - (ids[i - 1] as number) > 1)).toBe(true);

    const third = await chat(sid, auth, "Now add a README", agent);
    expect(third.events).toHaveLength(1);
    expect(third.events[0]?.args?.wait_for_response).toBe(true);
    expect(third.events[0]?.message).toContain("Now add a README");
    expect(third.events[0]?.id).toBeGreaterThan(ids.at(-1) as number);
  });
});

describe("sessions", () => {
  it("keeps state per sid, with ids counting from each session's own start", async () => {
    const a = await login(emulator);
    const b = await login(emulator);
    const firstA = await chat(a.sid, a.auth, "task A", "GeneralCodingAgent");
    const firstB = await chat(b.sid, b.auth, "task B", "RepoAgent");
    expect(firstA.events[0]?.id).toBe(firstB.events[0]?.id);
    const secondA = await chat(a.sid, a.auth, "continue", "GeneralCodingAgent");
    expect(secondA.events.at(-1)?.action).toBe("finish");
    const secondB = await chat(b.sid, b.auth, "continue", "RepoAgent");
    expect(secondB.events.at(-1)?.action).toBe("finish");
    expect(secondB.raw.join("\n")).toContain("git clone");
  });

  it("uses the agent of each call, defaulting to GeneralCodingAgent", async () => {
    const { sid, auth } = await login(emulator);
    const res = await postJson(emulator, "/chat", { sid, prompt: "hi" }, auth);
    await res.text();
    expect(emulator.chats.at(-1)?.agent).toBe("GeneralCodingAgent");
    const work = await chat(sid, auth, "continue", "FrontEndAgent");
    expect(work.raw.join("\n")).toContain("create-next-app");
    expect(work.events.some((e) => e.action === "browse")).toBe(true);
  });
});

describe("verbose streams", () => {
  const checkVerbose = (events: Event[]) => {
    expect(events[0]).toMatchObject({
      observation: "agent_state_changed",
      extras: { agent_state: "running" },
    });
    expect(events.at(-1)).toMatchObject({
      observation: "agent_state_changed",
      extras: { agent_state: "finished" },
    });
    const run = events.find((e) => e.observation === "run") as Event & {
      cause: number;
      extras: { exit_code: number };
    };
    expect(typeof run.extras.exit_code).toBe("number");
    expect(events.find((e) => e.id === run.cause)?.action).toBe("run");
    expect(Object.keys(run)).toEqual([
      "id",
      "timestamp",
      "source",
      "message",
      "cause",
      "observation",
      "content",
      "extras",
      "sid",
    ]);
  };

  it("adds observations and state changes per request, by header or directive", async () => {
    const { sid, auth } = await login(emulator);
    const ask = await chat(sid, auth, "task [[verbose]]", "GeneralCodingAgent");
    expect(ask.events.map((e) => e.observation ?? e.action)).toEqual([
      "agent_state_changed",
      "message",
      "agent_state_changed",
    ]);
    expect(ask.events[2]).toMatchObject({ extras: { agent_state: "awaiting_user_input" } });
    checkVerbose(
      (await chat(sid, auth, "continue", "GeneralCodingAgent", { "x-emulator-verbose": "1" })).events,
    );
  });

  it("is an instance option, switchable at runtime, and a header can turn it off", async () => {
    const other = await startEmulator({ verbose: true });
    try {
      const token = await other.mintToken();
      const sid = other.createSession();
      const post = (prompt: string, headers: Record<string, string> = {}) =>
        fetch(`${other.url}/chat`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers },
          body: JSON.stringify({ sid, prompt }),
        }).then(async (r) => lines(await r.text()).map((l) => JSON.parse(l) as Event));
      expect((await post("task")).length).toBe(3);
      checkVerbose(await post("continue"));
      expect((await post("task", { "x-emulator-verbose": "0" })).length).toBe(1);
      other.setVerbose(false);
      expect((await post("continue")).every((e) => "action" in e)).toBe(true);
    } finally {
      await other.close();
    }
  });
});

describe("counters and records", () => {
  it("counts requests per endpoint and status, tokens, sessions, streams and faults; reset() zeroes them", async () => {
    const local = await startEmulator();
    try {
      await (await fetch(`${local.url}/auth`)).text();
      const token = await local.mintToken();
      const auth = { authorization: `Bearer ${token}` };
      const { sid } = (await (await fetch(`${local.url}/create-session`, { headers: auth })).json()) as {
        sid: string;
      };
      await (await fetch(`${local.url}/create-session`)).text();
      const post = (body: unknown, headers: Record<string, string> = {}) =>
        fetch(`${local.url}/chat`, {
          method: "POST",
          headers: { ...auth, "content-type": "application/json", ...headers },
          body: JSON.stringify(body),
        });
      await (await post({ sid, prompt: "task" })).text();
      await (await post({ sid, prompt: "x" }, { "x-emulator-fault": "status=503" })).text();
      await (await post({ sid, prompt: "continue" }, { "x-emulator-fault": "crlf" })).text();
      await expect(
        (await post({ sid, prompt: "again" }, { "x-emulator-fault": "cut-mid-line" })).text(),
      ).rejects.toThrow();
      await (await fetch(`${local.url}/nowhere`)).text();

      const s = local.stats;
      expect(s.totalRequests).toBe(8);
      expect(s.requests).toEqual({
        auth: 1,
        "create-session": 2,
        chat: 4,
        "get-session-code": 0,
        docs: 0,
        "openapi.json": 0,
        other: 1,
      });
      expect(s.statuses.chat).toEqual({ 200: 3, 503: 1 });
      expect(s.statuses["create-session"]).toEqual({ 200: 1, 403: 1 });
      expect(s.statuses.other).toEqual({ 404: 1 });
      expect(s.tokensIssued).toBe(2);
      expect(s.sessionsCreated).toBe(1);
      await vi.waitFor(() => expect(s.chatStreams).toEqual({ started: 3, completed: 2, aborted: 0, cut: 1 }));
      expect(s.faultsInjected).toEqual({ "status:503": 1, crlf: 1, "cut-mid-line": 1 });

      expect(local.chats.map((c) => c.outcome)).toEqual(["completed", "completed", "cut-mid-line"]);
      const work = local.chats[1];
      expect(work?.prompt).toBe("continue");
      expect(work?.faults).toEqual({ crlf: true });
      expect(work?.texts.at(-1)).toBe("All done! What's next on the agenda?");
      expect(work?.lines.every((l) => l.kind === "event")).toBe(true);

      local.reset();
      expect(local.stats.totalRequests).toBe(0);
      expect(local.stats.chatStreams.started).toBe(0);
      expect(local.chats).toHaveLength(0);
      expect(local.hasSession(sid)).toBe(true);
    } finally {
      await local.close();
    }
  });

  it("notices a client that aborts a stream early", async () => {
    const { sid, auth } = await login(emulator);
    await (await postJson(emulator, "/chat", { sid, prompt: "task" }, auth)).text();
    const before = emulator.stats.chatStreams.aborted;
    const controller = new AbortController();
    const res = await fetch(`${emulator.url}/chat`, {
      method: "POST",
      signal: controller.signal,
      headers: { ...auth, "content-type": "application/json", "x-emulator-fault": "silence=200" },
      body: JSON.stringify({ sid, prompt: "continue" }),
    });
    const reader = res.body?.getReader();
    await reader?.read();
    controller.abort();
    await vi.waitFor(() => expect(emulator.stats.chatStreams.aborted).toBe(before + 1));
    const record = emulator.chats.find((c) => c.sid === sid && c.prompt === "continue");
    expect(record?.outcome).toBe("aborted-by-client");
    expect(record?.completed).toBe(false);
    expect(record?.lines.length).toBeGreaterThanOrEqual(1);
  });

  it("close() ends open streams and is idempotent", async () => {
    const local = await startEmulator();
    const token = await local.mintToken();
    const sid = local.createSession();
    const res = await fetch(`${local.url}/chat`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        "x-emulator-fault": "slow-body=60000",
      },
      body: JSON.stringify({ sid, prompt: "task" }),
    });
    const body = res.text();
    await local.close();
    await local.close();
    await expect(body).rejects.toThrow();
  });
});
