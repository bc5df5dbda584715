/**
 * The agent's files on a terminal: a written file with syntax highlighting and line numbers, an edit as
 * a coloured unified diff against the file's previous content in the session. Pure: returns strings.
 */
import type { FileVersion, TrackedFile } from "../workspace/index.js";
import { classifyDiff, diffStats } from "../workspace/index.js";
import { highlight, languageForPath } from "./highlight.js";
import type { Palette } from "./render.js";
import { formatBytes } from "./render.js";
import { sanitizeTerminal } from "./terminal-text.js";

/** Options of the file views. */
export interface FileViewOptions {
  /** Colours. Default: none. */
  palette?: Palette;
  /** Longest file shown in full, in lines; longer ones end with a `… N more lines` note. Default: 400. */
  maxLines?: number;
}

/** Longest file shown in full by default, in lines. */
export const DEFAULT_MAX_FILE_LINES = 400;

const plain = (t: string) => t;

/** `content` highlighted for its path's language, with right-aligned line numbers. */
export function renderFileContent(path: string, content: string, options: FileViewOptions = {}): string {
  const c = options.palette;
  const dim = c?.dim ?? plain;
  const max = options.maxLines ?? DEFAULT_MAX_FILE_LINES;
  const text = content.endsWith("\n") ? content.slice(0, -1) : content;
  if (content === "") return `${dim("  (empty file)")}\n`;
  const lines = (c === undefined ? sanitizeTerminal(text) : highlight(text, languageForPath(path), c)).split(
    "\n",
  );
  const shown = lines.slice(0, max);
  const digits = String(shown.length).length;
  let out = "";
  shown.forEach((line, i) => {
    out += `${dim(`${String(i + 1).padStart(digits + 1)} │`)} ${line}\n`;
  });
  if (lines.length > shown.length) out += `${dim(`  … ${lines.length - shown.length} more lines`)}\n`;
  return out;
}

/** A unified diff in colours: headers bold, hunk lines cyan, additions green, removals red. */
export function renderDiff(diff: string, options: FileViewOptions = {}): string {
  const c = options.palette;
  const max = options.maxLines ?? DEFAULT_MAX_FILE_LINES;
  const lines = classifyDiff(sanitizeTerminal(diff));
  let out = "";
  for (const line of lines.slice(0, max)) {
    const colour =
      c === undefined
        ? plain
        : line.kind === "header"
          ? c.bold
          : line.kind === "hunk"
            ? c.cyan
            : line.kind === "add"
              ? c.green
              : line.kind === "remove"
                ? c.red
                : line.kind === "note"
                  ? c.dim
                  : plain;
    out += `${colour(line.text)}\n`;
  }
  if (lines.length > max) out += `${(c?.dim ?? plain)(`… ${lines.length - max} more lines`)}\n`;
  return out;
}

/**
 * One version of a tracked file: a title line (`✎ app/main.py (406 B, +3 −1)`), then the whole file when
 * it was created (or no diff exists), else the diff against the previous content; a note when its
 * content is unknown or the change failed.
 */
export function renderFileVersion(
  file: TrackedFile,
  version: FileVersion,
  options: FileViewOptions = {},
): string {
  const c = options.palette;
  const dim = c?.dim ?? plain;
  const name = sanitizeTerminal(file.output.ok ? file.output.relative : file.path);
  const facts: string[] = [];
  if (version.size !== undefined) facts.push(formatBytes(version.size));
  const showDiff = !version.created && version.diff !== undefined;
  if (showDiff && version.diff !== undefined) {
    const { added, removed } = diffStats(version.diff);
    facts.push(`+${added} −${removed}`);
  }
  if (version.created) facts.push("new");
  if (version.status === "failed") facts.push("failed");
  const title = `${(c?.yellow ?? plain)("✎")} ${(c?.bold ?? plain)(name)}${facts.length > 0 ? dim(` (${facts.join(", ")})`) : ""}\n`;
  if (version.status === "failed") {
    return `${title}${dim(`  ${sanitizeTerminal(version.error ?? "the change failed")}`)}\n`;
  }
  if (version.content === undefined) return `${title}${dim("  (the new content is not known)")}\n`;
  if (showDiff && version.diff !== undefined) {
    const body = classifyDiff(version.diff).some((l) => l.kind === "hunk")
      ? renderDiff(version.diff, options)
      : `${dim("  (no change)")}\n`;
    return `${title}${body}`;
  }
  return `${title}${renderFileContent(file.path, version.content, options)}`;
}
