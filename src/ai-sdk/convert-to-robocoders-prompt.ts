import {
  InvalidPromptError,
  type LanguageModelV3Message,
  type LanguageModelV3Prompt,
  type SharedV3Warning,
} from "@ai-sdk/provider";
import type { Message } from "../core/messages.js";
import { formatPrompt } from "../core/messages.js";

/** Result of {@link convertToRobocodersPrompt}. */
export interface RobocodersPrompt {
  /** The string posted as `prompt` to `/chat`. */
  prompt: string;
  /** Parts of the prompt that could not be sent. */
  warnings: SharedV3Warning[];
}

/** Options of {@link convertToRobocodersPrompt}. */
export interface ConvertPromptOptions {
  /**
   * Send only the latest user message (used when continuing a session: the agent already holds the
   * history). Default: false — the whole conversation is formatted.
   */
  latestUserMessageOnly?: boolean;
}

class WarningSet {
  readonly list: SharedV3Warning[] = [];
  private readonly seen = new Set<string>();

  unsupported(feature: string, details: string): void {
    if (this.seen.has(feature)) return;
    this.seen.add(feature);
    this.list.push({ type: "unsupported", feature, details });
  }
}

/** The text of a message's parts; other parts are reported in `warnings`. */
function messageText(message: LanguageModelV3Message, warnings: WarningSet): string {
  if (message.role === "system") return message.content;
  let text = "";
  for (const part of message.content) {
    switch (part.type) {
      case "text":
        text += part.text;
        break;
      case "file":
        warnings.unsupported(
          "file parts",
          `Robocoders accepts text only; a ${part.mediaType} file part was not sent.`,
        );
        break;
      case "reasoning":
        warnings.unsupported("reasoning parts", "Reasoning parts of assistant messages are not sent.");
        break;
      case "tool-call":
      case "tool-result":
      case "tool-approval-response":
        warnings.unsupported(
          "tool messages",
          "Robocoders has no tool calling; tool calls and results are not sent.",
        );
        break;
    }
  }
  return text;
}

/**
 * Converts an AI SDK prompt to the string Robocoders takes, with g4f's `formatPrompt`: a single message is
 * sent as its text unchanged; several become `"<Role>: <text>"` lines followed by `Assistant:`. Text parts
 * are kept; files, reasoning and tool parts are dropped with a warning; messages without text are skipped.
 *
 * With `latestUserMessageOnly`, only the text of the last user message is sent.
 *
 * @throws InvalidPromptError when nothing with text remains.
 */
export function convertToRobocodersPrompt(
  prompt: LanguageModelV3Prompt,
  options: ConvertPromptOptions = {},
): RobocodersPrompt {
  const warnings = new WarningSet();
  let messages: Message[] = [];
  if (options.latestUserMessageOnly === true) {
    const last = prompt.findLast((message) => message.role === "user");
    const text = last === undefined ? "" : messageText(last, warnings);
    if (text.trim() === "") {
      throw new InvalidPromptError({
        prompt,
        message:
          "A Robocoders session continues with a user message, but the prompt has no user message with text.",
      });
    }
    messages = [{ role: "user", content: text }];
  } else {
    for (const message of prompt) {
      const text = messageText(message, warnings);
      if (text.trim() !== "") messages.push({ role: message.role, content: text });
    }
    if (messages.length === 0) {
      throw new InvalidPromptError({ prompt, message: "The prompt has no text to send to Robocoders." });
    }
  }
  return { prompt: formatPrompt(messages), warnings: warnings.list };
}
