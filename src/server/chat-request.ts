/**
 * Validation of `POST /v1/chat/completions` bodies.
 *
 * Rules, applied the same way to every request:
 * - used: `model`, `messages`, `stream`, `stream_options.include_usage`, `user`;
 * - rejected with 400 (the gateway cannot honour them): `n` > 1, `tools`/`functions` (non-empty),
 *   `tool_choice`/`function_call` other than `"none"`/`"auto"`, `response_format` other than `text`,
 *   `logprobs: true`, `modalities`/`audio` asking for more than text, messages with roles other than
 *   `system`, `developer`, `user`, `assistant`, and content parts other than text;
 * - ignored: sampling and length knobs (`temperature`, `top_p`, `max_tokens`, `max_completion_tokens`,
 *   `stop`, `seed`, `presence_penalty`, `frequency_penalty`, `logit_bias`, `top_logprobs`, `reasoning_effort`…),
 *   bookkeeping (`metadata`, `store`, `service_tier`, `parallel_tool_calls`) and any unknown field.
 *
 * A field set to `null` counts as absent.
 */

import type { Message } from "../core/messages.js";
import { isRecord } from "../internal/values.js";
import { invalidRequest } from "./openai-error.js";

/** The roles a message may have. `developer` is read as `system`. */
export const MESSAGE_ROLES = ["system", "developer", "user", "assistant"] as const;

/** A validated chat message: its role (`developer` already mapped to `system`) and its text. */
export interface ChatMessage extends Message {
  role: "system" | "user" | "assistant";
  content: string;
}

function isRole(role: string): role is (typeof MESSAGE_ROLES)[number] {
  return (MESSAGE_ROLES as readonly string[]).includes(role);
}

/** A validated chat completion request. */
export interface ChatRequest {
  /** The requested model, as sent (an agent name or an alias). */
  model: string;
  /** The messages, content reduced to text. */
  messages: ChatMessage[];
  /** Whether to answer with Server-Sent Events. */
  stream: boolean;
  /** Whether a streamed answer ends with a usage chunk. */
  includeUsage: boolean;
  /** The caller's end-user id, if given; it separates conversations of different users. */
  user: string | undefined;
  /**
   * The fields of the body that were accepted but are not honoured (`temperature`, `max_tokens`, unknown
   * fields…), in body order; names that are not plain identifiers are left out. At most 32.
   */
  ignored: string[];
}

/** The fields the gateway uses, or checks and rejects when it cannot honour them. */
const HONOURED_FIELDS = new Set([
  "model",
  "messages",
  "stream",
  "stream_options",
  "user",
  "n",
  "tools",
  "functions",
  "tool_choice",
  "function_call",
  "response_format",
  "logprobs",
  "modalities",
  "audio",
]);

/** The body's fields that are set (not `null`) and not honoured; see {@link ChatRequest.ignored}. */
export function ignoredFields(body: Record<string, unknown>): string[] {
  const names: string[] = [];
  for (const [name, value] of Object.entries(body)) {
    if (value === null || HONOURED_FIELDS.has(name) || !/^[A-Za-z0-9_.-]{1,64}$/.test(name)) continue;
    names.push(name);
    if (names.length === 32) break;
  }
  return names;
}

type Json = Record<string, unknown>;

/** The field's value, with `null` read as absent. */
function field(body: Json, name: string): unknown {
  const value = body[name];
  return value === null ? undefined : value;
}

function contentText(content: unknown, param: string): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) {
    throw invalidRequest(`${param} must be a string or an array of text parts`, param, "invalid_type");
  }
  let text = "";
  content.forEach((part: unknown, index) => {
    const partParam = `${param}[${index}]`;
    if (!isRecord(part)) throw invalidRequest(`${partParam} must be an object`, partParam, "invalid_type");
    if (part.type !== "text") {
      throw invalidRequest(
        `${partParam}: only text content parts are supported, got type ${JSON.stringify(part.type)}`,
        `${partParam}.type`,
        "unsupported_content",
      );
    }
    if (typeof part.text !== "string") {
      throw invalidRequest(`${partParam}.text must be a string`, `${partParam}.text`, "invalid_type");
    }
    text += part.text;
  });
  return text;
}

function parseMessage(value: unknown, index: number): ChatMessage {
  const param = `messages[${index}]`;
  if (!isRecord(value)) throw invalidRequest(`${param} must be an object`, param, "invalid_type");
  const role = value.role;
  if (typeof role !== "string")
    throw invalidRequest(`${param}.role must be a string`, `${param}.role`, "invalid_type");
  if (!isRole(role)) {
    throw invalidRequest(
      `${param}.role ${JSON.stringify(role)} is not supported; use one of ${MESSAGE_ROLES.join(", ")} (tools are not supported)`,
      `${param}.role`,
      "unsupported_role",
    );
  }
  const toolCalls = field(value, "tool_calls");
  if (Array.isArray(toolCalls) && toolCalls.length > 0) {
    throw invalidRequest(
      `${param}.tool_calls: tools are not supported`,
      `${param}.tool_calls`,
      "unsupported_parameter",
    );
  }
  const content = field(value, "content");
  if (content === undefined) {
    throw invalidRequest(`${param}.content is required`, `${param}.content`, "missing_required_parameter");
  }
  return { role: role === "developer" ? "system" : role, content: contentText(content, `${param}.content`) };
}

function unsupported(name: string, why: string): never {
  throw invalidRequest(`${name} is not supported by this gateway: ${why}`, name, "unsupported_parameter");
}

/**
 * Validates a decoded JSON body.
 * @throws GatewayError (400) naming the offending field.
 */
export function parseChatRequest(body: unknown): ChatRequest {
  if (!isRecord(body)) throw invalidRequest("The request body must be a JSON object", null, "invalid_body");

  const model = field(body, "model");
  if (model === undefined) throw invalidRequest("model is required", "model", "missing_required_parameter");
  if (typeof model !== "string" || model.trim() === "") {
    throw invalidRequest("model must be a non-empty string", "model", "invalid_type");
  }

  const rawMessages = field(body, "messages");
  if (rawMessages === undefined) {
    throw invalidRequest("messages is required", "messages", "missing_required_parameter");
  }
  if (!Array.isArray(rawMessages))
    throw invalidRequest("messages must be an array", "messages", "invalid_type");
  if (rawMessages.length === 0) {
    throw invalidRequest("messages must contain at least one message", "messages", "invalid_value");
  }
  const messages = rawMessages.map((m: unknown, i) => parseMessage(m, i));

  const stream = field(body, "stream");
  if (stream !== undefined && typeof stream !== "boolean") {
    throw invalidRequest("stream must be a boolean", "stream", "invalid_type");
  }
  const streamOptions = field(body, "stream_options");
  let includeUsage = false;
  if (streamOptions !== undefined) {
    if (!isRecord(streamOptions)) {
      throw invalidRequest("stream_options must be an object", "stream_options", "invalid_type");
    }
    const flag = field(streamOptions, "include_usage");
    if (flag !== undefined && typeof flag !== "boolean") {
      throw invalidRequest(
        "stream_options.include_usage must be a boolean",
        "stream_options.include_usage",
        "invalid_type",
      );
    }
    includeUsage = flag === true;
  }
  const user = field(body, "user");
  if (user !== undefined && typeof user !== "string") {
    throw invalidRequest("user must be a string", "user", "invalid_type");
  }

  const n = field(body, "n");
  if (n !== undefined) {
    if (typeof n !== "number" || !Number.isInteger(n) || n < 1) {
      throw invalidRequest("n must be a positive integer", "n", "invalid_type");
    }
    if (n > 1) unsupported("n", "only one choice (n = 1) can be generated");
  }
  for (const name of ["tools", "functions"]) {
    const value = field(body, name);
    if (value !== undefined && !(Array.isArray(value) && value.length === 0)) {
      unsupported(name, "the agents do not call client-side tools");
    }
  }
  for (const name of ["tool_choice", "function_call"]) {
    const value = field(body, name);
    if (value !== undefined && value !== "none" && value !== "auto") {
      unsupported(name, "the agents do not call client-side tools");
    }
  }
  const responseFormat = field(body, "response_format");
  if (responseFormat !== undefined && !(isRecord(responseFormat) && responseFormat.type === "text")) {
    unsupported("response_format", "only text answers can be produced");
  }
  if (field(body, "logprobs") === true) unsupported("logprobs", "the agents report no token probabilities");
  const modalities = field(body, "modalities");
  if (modalities !== undefined && !(Array.isArray(modalities) && modalities.every((m) => m === "text"))) {
    unsupported("modalities", "only text is produced");
  }
  if (field(body, "audio") !== undefined) unsupported("audio", "only text is produced");

  return { model, messages, stream: stream === true, includeUsage, user, ignored: ignoredFields(body) };
}
