import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  APICallError,
  type LanguageModelV3CallOptions,
  type LanguageModelV3StreamPart,
  NoSuchModelError,
} from "@ai-sdk/provider";
import { generateText, streamText, type TextStreamPart, type ToolSet } from "ai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  createRobocoders,
  type RobocodersProvider,
  type RobocodersProviderMetadata,
  robocoders,
} from "../../src/ai-sdk/index.js";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { sentText, until } from "../support.js";

const TASK = "Write a Python script add.py that adds two numbers";

let emulator: Emulator;
let cacheDir: string;
let provider: RobocodersProvider;

beforeAll(async () => {
  // Warnings are asserted below; keep the AI SDK from printing them.
  globalThis.AI_SDK_LOG_WARNINGS = false;
  emulator = await startEmulator();
  cacheDir = await mkdtemp(join(tmpdir(), "robocoders-ai-sdk-"));
  provider = createRobocoders({ baseURL: emulator.url, cacheDir, proxy: false, accessToken: undefined });
});

afterAll(async () => {
  await provider?.close();
  await emulator?.close();
  if (cacheDir !== undefined) await rm(cacheDir, { recursive: true, force: true });
});

beforeEach(() => emulator.reset());

function robocodersMetadata(metadata: unknown): RobocodersProviderMetadata {
  expect(metadata).toMatchObject({ robocoders: { sid: expect.any(String), agent: expect.any(String) } });
  return (metadata as { robocoders: RobocodersProviderMetadata }).robocoders;
}

/** Runs a first turn (the agent's question) and returns its session id. */
async function startSession(): Promise<string> {
  const first = await generateText({
    model: provider("GeneralCodingAgent", { maxContinues: 0 }),
    prompt: TASK,
  });
  const sid = robocodersMetadata(first.providerMetadata).sid;
  if (sid === undefined) throw new Error("no session id");
  return sid;
}

describe("streamText", () => {
  it("streams the agent's words in order, with activity and the session in the metadata", async () => {
    const result = streamText({ model: provider("GeneralCodingAgent"), prompt: TASK });
    const parts: TextStreamPart<ToolSet>[] = [];
    for await (const part of result.fullStream) parts.push(part);

    const types = parts.map((part) => part.type);
    expect(types[0]).toBe("start");
    expect(types[1]).toBe("start-step");
    expect(types.at(-2)).toBe("finish-step");
    expect(types.at(-1)).toBe("finish");
    // Every text run is opened, filled and closed before the next one.
    let open: string | undefined;
    for (const part of parts) {
      if (part.type === "text-start") {
        expect(open).toBeUndefined();
        open = part.id;
      } else if (part.type === "text-delta") expect(part.id).toBe(open);
      else if (part.type === "text-end") {
        expect(part.id).toBe(open);
        open = undefined;
      }
    }
    expect(types.filter((type) => type === "text-start").length).toBeGreaterThanOrEqual(2);

    const text = await result.text;
    const [first, second] = emulator.chats;
    expect(emulator.chats).toHaveLength(2); // the question, then one automatic "continue"
    expect(second?.prompt).toBe("continue");
    // The agent's question and its closing message are text; commands and file contents are not.
    expect(text.startsWith(first?.texts[0] ?? "?")).toBe(true);
    expect(text).toContain("All done! What's next on the agenda?");
    expect(text).not.toContain("Running command:");
    expect(text).not.toContain("def solve");

    expect(await result.finishReason).toBe("stop");
    expect((await result.steps)[0]?.rawFinishReason).toBe("finish");
    const metadata = robocodersMetadata(await result.providerMetadata);
    expect(metadata).toMatchObject({ sid: first?.sid, agent: "GeneralCodingAgent", turns: 2 });
    expect(emulator.hasSession(metadata.sid ?? "")).toBe(true);
    expect(metadata.activity.map((a) => a.type)).toEqual(expect.arrayContaining(["run", "write", "finish"]));
    const run = metadata.activity.find((a) => a.type === "run");
    expect(run?.args?.command).toEqual(expect.stringContaining("python3"));
    expect((await result.response).id).toBe(first?.sid);
    expect((await result.response).modelId).toBe("GeneralCodingAgent");
  });

  it("gives the library's text exactly in reference mode", async () => {
    const result = streamText({
      model: provider("repo", { textMode: "reference" }),
      prompt: "Fix the failing test in utils.py",
    });
    const text = await result.text;
    expect(emulator.chats.length).toBeGreaterThan(0);
    expect(text).toBe(sentText(emulator.chats));
    expect(robocodersMetadata(await result.providerMetadata).agent).toBe("RepoAgent");
  });

  it("passes each event as a raw chunk when asked", async () => {
    const result = streamText({
      model: provider("GeneralCodingAgent", { maxContinues: 0 }),
      prompt: TASK,
      includeRawChunks: true,
    });
    const raws: unknown[] = [];
    for await (const part of result.fullStream) if (part.type === "raw") raws.push(part.rawValue);
    expect(raws).toEqual(
      emulator.chats[0]?.lines.flatMap((line) => (line.value === undefined ? [] : [line.value])),
    );
  });

  it("warns about settings it cannot honour", async () => {
    const result = streamText({
      model: provider("GeneralCodingAgent", { maxContinues: 0 }),
      prompt: TASK,
      temperature: 0.2,
      topP: 0.9,
      stopSequences: ["END"],
    });
    await result.consumeStream();
    const warnings = (await result.warnings) ?? [];
    expect(warnings.map((w) => (w.type === "other" ? w.message : w.feature))).toEqual([
      "temperature",
      "topP",
      "stopSequences",
    ]);
    expect(emulator.chats).toHaveLength(1);
  });

  it("aborts the HTTP request when the signal fires", async () => {
    const sid = await startSession();
    const controller = new AbortController();
    let aborted = false;
    const result = streamText({
      model: provider("GeneralCodingAgent", { textMode: "reference", sid }),
      // One event, then a long silence before each next one: only an abort ends this stream early.
      prompt: "[[fault:silence=600000]] continue",
      abortSignal: controller.signal,
      onAbort: () => {
        aborted = true;
      },
    });
    const seen: string[] = [];
    for await (const part of result.fullStream) {
      seen.push(part.type);
      if (part.type === "text-delta") controller.abort();
    }
    expect(aborted).toBe(true);
    expect(seen).toContain("abort");
    expect(seen).not.toContain("finish");
    await until(() => emulator.chats[1]?.outcome === "aborted-by-client");
    expect(emulator.chats[1]?.lines).toHaveLength(1);
  });

  it("reports a broken stream as an error part after the text so far", async () => {
    const sid = await startSession();
    const errors: unknown[] = [];
    const result = streamText({
      model: provider("GeneralCodingAgent", { textMode: "reference", sid }),
      prompt: "[[fault:cut-mid-line=3]] continue",
      onError: ({ error }) => {
        errors.push(error);
      },
    });
    const parts: TextStreamPart<ToolSet>[] = [];
    for await (const part of result.fullStream) parts.push(part);
    const deltas = parts.flatMap((part) => (part.type === "text-delta" ? [part.text] : []));
    expect(deltas).toEqual(emulator.chats[1]?.texts.slice(0, 3));
    const error = parts.find((part) => part.type === "error");
    expect(error?.type === "error" && APICallError.isInstance(error.error)).toBe(true);
    expect(error).toMatchObject({ error: { isRetryable: false } });
    expect(errors).toHaveLength(1);
    expect(parts.findIndex((part) => part.type === "text-end")).toBeLessThan(
      parts.findIndex((part) => part.type === "error"),
    );
    expect(await result.finishReason).toBe("error");
  });
});

describe("doStream", () => {
  const callOptions = (text: string): LanguageModelV3CallOptions => ({
    prompt: [{ role: "user", content: [{ type: "text", text }] }],
  });

  it("emits stream-start, response-metadata, text runs and finish in this order", async () => {
    const model = provider("GeneralCodingAgent", { maxContinues: 0 });
    const { stream, request } = await model.doStream(callOptions(TASK));
    const parts: LanguageModelV3StreamPart[] = [];
    for await (const part of stream) parts.push(part);
    const sid = emulator.chats[0]?.sid;
    expect(request?.body).toEqual({ sid, prompt: TASK, agent: "GeneralCodingAgent" });
    expect(parts.map((part) => part.type)).toEqual([
      "stream-start",
      "response-metadata",
      "text-start",
      "text-delta",
      "text-end",
      "finish",
    ]);
    expect(parts[1]).toMatchObject({ id: sid, modelId: "GeneralCodingAgent", timestamp: expect.any(Date) });
    expect(parts[3]).toMatchObject({ delta: emulator.chats[0]?.texts[0] });
    expect(parts[5]).toMatchObject({
      finishReason: { unified: "stop", raw: "awaiting_user_input" },
      usage: { inputTokens: { total: undefined }, outputTokens: { total: undefined } },
      providerMetadata: { robocoders: { sid, turns: 1, activity: [] } },
    });
  });

  it("aborts the HTTP request when the reader cancels", async () => {
    const sid = await startSession();
    const model = provider("GeneralCodingAgent", { sid });
    const { stream } = await model.doStream(callOptions("[[fault:silence=600000]] continue"));
    const reader = stream.getReader();
    expect((await reader.read()).value?.type).toBe("stream-start");
    await reader.cancel();
    await until(() => emulator.chats[1]?.outcome === "aborted-by-client");
    expect(emulator.chats[1]?.lines).toHaveLength(1);
  });
});

describe("generateText", () => {
  it("returns the whole text, the finish reason and the session", async () => {
    const result = await generateText({ model: provider("FrontEndAgent"), prompt: "Add a dark mode toggle" });
    const metadata = robocodersMetadata(result.providerMetadata);
    expect(result.text.length).toBeGreaterThan(0);
    expect(result.text).toContain(emulator.chats[0]?.texts[0]);
    expect(result.finishReason).toBe("stop");
    expect(result.response.id).toBe(metadata.sid);
    expect(result.response.modelId).toBe("FrontEndAgent");
    expect(result.request.body).toEqual({
      sid: metadata.sid,
      prompt: "Add a dark mode toggle",
      agent: "FrontEndAgent",
    });
    expect(result.warnings).toEqual([]);
  });

  it("keeps the workspace across turns by passing the session id back", async () => {
    const model = provider("GeneralCodingAgent", { maxContinues: 0 });
    const first = await generateText({ model, prompt: TASK });
    expect(first.finishReason).toBe("stop");
    expect(first.steps[0]?.rawFinishReason).toBe("awaiting_user_input");
    const sid = robocodersMetadata(first.providerMetadata).sid;

    const second = await generateText({
      model,
      system: "You are helpful.",
      messages: [
        { role: "user", content: TASK },
        { role: "assistant", content: first.text },
        { role: "user", content: "continue" },
      ],
      providerOptions: { robocoders: { sid: sid ?? null } },
    });
    expect(robocodersMetadata(second.providerMetadata).sid).toBe(sid);
    expect(emulator.chats.map((chat) => [chat.sid, chat.prompt])).toEqual([
      [sid, TASK],
      [sid, "continue"],
    ]);
    expect(emulator.stats.sessionsCreated).toBe(1);
    expect(second.text).toContain("All done!");
  });

  it("creates a fresh session per call unless told to reuse the cached one", async () => {
    const model = provider("GeneralCodingAgent", { maxContinues: 0 });
    const a = robocodersMetadata((await generateText({ model, prompt: "one" })).providerMetadata).sid;
    const b = robocodersMetadata((await generateText({ model, prompt: "two" })).providerMetadata).sid;
    expect(a).not.toBe(b);
    const cached = provider("GeneralCodingAgent", { maxContinues: 0, newSession: false });
    const c = robocodersMetadata(
      (await generateText({ model: cached, prompt: "three" })).providerMetadata,
    ).sid;
    expect(c).toBe(b);
  });

  it("reports an error frame as finish reason error, its message in the activity", async () => {
    const result = await generateText({
      model: provider("RepoAgent"),
      prompt: "[[fault:error-frame]] fix it",
    });
    expect(result.finishReason).toBe("error");
    const activity = robocodersMetadata(result.providerMetadata).activity;
    expect(activity.at(-1)).toMatchObject({ kind: "control", type: "error", message: expect.any(String) });
  });

  it("cancels the request when the signal fires", async () => {
    const sid = await startSession();
    const controller = new AbortController();
    const pending = generateText({
      model: provider("GeneralCodingAgent", { sid }),
      prompt: "[[fault:silence=600000]] continue",
      abortSignal: controller.signal,
    });
    await until(() => emulator.chats[1]?.lines.length === 1);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    await until(() => emulator.chats[1]?.outcome === "aborted-by-client");
  });
});

describe("errors", () => {
  it("maps 429 to a retryable APICallError with the status and body", async () => {
    const error = await generateText({
      model: provider("GeneralCodingAgent"),
      prompt: "[[fault:status=429,endpoint=chat]] hi",
      maxRetries: 0,
    }).catch((e: unknown) => e);
    expect(APICallError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({
      statusCode: 429,
      isRetryable: true,
      url: `${emulator.url}/chat`,
      responseBody: expect.stringContaining("Too Many Requests"),
    });
    const token = await provider.client.getAccessToken();
    expect(JSON.stringify(error)).not.toContain(token);
    expect(String(error)).not.toContain(token);
    expect(emulator.stats.statuses.chat[429]).toBe(1);
  });

  it("lets the AI SDK retry a 429, honouring Retry-After", async () => {
    const result = await generateText({
      model: provider("GeneralCodingAgent", { maxContinues: 0 }),
      prompt: "[[fault:status=429,count=1,retry-after=0,endpoint=chat]] hi",
      maxRetries: 1,
    });
    expect(result.text.length).toBeGreaterThan(0);
    expect(emulator.stats.statuses.chat).toMatchObject({ 429: 1, 200: 1 });
  });

  it("does not retry a 422", async () => {
    const error = await generateText({
      model: provider("GeneralCodingAgent"),
      prompt: "[[fault:status=422,endpoint=chat]] hi",
    }).catch((e: unknown) => e);
    expect(APICallError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: 422, isRetryable: false });
    expect(emulator.stats.statuses.chat[422]).toBe(1);
    expect(emulator.stats.requests.chat).toBe(1);
  });

  it("rejects an unknown agent, naming the valid ones", () => {
    expect(() => provider("gpt-4o")).toThrow(NoSuchModelError);
    expect(() => provider("gpt-4o")).toThrow(/GeneralCodingAgent, RepoAgent, FrontEndAgent/);
    expect(() => provider.embeddingModel("x")).toThrow(NoSuchModelError);
    expect(provider("frontend").modelId).toBe("FrontEndAgent");
    expect(robocoders("RepoAgent").provider).toBe("robocoders");
  });

  it("rejects unknown provider options before any request", async () => {
    await expect(
      generateText({
        model: provider("GeneralCodingAgent"),
        prompt: "hi",
        providerOptions: { robocoders: { session: "x" } },
      }),
    ).rejects.toThrow(/Unknown option providerOptions.robocoders.session/);
    expect(emulator.stats.requests.chat).toBe(0);
  });
});
