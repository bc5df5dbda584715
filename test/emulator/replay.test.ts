/**
 * Record and replay: the client's `record` option writes each /chat exchange (token redacted, body exactly
 * as received); an emulator started with `replay` answers /chat from such transcripts byte for byte.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { Robocoders } from "../../src/client/index.js";
import { InvalidArgumentError, StreamError } from "../../src/core/errors.js";
import { type ChatExchange, loadTranscripts, parseTranscript } from "../../src/core/transcript.js";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { login, rawRequest } from "./helpers.js";

const FIXTURES = fileURLToPath(new URL("../../examples/transcripts/", import.meta.url));
const FIXTURE = join(FIXTURES, "general-coding-agent.jsonl");
const dir = mkdtempSync(join(tmpdir(), "robocoders-replay-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const running: Emulator[] = [];
async function emulate(options: Parameters<typeof startEmulator>[0] = {}): Promise<Emulator> {
  const emulator = await startEmulator(options);
  running.push(emulator);
  return emulator;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.close()));
});

async function chatText(emulator: Emulator, prompt: string, record?: string): Promise<string> {
  const client = new Robocoders({ baseURL: emulator.url, cacheDir: false, ...(record ? { record } : {}) });
  try {
    let out = "";
    for await (const text of client.chat(prompt, { newSession: true }).text()) out += text;
    return out;
  } finally {
    await client.close();
  }
}

async function rawChat(emulator: Emulator, prompt: string) {
  const { sid, auth } = await login(emulator);
  return rawRequest(emulator, {
    method: "POST",
    path: "/chat",
    headers: auth,
    body: JSON.stringify({ sid, prompt }),
  });
}

describe("recording", () => {
  it("writes each /chat exchange as received, token redacted, to an owner-only file", async () => {
    const emulator = await emulate({ faults: "utf8, blank-lines, no-final-newline" });
    const file = join(dir, "recorded.jsonl");
    const out = await chatText(emulator, "Write a word counter ✍️", file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, "utf8");
    expect(text).not.toMatch(/eyJ[\w-]+\.eyJ/);
    const exchanges = parseTranscript(text, file);
    expect(exchanges).toHaveLength(2);
    const [first, second] = exchanges as [ChatExchange, ChatExchange];
    expect(first.request.headers.authorization).toBe("Bearer [redacted]");
    expect(first.request.json).toMatchObject({
      prompt: "Write a word counter ✍️",
      agent: "GeneralCodingAgent",
    });
    expect(second.request.json.prompt).toBe("continue");
    expect(first.response).toMatchObject({ status: 200, complete: true });
    // Exactly the bytes the emulator wrote: raw UTF-8, blank lines, no final newline.
    const sent = (i: number) => (emulator.chats[i]?.lines ?? []).map((l) => l.line).join("\n");
    expect(first.response.body).toBe(sent(0));
    expect(second.response.body).toBe(sent(1));
    expect(out.endsWith("All done! What's next on the agenda?")).toBe(true);
  });

  it("records error answers and a stream that broke off", async () => {
    const emulator = await emulate();
    const seen: ChatExchange[] = [];
    const client = new Robocoders({
      baseURL: emulator.url,
      cacheDir: false,
      retryDelay: 1,
      record: (e) => void seen.push(e),
    });
    try {
      const ask = async () => {
        let out = "";
        for await (const text of client.chat("hi", { newSession: true, maxContinues: 0 }).text()) out += text;
        return out;
      };
      // The 503 is retried and the next answer goes through; the cut stream is an error.
      emulator.addFault("status=503, endpoint=chat, count=1");
      expect(await ask()).toContain("Before I start");
      emulator.addFault("cut-mid-line=0, count=1");
      await expect(ask()).rejects.toThrow(StreamError);
    } finally {
      await client.close();
    }
    expect(seen.map((e) => [e.response.status, e.response.complete])).toEqual([
      [503, true],
      [200, true],
      [200, false],
    ]);
    expect(seen[0]?.response.body).toContain("<h1>503 Service Temporarily Unavailable</h1>");
    expect(seen[0]?.response.headers).toMatchObject({ "content-type": "text/html", server: "nginx" });
    const cut = seen[2]?.response.body ?? "";
    expect(cut.length).toBeGreaterThan(0);
    expect(cut.endsWith("\n")).toBe(false);
  });
});

describe("replay", () => {
  it("answers from the shipped fixture byte for byte, matched by prompt", async () => {
    const [ask, work] = (await loadTranscripts(FIXTURE)) as [ChatExchange, ChatExchange];
    const emulator = await emulate({ replay: FIXTURES });
    // "continue" first: matched by prompt, not by order.
    const second = await rawChat(emulator, "continue");
    expect(second.status).toBe(200);
    expect(second.body.toString("utf8")).toBe(work.response.body);
    expect(second.chunks.map((c) => c.toString())).toEqual(
      (work.response.body ?? "").split(/(?<=\n)/).filter((l) => l !== ""),
    );
    const first = await rawChat(emulator, "Write a Python script that adds two numbers");
    expect(first.body.toString("utf8")).toBe(ask.response.body);
    expect(emulator.chats.map((c) => c.outcome)).toEqual(["completed", "completed"]);
    expect(emulator.chats[1]?.texts).toEqual([JSON.parse(ask.response.body ?? "").args.content]);
    // Nothing left: a 500 that says so.
    const none = await rawChat(emulator, "continue");
    expect(none.status).toBe(500);
    expect(JSON.parse(none.body.toString())).toEqual({
      detail: "The emulator has no recorded /chat response left to replay",
    });
    // reset makes every exchange available again; an unknown prompt takes the next in order.
    emulator.reset();
    expect((await rawChat(emulator, "something else")).body.toString()).toBe(ask.response.body);
  });

  it("gives the client the recorded conversation", async () => {
    const emulator = await emulate({ replay: FIXTURE });
    const out = await chatText(emulator, "Write a Python script that adds two numbers");
    expect(out).toContain("Should the script read the two numbers");
    expect(out).toContain("Running Python code interactively: create_file('add.py')");
    expect(out.endsWith("anything else you’d like? 🚀")).toBe(true);
  });

  it("replays what the client recorded, byte for byte, and keeps the usual checks", async () => {
    const source = await emulate({ faults: "crlf, nan, control" });
    const file = join(dir, "roundtrip.jsonl");
    await chatText(source, "Make a todo list", file);
    const recorded = parseTranscript(readFileSync(file, "utf8"), file);
    const replayed = await emulate({ replay: file });
    const first = await rawChat(replayed, "Make a todo list");
    expect(first.body.toString("utf8")).toBe(recorded[0]?.response.body);
    const { sid } = await login(replayed);
    const unauthorized = await rawRequest(replayed, {
      method: "POST",
      path: "/chat",
      body: JSON.stringify({ sid, prompt: "continue" }),
    });
    expect(unauthorized.status).toBe(403);
  });

  it("replays error statuses, and cuts the connection where a recorded body broke off", async () => {
    const body = '{"id": 1, "message": "partial"}\n{"id": 2, "mess';
    const line = (status: number, text: string, complete: boolean, headers: Record<string, string> = {}) =>
      JSON.stringify({
        format: "robocoders-transcript/1",
        request: { method: "POST", path: "/chat", headers: {}, json: { sid: "s", prompt: "p" } },
        response: { status, headers, body: text, complete },
      });
    const file = join(dir, "errors.jsonl");
    writeFileSync(
      file,
      `${line(429, '{"detail": "Too Many Requests"}', true, { "content-type": "application/json", "retry-after": "7" })}\n${line(200, body, false)}\n`,
    );
    const emulator = await emulate({ replay: file });
    const limited = await rawChat(emulator, "p");
    expect(limited.status).toBe(429);
    expect(limited.headers["retry-after"]).toBe("7");
    expect(limited.body.toString()).toBe('{"detail": "Too Many Requests"}');
    const cut = await rawChat(emulator, "p");
    expect(cut.terminated).toBe(false);
    expect(cut.body.toString()).toBe(body);
    expect(emulator.chats.at(-1)?.outcome).toBe("cut-mid-line");
  });

  it("refuses a missing path or an invalid line with the place named", async () => {
    await expect(startEmulator({ replay: join(dir, "nothing-here.jsonl") })).rejects.toThrow(
      InvalidArgumentError,
    );
    const bad = join(dir, "bad.jsonl");
    writeFileSync(bad, '{"format": "robocoders-transcript/1"}\n');
    await expect(loadTranscripts(bad)).rejects.toThrow(`${bad}:1: "request" must be`);
    writeFileSync(bad, "\nnot json\n");
    await expect(loadTranscripts(bad)).rejects.toThrow(`${bad}:2: not valid JSON`);
  });
});
