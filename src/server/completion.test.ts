import { describe, expect, it } from "vitest";
import {
  chatCompletionChunk,
  completionId,
  estimateTokens,
  SSE_DONE,
  sseData,
  usageOf,
} from "./completion.js";

describe("estimateTokens", () => {
  it("counts one token per four code points, rounded up", () => {
    expect(estimateTokens("")).toBe(0);
    expect(estimateTokens("abc")).toBe(1);
    expect(estimateTokens("abcd")).toBe(1);
    expect(estimateTokens("abcde")).toBe(2);
    expect(estimateTokens("😀😀😀😀")).toBe(1); // code points, not UTF-16 units
  });

  it("adds prompt and completion", () => {
    expect(usageOf("12345678", "1234")).toEqual({ prompt_tokens: 2, completion_tokens: 1, total_tokens: 3 });
  });
});

describe("SSE framing", () => {
  it("writes data lines and the DONE marker", () => {
    expect(sseData({ a: "x\ny" })).toBe('data: {"a":"x\\ny"}\n\n');
    expect(SSE_DONE).toBe("data: [DONE]\n\n");
  });

  it("builds chunks with one choice", () => {
    const chunk = chatCompletionChunk({ id: "chatcmpl-1", created: 1, model: "RepoAgent" }, { content: "x" });
    expect(chunk).toEqual({
      id: "chatcmpl-1",
      object: "chat.completion.chunk",
      created: 1,
      model: "RepoAgent",
      choices: [{ index: 0, delta: { content: "x" }, logprobs: null, finish_reason: null }],
    });
    expect(completionId()).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
  });
});
