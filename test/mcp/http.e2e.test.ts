/**
 * The MCP server over Streamable HTTP at `/mcp` of `robocoders serve` (the built CLI), driven by the
 * official SDK client against the emulator; and the gateway's API key, `Host` and `Origin` rules on it,
 * with raw requests shaped as a browser (or a DNS-rebinding page) sends them.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileUri, timelineUri } from "../../src/mcp/resources.js";
import { type CliProcess, cliFixture, startCli, until } from "../cli/helpers.js";
import { rawRequest } from "../server/raw-http.js";

const fx = cliFixture();
const KEY = "sk-mcp-test-key-0123456789";
const INITIALIZE = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "page", version: "1" } },
});

let serve: CliProcess | undefined;
let url = "";
let port = 0;

beforeAll(async () => {
  const { env } = fx.fresh();
  serve = startCli(["serve", "--port", "0"], {
    env: { ...env, ROBOCODERS_SERVER_API_KEY: KEY },
    keepStdinOpen: true,
  });
  url = ((await serve.waitForStdout(/^http:\/\/\S+\n/m)).trim().split("\n")[0] ?? "").trim();
  port = Number(new URL(url).port);
}, 60_000);

afterAll(async () => {
  serve?.child.kill("SIGTERM");
  await serve?.done;
});

async function connect(key = KEY): Promise<Client> {
  const client = new Client({ name: "robocoders-http-test", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${key}` } },
    }),
  );
  return client;
}

type Structured = {
  session: string;
  status: string;
  files: { path: string; uri: string | null }[];
};

describe("MCP over Streamable HTTP at /mcp of robocoders serve", () => {
  it("runs a task with progress, and every connection reads the sessions' resources", async () => {
    fx.emulator.reset();
    const client = await connect();
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual([
        "run_task",
        "answer_agent",
        "get_session_code",
        "list_agents",
      ]);
      const progress: string[] = [];
      const result = await client.callTool(
        { name: "run_task", arguments: { agent: "FrontEndAgent", prompt: "A landing page" } },
        undefined,
        { onprogress: (p) => progress.push(p.message ?? "") },
      );
      const structured = result.structuredContent as Structured;
      expect(structured.status).toBe("finished");
      expect(progress[0]).toMatch(/^Asks: /);
      expect(progress).toContain("Delegating to TaskPlannerAgent");

      // A second connection (another MCP session) sees the same sessions.
      const other = await connect();
      try {
        const { resources } = await other.listResources();
        expect(resources.map((r) => r.uri)).toEqual([
          timelineUri(structured.session),
          ...structured.files.map((f) => f.uri),
        ]);
        const page = structured.files[0];
        expect(page?.uri).toBe(fileUri(structured.session, page?.path ?? ""));
        const read = await other.readResource({ uri: page?.uri ?? "" });
        expect((read.contents[0] as { text: string }).text).toContain("export default function Home()");
      } finally {
        await other.close();
      }
    } finally {
      await client.close();
    }
  });

  it("cancelling a call aborts the upstream request at once", async () => {
    fx.emulator.reset();
    fx.emulator.addFault({ silenceMs: 30_000, endpoint: "chat" });
    const client = await connect();
    try {
      const controller = new AbortController();
      const progress: string[] = [];
      const call = client.callTool(
        { name: "run_task", arguments: { prompt: "Write a slow script" } },
        undefined,
        {
          signal: controller.signal,
          onprogress: (p) => {
            progress.push(p.message ?? "");
            if (progress.length === 2) controller.abort("stop");
          },
        },
      );
      await expect(call).rejects.toThrow(/stop/);
      await until(() => fx.emulator.stats.chatStreams.aborted === 1, 5000);
      expect(fx.emulator.chats.at(-1)).toMatchObject({
        cleanPrompt: "continue",
        outcome: "aborted-by-client",
      });
    } finally {
      fx.emulator.clearFaults();
      await client.close();
    }
  });

  it("refuses a request without the API key, and a wrong key", async () => {
    const keyless = await rawRequest(port, {
      method: "POST",
      path: "/mcp",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: INITIALIZE,
    });
    expect(keyless.status).toBe(401);
    await expect(connect("sk-wrong")).rejects.toThrow();
  });

  it("refuses a page of another origin, even with a simple text/plain request, and runs nothing", async () => {
    fx.emulator.reset();
    for (const type of ["text/plain;charset=UTF-8", "application/json"]) {
      const response = await rawRequest(port, {
        method: "POST",
        path: "/mcp",
        headers: {
          origin: "http://evil.example",
          "content-type": type,
          accept: "application/json, text/event-stream",
          authorization: `Bearer ${KEY}`,
          "sec-fetch-mode": "cors",
          "sec-fetch-site": "cross-site",
        },
        body: INITIALIZE,
      });
      expect(response.status).toBe(403);
      expect(response.headers["mcp-session-id"]).toBeUndefined();
    }
    expect(fx.emulator.stats.totalRequests).toBe(0);
  });

  it("refuses a DNS-rebinding request (a Host that is not loopback)", async () => {
    const response = await rawRequest(port, {
      method: "POST",
      path: "/mcp",
      headers: {
        host: `attacker.example:${port}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        authorization: `Bearer ${KEY}`,
      },
      body: INITIALIZE,
    });
    expect(response.status).toBe(403);
    expect(response.headers["mcp-session-id"]).toBeUndefined();
  });

  it("answers an unknown MCP session with 404 and a request without one (but initialize) with 400", async () => {
    const headers = {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      authorization: `Bearer ${KEY}`,
    };
    const list = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" });
    const unknown = await rawRequest(port, {
      method: "POST",
      path: "/mcp",
      headers: { ...headers, "mcp-session-id": "3b0c6f3e-0000-4000-8000-000000000000" },
      body: list,
    });
    expect(unknown.status).toBe(404);
    const none = await rawRequest(port, { method: "POST", path: "/mcp", headers, body: list });
    expect(none.status).toBe(400);
    const get = await rawRequest(port, { method: "GET", path: "/mcp", headers });
    expect(get.status).toBe(400);
  });
});
