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
