import { describe, expect, it } from "vitest";
import { Robocoders } from "../../src/client/index.js";
import { InvalidArgumentError, ModelNotSupportedError } from "../../src/core/errors.js";
import { RobocodersAPI } from "../../src/index.js";
import { AsyncGeneratorProvider, formatPrompt } from "../../src/provider/index.js";
import { referenceOutput, useWorld } from "../client/helpers.js";

const w = useWorld();

const options = () => ({ baseURL: w.emulator.url, cacheDir: w.cacheDir, retryDelay: 10 });

describe("RobocodersAPI metadata", () => {
  it("matches the g4f provider", () => {
    expect(RobocodersAPI.label).toBe("API Robocoders AI");
    expect(RobocodersAPI.url).toBe("https://api.robocoders.ai/docs");
    expect(RobocodersAPI.apiEndpoint).toBe("https://api.robocoders.ai/chat");
    expect(RobocodersAPI.working).toBe(true);
    expect(RobocodersAPI.supportsStream).toBe(true);
    expect(RobocodersAPI.supportsMessageHistory).toBe(true);
    expect(RobocodersAPI.defaultModel).toBe("GeneralCodingAgent");
    expect(RobocodersAPI.models).toEqual(["GeneralCodingAgent", "RepoAgent", "FrontEndAgent"]);
    expect(RobocodersAPI.prototype).toBeInstanceOf(AsyncGeneratorProvider);
  });

  it("apiEndpoint follows ROBOCODERS_BASE_URL", () => {
    process.env.ROBOCODERS_BASE_URL = `${w.emulator.url}/`;
    expect(RobocodersAPI.apiEndpoint).toBe(`${w.emulator.url}/chat`);
  });

  it("getModel: empty → default, alias → agent, unknown → ModelNotSupportedError listing the agents", () => {
    expect(RobocodersAPI.getModel("")).toBe("GeneralCodingAgent");
    expect(RobocodersAPI.getModel("RepoAgent")).toBe("RepoAgent");
    expect(RobocodersAPI.getModel("frontend")).toBe("FrontEndAgent");
    expect(RobocodersAPI.getModel("repoagent")).toBe("RepoAgent");
    expect(() => RobocodersAPI.getModel("gpt-4o")).toThrow(ModelNotSupportedError);
    expect(() => RobocodersAPI.getModel("gpt-4o")).toThrow("GeneralCodingAgent, RepoAgent, FrontEndAgent");
  });
});

describe("createAsyncGenerator / createAsync", () => {
  it("streams the reference text of the whole conversation, continue included", async () => {
    const chunks: string[] = [];
    for await (const chunk of RobocodersAPI.createAsyncGenerator(
      "RepoAgent",
      [{ role: "user", content: "Fix the failing test in my repository" }],
      options(),
    )) {
      chunks.push(chunk);
    }
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.join("")).toBe(referenceOutput(w.emulator));
    expect(w.emulator.chats.map((chat) => chat.prompt)).toEqual([
      "Fix the failing test in my repository",
      "continue",
    ]);
    expect(w.emulator.chats.every((chat) => chat.agent === "RepoAgent")).toBe(true);
  });

  it("sends a conversation formatted by formatPrompt", async () => {
    const messages = [
      { role: "system", content: "Be brief." },
      { role: "user", content: "Write a Python script that adds two numbers" },
    ];
    const text = await RobocodersAPI.createAsync("", messages, { ...options(), maxContinues: 0 });
    expect(text).toBe(referenceOutput(w.emulator));
    expect(w.emulator.chats[0]?.prompt).toBe(formatPrompt(messages));
    expect(w.emulator.chats[0]?.agent).toBe("GeneralCodingAgent");
  });

  it("validates model and messages before any request", async () => {
    expect(() =>
      RobocodersAPI.createAsyncGenerator("gpt-4o", [{ role: "user", content: "hi" }], options()),
    ).toThrow(ModelNotSupportedError);
    expect(() => RobocodersAPI.createAsyncGenerator("RepoAgent", [], options())).toThrow(
      InvalidArgumentError,
    );
    await expect(
      RobocodersAPI.createAsync("gpt-4o", [{ role: "user", content: "hi" }], options()),
    ).rejects.toThrow(ModelNotSupportedError);
    expect(w.emulator.stats.totalRequests).toBe(0);
  });

  it("reuses a given client and keeps the session across calls", async () => {
    const client = new Robocoders(options());
    try {
      await RobocodersAPI.createAsync("", [{ role: "user", content: "first" }], { client, maxContinues: 0 });
      await RobocodersAPI.createAsync("", [{ role: "user", content: "second" }], { client, maxContinues: 0 });
      expect(w.emulator.stats.sessionsCreated).toBe(1);
      expect(w.emulator.stats.requests.auth).toBe(1);
      expect(new Set(w.emulator.chats.map((chat) => chat.sid)).size).toBe(1);
    } finally {
      await client.close();
    }
  });

  it("stops the request when the consumer stops early", async () => {
    w.emulator.setFaults("silence=300");
    let chunks = 0;
    for await (const _chunk of RobocodersAPI.createAsyncGenerator(
      "",
      [{ role: "user", content: "Write a Python script that adds two numbers" }],
      options(),
    )) {
      chunks++;
      if (chunks === 3) break;
    }
    const started = Date.now();
    while (w.emulator.stats.chatStreams.aborted === 0 && Date.now() - started < 5000) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(w.emulator.stats.chatStreams.aborted).toBe(1);
  });

  it("honours an AbortSignal", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      RobocodersAPI.createAsync("", [{ role: "user", content: "hi" }], {
        ...options(),
        signal: controller.signal,
      }),
    ).rejects.toMatchObject({ code: "aborted" });
    expect(w.emulator.stats.totalRequests).toBe(0);
  });
});
