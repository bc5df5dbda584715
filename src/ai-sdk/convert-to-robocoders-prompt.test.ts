import { InvalidPromptError, type LanguageModelV3Prompt } from "@ai-sdk/provider";
import { describe, expect, it } from "vitest";
import { convertToRobocodersPrompt } from "./convert-to-robocoders-prompt.js";

const user = (text: string): LanguageModelV3Prompt[number] => ({
  role: "user",
  content: [{ type: "text", text }],
});

describe("convertToRobocodersPrompt", () => {
  it("sends a single user message unchanged", () => {
    expect(convertToRobocodersPrompt([user("  Add 2 and 3\n")])).toEqual({
      prompt: "  Add 2 and 3\n",
      warnings: [],
    });
  });

  it("formats a conversation like g4f's format_prompt", () => {
    const prompt: LanguageModelV3Prompt = [
      { role: "system", content: "Be brief." },
      user("Add 2 and 3"),
      { role: "assistant", content: [{ type: "text", text: "5" }] },
      {
        role: "user",
        content: [
          { type: "text", text: "and " },
          { type: "text", text: "4?" },
        ],
      },
    ];
    expect(convertToRobocodersPrompt(prompt).prompt).toBe(
      "System: Be brief.\nUser: Add 2 and 3\nAssistant: 5\nUser: and 4?\nAssistant:",
    );
  });

  it("drops files, reasoning and tool parts with one warning per kind", () => {
    const prompt: LanguageModelV3Prompt = [
      {
        role: "user",
        content: [
          { type: "text", text: "Look at this" },
          { type: "file", mediaType: "image/png", data: new Uint8Array([1]) },
          { type: "file", mediaType: "image/jpeg", data: "AAAA" },
        ],
      },
      {
        role: "assistant",
        content: [
          { type: "reasoning", text: "hmm" },
          { type: "text", text: "Nice" },
          { type: "tool-call", toolCallId: "1", toolName: "x", input: {} },
        ],
      },
      {
        role: "tool",
        content: [
          { type: "tool-result", toolCallId: "1", toolName: "x", output: { type: "text", value: "r" } },
        ],
      },
      user("Go on"),
    ];
    const { prompt: text, warnings } = convertToRobocodersPrompt(prompt);
    expect(text).toBe("User: Look at this\nAssistant: Nice\nUser: Go on\nAssistant:");
    expect(warnings.map((w) => (w.type === "other" ? w.message : w.feature))).toEqual([
      "file parts",
      "reasoning parts",
      "tool messages",
    ]);
  });

  it("sends only the latest user message when continuing a session", () => {
    const prompt: LanguageModelV3Prompt = [
      { role: "system", content: "Be brief." },
      user("Write add.py"),
      { role: "assistant", content: [{ type: "text", text: "Which language?" }] },
      user("Python"),
    ];
    expect(convertToRobocodersPrompt(prompt, { latestUserMessageOnly: true }).prompt).toBe("Python");
  });

  it("rejects a prompt without text", () => {
    expect(() => convertToRobocodersPrompt([{ role: "user", content: [] }])).toThrow(InvalidPromptError);
    expect(() =>
      convertToRobocodersPrompt([{ role: "system", content: "x" }], { latestUserMessageOnly: true }),
    ).toThrow(/no user message with text/);
  });
});
