/**
 * The gateway driven by the AI SDK through `@ai-sdk/openai-compatible`.
 */
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { APICallError, generateText, type ModelMessage, streamText } from "ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorText, type Stack, startStack } from "./helpers.js";

const API_KEY = "ai-sdk-test-key-42";

let stack: Stack;
let robocoders: ReturnType<typeof createOpenAICompatible>;

beforeAll(async () => {
  stack = await startStack({ server: { apiKey: API_KEY } });
  robocoders = createOpenAICompatible({
    name: "robocoders",
    baseURL: stack.baseURL,
    apiKey: API_KEY,
    includeUsage: true,
  });
});
afterAll(async () => {
  await stack?.close();
});

describe("AI SDK", () => {
  it("generateText returns the agent's text and usage", async () => {
    const result = await generateText({
      model: robocoders("GeneralCodingAgent"),
      prompt: "Write a haiku generator",
      maxRetries: 0,
    });
    const sid = result.response.headers?.["x-robocoders-session"];
    expect(result.text).toBe(emulatorText(stack.emulator, sid));
    expect(result.finishReason).toBe("stop");
    expect(result.usage.outputTokens).toBe(Math.ceil([...result.text].length / 4));
  });

  it("streamText streams the agent's text and usage, and a second turn continues the session", async () => {
    const messages: ModelMessage[] = [{ role: "user", content: "Build a landing page" }];
    const first = streamText({ model: robocoders("frontend"), messages, maxRetries: 0 });
    let text = "";
    for await (const delta of first.textStream) text += delta;
    const response = await first.response;
    const sid = response.headers?.["x-robocoders-session"];
    expect(text).toBe(emulatorText(stack.emulator, sid));
    expect(text.length).toBeGreaterThan(0);
    expect((await first.usage).outputTokens).toBe(Math.ceil([...text].length / 4));
    expect(await first.finishReason).toBe("stop");

    messages.push(...response.messages, { role: "user", content: "Use Tailwind, go ahead" });
    const second = streamText({ model: robocoders("frontend"), messages, maxRetries: 0 });
    const secondText = await second.text;
    expect((await second.response).headers?.["x-robocoders-session"]).toBe(sid);
    expect(stack.emulator.chats.findLast((r) => r.sid === sid)?.cleanPrompt).toBe("Use Tailwind, go ahead");
    // Two completions: each one's pieces are joined by blank lines, the two answers are as sent.
    expect(emulatorText(stack.emulator, sid).startsWith(text)).toBe(true);
    expect(emulatorText(stack.emulator, sid).endsWith(secondText)).toBe(true);
  });

  it("surfaces gateway errors as API call errors with the status", async () => {
    const error = await generateText({
      model: robocoders("GeneralCodingAgent"),
      prompt: "hello [[fault:status=503]]",
      maxRetries: 0,
    }).catch((e: unknown) => e);
    expect(APICallError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: 503 });
    expect(error instanceof Error ? error.message : "").toContain("unavailable");

    const unknown = await generateText({ model: robocoders("gpt-4o"), prompt: "hi", maxRetries: 0 }).catch(
      (e: unknown) => e,
    );
    expect(unknown).toMatchObject({ statusCode: 404 });
  });
});
