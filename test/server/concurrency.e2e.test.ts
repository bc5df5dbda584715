/**
 * 100 concurrent streams through the gateway, each checked against what the emulator sent.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, expect, it } from "vitest";
import { emulatorText, type Stack, startStack } from "./helpers.js";

let stack: Stack;
let openai: OpenAI;

beforeAll(async () => {
  // A little latency between events keeps all 100 streams open at the same time.
  stack = await startStack({ emulator: { latencyMs: 5 } });
  openai = new OpenAI({ baseURL: stack.baseURL, apiKey: "unused", maxRetries: 0 });
});
afterAll(async () => {
  await stack?.close();
});

it("answers 100 concurrent streaming requests, each with its own text", async () => {
  const agents = ["GeneralCodingAgent", "RepoAgent", "FrontEndAgent"] as const;
  let peak = 0;
  const results = await Promise.all(
    Array.from({ length: 100 }, async (_, i) => {
      const { data, response } = await openai.chat.completions
        .create({
          model: agents[i % agents.length] ?? "GeneralCodingAgent",
          messages: [{ role: "user", content: `Task ${i}: write module_${i}.py with tests [[verbose]]` }],
          stream: true,
          stream_options: { include_usage: true },
        })
        .withResponse();
      let text = "";
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of data) {
        peak = Math.max(peak, stack.server.app.activeRequests);
        text += chunk.choices[0]?.delta.content ?? "";
        usage ??= chunk.usage;
      }
      return { i, text, usage, sid: response.headers.get("x-robocoders-session") };
    }),
  );
  const sids = new Set(results.map((r) => r.sid));
  expect(sids.size).toBe(100);
  for (const result of results) {
    const expected = emulatorText(stack.emulator, result.sid);
    expect(result.text).toBe(expected);
    expect(stack.emulator.chats.find((r) => r.sid === result.sid)?.cleanPrompt).toContain(
      `module_${result.i}.py`,
    );
    expect(result.usage?.completion_tokens).toBe(Math.ceil([...expected].length / 4));
  }
  expect(peak).toBeGreaterThan(1);
  expect(stack.server.app.activeRequests).toBe(0);
});
