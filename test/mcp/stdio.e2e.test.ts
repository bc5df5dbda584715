/**
 * `robocoders mcp` over stdio, driven by the official MCP SDK client against the emulator: tools, each
 * agent, progress, cancellation, resources, and the errors a model can act on.
 */
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { AGENTS } from "../../src/client/types.js";
import { toEvent } from "../../src/core/events.js";
import { progressMessage } from "../../src/mcp/progress.js";
import { fileUri, timelineUri } from "../../src/mcp/resources.js";
import { cliFixture, runCli, until } from "../cli/helpers.js";
import { connectStdio, type StdioSession, texts } from "./helpers.js";

const fx = cliFixture();

async function withServer<T>(fn: (session: StdioSession) => Promise<T>, args: string[] = []): Promise<T> {
  const { env } = fx.fresh();
  fx.emulator.reset();
  const session = await connectStdio(args, env);
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}

type Structured = Record<string, unknown> & {
  session: string;
  status: string;
  commands: { command: string; exit_code: number | null }[];
  files: { path: string; uri: string | null; bytes: number | null }[];
};

describe("robocoders mcp (stdio)", () => {
  it("lists the tools with argument and result schemas", async () => {
    await withServer(async ({ client, errors }) => {
      expect(client.getServerVersion()).toMatchObject({ name: "robocoders" });
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual([
        "run_task",
        "answer_agent",
        "get_session_code",
        "list_agents",
      ]);
      for (const tool of tools) {
        expect(tool.description?.length).toBeGreaterThan(60);
        expect(tool.inputSchema.type).toBe("object");
        expect(tool.outputSchema?.type).toBe("object");
      }
      const run = tools[0];
      expect(run?.inputSchema.required).toEqual(["prompt"]);
      expect(run?.inputSchema.properties?.agent).toMatchObject({
        enum: [...AGENTS],
        default: "GeneralCodingAgent",
      });
      const listed = await client.callTool({ name: "list_agents", arguments: {} });
      expect(listed.structuredContent).toMatchObject({
        agents: AGENTS.map((name) => ({ name, default: name === "GeneralCodingAgent" })),
      });
      expect(errors).toEqual([]);
    });
  });

  it.each(AGENTS)("runs a task with %s to the end, reporting progress per action", async (agent) => {
    await withServer(async ({ client, errors, received }) => {
      // Every progress notification, as it arrived, before the result.
      const wire = () => {
        const end = received.findIndex((m) => "result" in m);
        return received
          .slice(0, end < 0 ? undefined : end)
          .flatMap((m) =>
            "method" in m && m.method === "notifications/progress" ? [String(m.params?.message)] : [],
          );
      };
      const progress: string[] = [];
      const result = await client.callTool(
        { name: "run_task", arguments: { agent, prompt: "Build a greeting service" } },
        undefined,
        { onprogress: (p) => progress.push(p.message ?? "") },
      );
      expect(result.isError).toBeUndefined();
      const structured = result.structuredContent as Structured;
      expect(structured).toMatchObject({
        agent,
        status: "finished",
        waiting_for_answer: false,
        auto_continued: 1,
        timeline_uri: timelineUri(structured.session),
      });
      // The answer is the agent's last message, as the emulator sent it.
      const records = fx.emulator.chats.filter((c) => c.sid === structured.session);
      expect(records.map((r) => r.cleanPrompt)).toEqual(["Build a greeting service", "continue"]);
      const last = records.at(-1);
      const messages = last?.lines.filter((l) => l.value?.action === "message").map((l) => l.text) ?? [];
      expect(texts(result)[0]).toBe(messages.at(-1));
      expect(JSON.parse(texts(result)[1] ?? "")).toEqual(structured);
      // The commands and files of the call, as the emulator sent them (a compact stream has no exit codes).
      const sentActions = records.flatMap((r) =>
        r.lines.flatMap((l) =>
          l.value?.action === undefined ? [] : [l.value as { action: string; args: Record<string, unknown> }],
        ),
      );
      expect(structured.commands).toEqual(
        sentActions
          .filter((a) => a.action === "run" || a.action === "run_ipython")
          .map((a) => ({
            command: a.action === "run" ? a.args.command : a.args.code,
            language: a.action === "run" ? "shell" : "python",
            exit_code: null,
            background: a.args.background === true,
          })),
      );
      const writes = sentActions.filter((a) => a.action === "write");
      expect(writes.length).toBeGreaterThan(0);
      expect(structured.files).toEqual(
        writes.map((a) => ({
          path: a.args.path,
          operation: "write",
          bytes: Buffer.byteLength(String(a.args.content)),
          uri: fileUri(structured.session, String(a.args.path)),
        })),
      );
      // One progress line per agent action of both turns, in order.
      const actions = records.flatMap((r) =>
        r.lines.flatMap((l) => (l.value?.action === undefined ? [] : [l.value])),
      );
      expect(wire()).toEqual(actions.map((value) => progressMessage(toEvent(value))));
      // What the SDK's client hands to onprogress: the same, less any that arrived in one read with the
      // result (it handles notifications a tick late, after the result has removed the handler).
      expect(progress).toEqual(wire().slice(0, progress.length));
      expect(progress[0]).toMatch(/^Asks: /);
      expect(wire().at(-1)).toMatch(/^Finished: /);
      expect(progress.some((p) => p.startsWith("Running: "))).toBe(true);
      expect(errors.filter((e) => !/progress notification for an unknown token/.test(e.message))).toEqual([]);
    });
  });

  it("returns the agent's question without auto-continue, and answer_agent resumes the session", async () => {
    await withServer(async ({ client }) => {
      const first = await client.callTool({
        name: "run_task",
        arguments: { agent: "RepoAgent", prompt: "Fix the config parser", auto_continue: false },
      });
      const asked = first.structuredContent as Structured;
      expect(asked).toMatchObject({
        status: "waiting_for_answer",
        waiting_for_answer: true,
        auto_continued: 0,
      });
      expect(texts(first)[0]).toMatch(/^Which repository and branch should I use/);
      const second = await client.callTool({
        name: "answer_agent",
        arguments: { session: asked.session, text: "Use main, go ahead" },
      });
      expect(second.structuredContent).toMatchObject({
        session: asked.session,
        agent: "RepoAgent",
        status: "finished",
        auto_continued: 0,
      });
      const records = fx.emulator.chats.filter((c) => c.sid === asked.session);
      expect(records.map((r) => [r.agent, r.cleanPrompt])).toEqual([
        ["RepoAgent", "Fix the config parser"],
        ["RepoAgent", "Use main, go ahead"],
      ]);
    });
  });

  it("cancelling the call aborts the upstream request at once", async () => {
    await withServer(async ({ client }) => {
      const controller = new AbortController();
      const progress: string[] = [];
      // 30 s of silence between the events of a response: the call is cancelled after the first event of
      // the agent's work (the second turn, after the automatic "continue").
      fx.emulator.addFault({ silenceMs: 30_000, endpoint: "chat" });
      const call = client.callTool(
        { name: "run_task", arguments: { prompt: "Write a slow script" } },
        undefined,
        {
          signal: controller.signal,
          onprogress: (p) => {
            progress.push(p.message ?? "");
            if (progress.length === 2) controller.abort("the user pressed stop");
          },
        },
      );
      await expect(call).rejects.toThrow(/the user pressed stop/);
      expect(progress).toEqual([expect.stringMatching(/^Asks: /), "Delegating to TaskPlannerAgent"]);
      await until(() => fx.emulator.stats.chatStreams.aborted === 1, 5000);
      const record = fx.emulator.chats.at(-1);
      expect(record).toMatchObject({
        cleanPrompt: "continue",
        outcome: "aborted-by-client",
        completed: false,
      });
      expect(record?.lines).toHaveLength(1);
      // The server still answers afterwards.
      expect((await client.listTools()).tools).toHaveLength(4);
    });
  });

  it("reports the exit code of each command when the stream carries observations", async () => {
    await withServer(async ({ client }) => {
      fx.emulator.setVerbose(true);
      try {
        const result = await client.callTool({
          name: "run_task",
          arguments: { agent: "RepoAgent", prompt: "Fix the parser" },
        });
        const { commands, status } = result.structuredContent as Structured;
        expect(status).toBe("finished");
        const observed = fx.emulator.chats.flatMap((c) =>
          c.lines.flatMap((l) =>
            l.value?.observation === "run" ? [l.value.extras as { exit_code: number }] : [],
          ),
        );
        expect(commands.map((c) => c.exit_code)).toEqual(observed.map((o) => o.exit_code));
        expect(commands.map((c) => c.exit_code)).toContain(1);
      } finally {
        fx.emulator.setVerbose(false);
      }
    });
  });

  it("lists each session used as a resource and reads its timeline and files", async () => {
    await withServer(async ({ client }) => {
      const changed: number[] = [];
      client.setNotificationHandler(
        (await import("@modelcontextprotocol/sdk/types.js")).ResourceListChangedNotificationSchema,
        () => {
          changed.push(Date.now());
        },
      );
      expect((await client.listResources()).resources).toEqual([]);
      const sessions: string[] = [];
      const files = new Map<string, string[]>();
      for (const agent of ["FrontEndAgent", "GeneralCodingAgent"] as const) {
        const result = await client.callTool({
          name: "run_task",
          arguments: { agent, prompt: `Page for ${agent}` },
        });
        const structured = result.structuredContent as Structured;
        sessions.push(structured.session);
        files.set(
          structured.session,
          structured.files.map((f) => f.uri ?? ""),
        );
      }
      const { resources } = await client.listResources();
      // Per session, newest first: its timeline, then each file it wrote.
      expect(resources.map((r) => r.uri)).toEqual(
        [...sessions].reverse().flatMap((sid) => [timelineUri(sid), ...(files.get(sid) ?? [])]),
      );
      expect(resources[0]).toMatchObject({ mimeType: "application/jsonl" });
      await until(() => changed.length >= 2);
      const { resourceTemplates } = await client.listResourceTemplates();
      expect(resourceTemplates.map((t) => t.uriTemplate)).toContain(
        "robocoders://sessions/{session}/timeline.jsonl",
      );

      const sid = sessions[0] ?? "";
      const read = await client.readResource({ uri: timelineUri(sid) });
      const text = (read.contents[0] as { text: string }).text;
      expect(text.endsWith("\n")).toBe(true);
      const timeline = text
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line) as unknown);
      const sent = fx.emulator.chats
        .filter((c) => c.sid === sid)
        .flatMap((c) => c.lines.filter((l) => l.kind === "event").map((l) => l.value));
      expect(timeline).toEqual(sent);

      // Each file's latest content, as the agent wrote it.
      const written = fx.emulator.chats
        .filter((c) => c.sid === sid)
        .flatMap((c) =>
          c.lines.flatMap((l) =>
            l.value?.action === "write" ? [l.value.args as { path: string; content: string }] : [],
          ),
        );
      expect(written.length).toBeGreaterThan(0);
      for (const { path, content } of written) {
        const file = await client.readResource({ uri: fileUri(sid, path) });
        expect(file.contents).toEqual([
          { uri: fileUri(sid, path), mimeType: "text/typescript", text: content },
        ]);
      }

      await expect(client.readResource({ uri: timelineUri("no-such-session") })).rejects.toMatchObject({
        code: -32002,
      });
    });
  });

  it("reports a rate limit with the wait time as a tool error", async () => {
    await withServer(async ({ client }) => {
      fx.emulator.addFault({ status: 429, retryAfter: 1, count: 3, endpoint: "chat" });
      const result = await client.callTool({ name: "run_task", arguments: { prompt: "Write a script" } });
      expect(result.isError).toBe(true);
      expect(texts(result)[0]).toBe(
        "Rate limited by the Robocoders service (HTTP 429). Wait 1 second, then call the tool again with the same arguments.",
      );
      expect(result.structuredContent).toMatchObject({ error: "rate_limited", retry_after_seconds: 1 });
      expect(fx.emulator.stats.statuses.chat[429]).toBe(3);
    });
  });

  it("reports an unknown session as a tool error, for every tool that takes one", async () => {
    await withServer(async ({ client }) => {
      const sid = "00000000-0000-4000-8000-000000000000";
      for (const [name, args] of [
        ["run_task", { prompt: "hello", session: sid }],
        ["answer_agent", { session: sid, text: "continue" }],
        ["get_session_code", { session: sid, github_user: "octocat" }],
      ] as const) {
        const result = await client.callTool({ name, arguments: args });
        expect(result.isError).toBe(true);
        expect(texts(result)[0]).toMatch(new RegExp(`^Unknown session: Session ${sid} is not known`));
        expect(result.structuredContent).toMatchObject({ error: "not_found", session: sid });
      }
      expect(fx.emulator.stats.sessionsCreated).toBe(0);
    });
  });

  it("returns the code repository of a session", async () => {
    await withServer(async ({ client }) => {
      const run = await client.callTool({ name: "run_task", arguments: { prompt: "Write a CLI" } });
      const sid = (run.structuredContent as Structured).session;
      const result = await client.callTool({
        name: "get_session_code",
        arguments: { session: sid, github_user: "octocat" },
      });
      expect(result.isError).toBeUndefined();
      expect(result.structuredContent).toMatchObject({
        session: sid,
        repo_url: expect.stringMatching(/^https:\/\/github\.com\//),
      });
    });
  });

  it("answers invalid arguments and unknown tools with protocol errors", async () => {
    await withServer(async ({ client }) => {
      for (const [name, args, pattern] of [
        ["run_task", { prompt: "x", agent: "NoSuchAgent" }, /agent/],
        ["run_task", { prompt: "" }, /prompt/],
        ["run_task", { prompt: "x", surprise: 1 }, /surprise/],
        ["answer_agent", { text: "x" }, /session/],
        ["get_session_code", { session: "s", github_user: "not a user!" }, /github_user/],
        ["list_agents", { extra: true }, /extra/],
        ["no_such_tool", {}, /Unknown tool/],
      ] as const) {
        const error = await client.callTool({ name, arguments: args }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, name).toBeInstanceOf(McpError);
        expect((error as McpError).code).toBe(ErrorCode.InvalidParams);
        expect((error as McpError).message).toMatch(pattern);
      }
      expect(fx.emulator.stats.requests.chat).toBe(0);
    });
  });

  it("reports an unreachable service as a tool error", async () => {
    const { env } = fx.fresh();
    const session = await connectStdio(["--base-url", "http://127.0.0.1:9"], env);
    try {
      const result = await session.client.callTool({ name: "run_task", arguments: { prompt: "hello" } });
      expect(result.isError).toBe(true);
      expect(texts(result)[0]).toMatch(
        /^The Robocoders service at http:\/\/127\.0\.0\.1:9 is unreachable \(/,
      );
      expect(result.structuredContent).toMatchObject({ error: "connection_failed" });
    } finally {
      await session.close();
    }
  });

  it("writes only protocol messages on stdout: --verbose logs go to stderr, the token never", async () => {
    await withServer(
      async ({ client, errors, stderr }) => {
        await client.callTool({ name: "run_task", arguments: { prompt: "Write a script" } });
        expect(errors).toEqual([]);
        await until(() => stderr().includes("/chat"));
        expect(stderr()).toContain("robocoders MCP server on stdio");
        expect(stderr()).not.toMatch(/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/);
      },
      ["--verbose"],
    );
  });

  it("answers the calls it received before its input ended, then exits with 0", async () => {
    const { env } = fx.fresh();
    const lines = [
      {
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "sh", version: "1" } },
      },
      { jsonrpc: "2.0", method: "notifications/initialized" },
      {
        jsonrpc: "2.0",
        id: 2,
        method: "tools/call",
        params: { name: "run_task", arguments: { prompt: "Write add.py" } },
      },
    ];
    const result = await runCli(["mcp"], { env, input: lines.map((l) => `${JSON.stringify(l)}\n`).join("") });
    expect(result.code).toBe(0);
    const messages = result.stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as { id?: number; result?: { structuredContent?: unknown } });
    expect(messages.map((m) => m.id).filter((id) => id !== undefined)).toEqual([1, 2]);
    expect(messages.at(-1)?.result?.structuredContent).toMatchObject({ status: "finished" });
  });
});
