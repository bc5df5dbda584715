/**
 * The content a file action leaves behind, worked out from the action's arguments and the file's
 * previous content. Pure and browser-safe.
 *
 * Shapes understood:
 * - `write` with `content`: the whole file.
 * - `edit` with `command` (the sandbox's editor tool): `create` (`file_text`), `str_replace`
 *   (`old_str` found exactly once, replaced by `new_str`), `insert` (`new_str` after line `insert_line`,
 *   0 = at the top).
 * - `edit` with `content` and a line range `start`..`end` (1-based, inclusive, `end: -1` = to the end):
 *   the lines in the range are replaced; `start` ≤ 1 with `end: -1` replaces the whole file.
 * Anything else, or an edit of a file whose content is not known, gives `undefined` (unknown): the
 * edit observation's `new_content`, when the server sends it, fills that in later.
 */

/** The file action's arguments as sent (see `FileAction` in `core/events.ts`). */
export type FileActionArgs = Record<string, unknown>;

/** Splits a text into lines that keep their `\n`; the last line may have none. */
export function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split(/(?<=\n)/);
  return lines;
}

function count(haystack: string, needle: string): number {
  if (needle === "") return 0;
  let n = 0;
  let from = 0;
  for (;;) {
    const at = haystack.indexOf(needle, from);
    if (at < 0) return n;
    n++;
    from = at + needle.length;
  }
}

function int(value: unknown): number | undefined {
  return typeof value === "number" && Number.isInteger(value) ? value : undefined;
}

/** Joins replacement text into a list of lines so that it is followed by a line break when more follows. */
function spliceLines(lines: string[], from: number, to: number, text: string): string {
  const before = lines.slice(0, from).join("");
  const after = lines.slice(to).join("");
  const glue = after !== "" && text !== "" && !text.endsWith("\n") ? "\n" : "";
  const lead = before !== "" && !before.endsWith("\n") && text !== "" ? "\n" : "";
  return `${before}${lead}${text}${glue}${after}`;
}

/**
 * The file's content after a `write` or `edit` action with these arguments, given its content before
 * (`undefined` when unknown). `undefined` when it cannot be known.
 */
export function contentAfter(
  action: "write" | "edit",
  args: FileActionArgs,
  previous: string | undefined,
): string | undefined {
  if (action === "write") return typeof args.content === "string" ? args.content : undefined;
  const command = args.command;
  if (typeof command === "string" && command !== "") {
    switch (command) {
      case "create":
        return typeof args.file_text === "string" ? args.file_text : undefined;
      case "str_replace": {
        const oldStr = args.old_str;
        const newStr = typeof args.new_str === "string" ? args.new_str : "";
        if (previous === undefined || typeof oldStr !== "string" || count(previous, oldStr) !== 1) {
          return undefined;
        }
        const at = previous.indexOf(oldStr);
        return previous.slice(0, at) + newStr + previous.slice(at + oldStr.length);
      }
      case "insert": {
        const line = int(args.insert_line);
        const newStr = args.new_str;
        if (previous === undefined || line === undefined || typeof newStr !== "string") return undefined;
        const lines = splitLines(previous);
        if (line < 0 || line > lines.length) return undefined;
        return spliceLines(lines, line, line, newStr);
      }
      default:
        return undefined;
    }
  }
  if (typeof args.content !== "string") return undefined;
  const start = int(args.start) ?? 1;
  const end = int(args.end) ?? -1;
  if (start <= 1 && end === -1) return args.content;
  if (previous === undefined) return undefined;
  const lines = splitLines(previous);
  const from = Math.max(1, start) - 1;
  const to = end === -1 ? lines.length : end;
  if (from > lines.length || to < from || to > lines.length) return undefined;
  return spliceLines(lines, from, to, args.content);
}

/** The number of bytes of a text in UTF-8 (a lone surrogate counts as U+FFFD, 3 bytes). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}
