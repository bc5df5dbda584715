/**
 * Chat messages as g4f-style providers, the OpenAI-compatible gateway and the AI SDK provider pass them,
 * and g4f's `format_prompt`, which turns a conversation into the one prompt the service takes.
 */
import { InvalidArgumentError } from "./errors.js";

/** A text part of a message, as in OpenAI's content arrays. */
export interface TextPart {
  type: "text";
  text: string;
}

/** One chat message, g4f-style: a role (`user`, `assistant`, `system`…) and its content. */
export interface Message {
  role: string;
  /** The text, or an array of parts of which the text parts are used. */
  content: string | ReadonlyArray<TextPart | { type: string; [key: string]: unknown }>;
}

/** A conversation: the messages in order. */
export type Messages = ReadonlyArray<Message>;

/** The text of a message's content: the string itself, or its text parts joined without separator. */
export function contentToString(content: Message["content"]): string {
  if (typeof content === "string") return content;
  let out = "";
  for (const part of content) {
    if (part.type === "text" && typeof part.text === "string") out += part.text;
  }
  return out;
}

/** Python's `str.capitalize()`: first character upper-cased, the rest lower-cased. */
function capitalize(role: string): string {
  const first = role.codePointAt(0);
  if (first === undefined) return "";
  const head = String.fromCodePoint(first);
  return head.toUpperCase() + role.slice(head.length).toLowerCase();
}

/**
 * g4f's `format_prompt`: a single message is sent as its content unchanged; otherwise one line
 * `"<Role>: <content>"` per message joined by `\n`, then `\nAssistant:` appended.
 *
 * @throws InvalidArgumentError when `messages` is empty.
 */
export function formatPrompt(messages: Messages): string {
  const [first] = messages;
  if (first === undefined) throw new InvalidArgumentError("messages must contain at least one message");
  if (messages.length === 1) return contentToString(first.content);
  const lines = messages.map((message) => `${capitalize(message.role)}: ${contentToString(message.content)}`);
  return `${lines.join("\n")}\nAssistant:`;
}
