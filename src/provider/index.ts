export { formatPrompt } from "./format-prompt.js";
export type { Message, Messages, TextPart } from "./messages.js";
