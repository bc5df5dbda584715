import { describe, expect, it } from "vitest";
import { parseChatRequest } from "./chat-request.js";
import { GatewayError } from "./openai-error.js";

const valid = { model: "GeneralCodingAgent", messages: [{ role: "user", content: "hi" }] };

function rejection(body: unknown): GatewayError {
  try {
    parseChatRequest(body);
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error("expected a rejection");
}

describe("parseChatRequest", () => {
  it("lists the set fields it accepts but does not honour, in body order", () => {
    const request = parseChatRequest({
      ...valid,
      temperature: 0.2,
      max_tokens: 10,
      stop: null,
      top_p: 1,
      n: 1,
      "x\r\ny": 1,
      custom_field: true,
    });
    expect(request.ignored).toEqual(["temperature", "max_tokens", "top_p", "custom_field"]);
  });

  it("reads the used fields and defaults", () => {
    expect(parseChatRequest(valid)).toEqual({
      model: "GeneralCodingAgent",
      messages: [{ role: "user", content: "hi" }],
      stream: false,
      includeUsage: false,
      user: undefined,
      ignored: [],
    });
    expect(
      parseChatRequest({ ...valid, stream: true, stream_options: { include_usage: true }, user: "u1" }),
    ).toMatchObject({ stream: true, includeUsage: true, user: "u1" });
  });

  it("joins text parts, maps developer to system, reads null as absent", () => {
    const request = parseChatRequest({
      model: "repo",
      messages: [
        { role: "developer", content: "rules" },
        {
          role: "user",
          content: [
            { type: "text", text: "a" },
            { type: "text", text: "b" },
          ],
        },
      ],
      stream: null,
      stream_options: null,
      user: null,
      n: null,
      tools: null,
    });
    expect(request.messages).toEqual([
      { role: "system", content: "rules" },
      { role: "user", content: "ab" },
    ]);
    expect(request.stream).toBe(false);
  });

  it("ignores sampling knobs and unknown fields", () => {
    expect(() =>
      parseChatRequest({
        ...valid,
        temperature: 0.2,
        top_p: 1,
        max_tokens: 10,
        max_completion_tokens: 10,
        stop: ["x"],
        seed: 1,
        presence_penalty: 0,
        frequency_penalty: 0,
        metadata: {},
        n: 1,
        tools: [],
        tool_choice: "none",
        response_format: { type: "text" },
        logprobs: false,
        something_new: true,
      }),
    ).not.toThrow();
  });

  it.each([
    ["a non-object body", [], null, "invalid_body"],
    ["a missing model", { messages: valid.messages }, "model", "missing_required_parameter"],
    ["an empty model", { ...valid, model: " " }, "model", "invalid_type"],
    ["a missing messages", { model: "x" }, "messages", "missing_required_parameter"],
    ["empty messages", { ...valid, messages: [] }, "messages", "invalid_value"],
    ["a non-array messages", { ...valid, messages: "hi" }, "messages", "invalid_type"],
    [
      "a bad role",
      { ...valid, messages: [{ role: "tool", content: "x" }] },
      "messages[0].role",
      "unsupported_role",
    ],
    [
      "a missing content",
      { ...valid, messages: [{ role: "user" }] },
      "messages[0].content",
      "missing_required_parameter",
    ],
    [
      "an image part",
      { ...valid, messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "x" } }] }] },
      "messages[0].content[0].type",
      "unsupported_content",
    ],
    ["a non-boolean stream", { ...valid, stream: "yes" }, "stream", "invalid_type"],
    ["n > 1", { ...valid, n: 2 }, "n", "unsupported_parameter"],
    ["n = 0", { ...valid, n: 0 }, "n", "invalid_type"],
    ["tools", { ...valid, tools: [{ type: "function" }] }, "tools", "unsupported_parameter"],
    ["tool_choice required", { ...valid, tool_choice: "required" }, "tool_choice", "unsupported_parameter"],
    [
      "json mode",
      { ...valid, response_format: { type: "json_object" } },
      "response_format",
      "unsupported_parameter",
    ],
    ["logprobs", { ...valid, logprobs: true }, "logprobs", "unsupported_parameter"],
    ["audio output", { ...valid, modalities: ["text", "audio"] }, "modalities", "unsupported_parameter"],
    ["a non-string user", { ...valid, user: 5 }, "user", "invalid_type"],
  ])("rejects %s with 400", (_name, body, param, code) => {
    const error = rejection(body);
    expect(error.status).toBe(400);
    expect(error.type).toBe("invalid_request_error");
    expect(error.param).toBe(param);
    expect(error.openaiCode).toBe(code);
  });
});
