/**
 * OpenAI response objects: `chat.completion`, `chat.completion.chunk`, usage, and SSE framing.
 */
import { randomUUID } from "node:crypto";
import type { OpenAIErrorObject } from "./openai-error.js";

/** Token counts. The service reports none, so they are estimates: see {@link estimateTokens}. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/**
 * Estimated token count of a text: one token per 4 Unicode code points, rounded up (`""` → 0).
 * The same estimate is used for prompts and answers, streamed or not.
 */
export function estimateTokens(text: string): number {
  let codePoints = 0;
  for (const _ of text) codePoints++;
  return Math.ceil(codePoints / 4);
}

/** Usage of a turn: the prompt sent upstream and the answer's text. */
export function usageOf(prompt: string, completion: string): Usage {
  const prompt_tokens = estimateTokens(prompt);
  const completion_tokens = estimateTokens(completion);
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
}

/** A fresh completion id, `chatcmpl-<32 hex digits>`. */
export function completionId(): string {
  return `chatcmpl-${randomUUID().replaceAll("-", "")}`;
}

/** Identity shared by every object of one completion. */
export interface CompletionMeta {
  id: string;
  /** Unix seconds. */
  created: number;
  /** The agent that answered. */
  model: string;
}

/** A non-streamed `chat.completion`. */
export function chatCompletion(meta: CompletionMeta, text: string, usage: Usage) {
  return {
    id: meta.id,
    object: "chat.completion" as const,
    created: meta.created,
    model: meta.model,
    choices: [
      {
        index: 0,
        message: { role: "assistant" as const, content: text, refusal: null },
        logprobs: null,
        finish_reason: "stop" as const,
      },
    ],
    usage,
  };
}

/** The delta of a streamed chunk. */
export interface ChunkDelta {
  role?: "assistant";
  content?: string;
}

/** A `chat.completion.chunk` with one choice; `usage` is `null` except in the usage chunk. */
export function chatCompletionChunk(
  meta: CompletionMeta,
  delta: ChunkDelta,
  finishReason: "stop" | null = null,
) {
  return {
    id: meta.id,
    object: "chat.completion.chunk" as const,
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  };
}

/** The final usage chunk (sent when `stream_options.include_usage` is true): no choices, the usage. */
export function usageChunk(meta: CompletionMeta, usage: Usage) {
  return {
    id: meta.id,
    object: "chat.completion.chunk" as const,
    created: meta.created,
    model: meta.model,
    choices: [],
    usage,
  };
}

/** One SSE event carrying a JSON value: `data: <json>\n\n`. */
export function sseData(value: unknown): string {
  return `data: ${JSON.stringify(value)}\n\n`;
}

/** The SSE event that ends every stream. */
export const SSE_DONE = "data: [DONE]\n\n";

/** The SSE event for an error after the stream began: `data: {"error": {...}}`. */
export function sseError(error: OpenAIErrorObject): string {
  return sseData({ error });
}
