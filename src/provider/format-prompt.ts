import { InvalidArgumentError } from "../core/errors.js";
import { contentToString, type Messages } from "./messages.js";

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
