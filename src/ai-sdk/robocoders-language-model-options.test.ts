import { InvalidArgumentError, type LanguageModelV3CallOptions } from "@ai-sdk/provider";
import { describe, expect, it } from "vitest";
import {
  getUnsupportedSettingWarnings,
  parseRobocodersProviderOptions,
} from "./robocoders-language-model-options.js";

const base: LanguageModelV3CallOptions = {
  prompt: [{ role: "user", content: [{ type: "text", text: "hi" }] }],
};

describe("parseRobocodersProviderOptions", () => {
  it("accepts every known option and skips null values", () => {
    expect(
      parseRobocodersProviderOptions({
        sid: "abc",
        newSession: false,
        textMode: "reference",
        textSeparator: "",
        maxContinues: 0,
        maxRetries: 3,
        timeout: 1000,
        idleTimeout: 500,
        ignored: null,
      }),
    ).toEqual({
      sid: "abc",
      newSession: false,
      textMode: "reference",
      textSeparator: "",
      maxContinues: 0,
      maxRetries: 3,
      timeout: 1000,
      idleTimeout: 500,
    });
    expect(parseRobocodersProviderOptions(undefined)).toEqual({});
  });

  it.each([
    [{ sid: 42 }, /sid must be a non-empty string/],
    [{ textMode: "all" }, /textMode must be "messages" or "reference"/],
    [{ maxContinues: -1 }, /maxContinues must be a non-negative integer/],
    [{ timeout: 0 }, /timeout must be a positive number/],
    [{ sessionId: "x" }, /Unknown option providerOptions.robocoders.sessionId/],
  ])("rejects %j", (options, message) => {
    expect(() => parseRobocodersProviderOptions(options)).toThrow(InvalidArgumentError);
    expect(() => parseRobocodersProviderOptions(options)).toThrow(message);
  });
});

describe("getUnsupportedSettingWarnings", () => {
  it("is silent for a plain call", () => {
    expect(getUnsupportedSettingWarnings(base)).toEqual([]);
    expect(
      getUnsupportedSettingWarnings({
        ...base,
        responseFormat: { type: "text" },
        headers: { a: undefined, "User-Agent": "ai/6" },
      }),
    ).toEqual([]);
  });

  it("warns about each unsupported setting", () => {
    const warnings = getUnsupportedSettingWarnings({
      ...base,
      temperature: 0,
      topP: 0.5,
      maxOutputTokens: 10,
      stopSequences: ["\n"],
      seed: 1,
      tools: [{ type: "function", name: "f", inputSchema: { type: "object" } }],
      toolChoice: { type: "required" },
      responseFormat: { type: "json" },
      headers: { "x-a": "1" },
    });
    expect(warnings.map((w) => (w.type === "other" ? w.message : w.feature))).toEqual([
      "maxOutputTokens",
      "temperature",
      "topP",
      "seed",
      "stopSequences",
      "tools",
      "toolChoice",
      "responseFormat",
      "headers",
    ]);
    expect(warnings.every((w) => w.type === "unsupported")).toBe(true);
  });
});
