/**
 * Unified diffs of a file's versions, made by jsdiff (`diff`), and a line classification that every view
 * (terminal, web page, MCP resource) colours the same way. Pure and browser-safe.
 */
import { applyPatch, FILE_HEADERS_ONLY, formatPatch, structuredPatch } from "diff";

/** Lines of context around each change. */
export const DEFAULT_DIFF_CONTEXT = 3;

/**
 * Above this many changed lines no diff is made (the diff would be slow and unreadable); the file's new
 * content is shown instead.
 */
export const DEFAULT_MAX_DIFF_EDITS = 5000;

/** Options of {@link unifiedDiff}. */
export interface UnifiedDiffOptions {
  /** Lines of context around each change. Default: {@link DEFAULT_DIFF_CONTEXT} (3). */
  context?: number;
  /** Give up (return `undefined`) past this many changed lines. Default: {@link DEFAULT_MAX_DIFF_EDITS}. */
  maxEdits?: number;
  /** The file did not exist before: the old name becomes `/dev/null`. Default: false. */
  created?: boolean;
}

/**
 * The unified diff from `before` to `after` of the file `path`, with `--- a/path` and `+++ b/path`
 * headers (`--- /dev/null` for a created file), `\ No newline at end of file` markers where needed, and
 * no hunk when the contents are equal. `undefined` when more than `maxEdits` lines changed.
 * `applyUnifiedDiff(before, unifiedDiff(path, before, after))` is `after`.
 */
export function unifiedDiff(
  path: string,
  before: string,
  after: string,
  options: UnifiedDiffOptions = {},
): string | undefined {
  const name = path.replace(/^\/+/, "");
  const patch = structuredPatch(
    options.created === true ? "/dev/null" : `a/${name}`,
    `b/${name}`,
    before,
    after,
    undefined,
    undefined,
    {
      context: options.context ?? DEFAULT_DIFF_CONTEXT,
      maxEditLength: options.maxEdits ?? DEFAULT_MAX_DIFF_EDITS,
    },
  );
  if (patch === undefined) return undefined;
  return formatPatch(patch, FILE_HEADERS_ONLY);
}

/** Applies a unified diff made by {@link unifiedDiff} to `before`; `undefined` when it does not apply. */
export function applyUnifiedDiff(before: string, diff: string): string | undefined {
  const result = applyPatch(before, diff);
  return result === false ? undefined : result;
}

/** What a line of a unified diff is, for colouring. */
export type DiffLineKind = "header" | "hunk" | "add" | "remove" | "context" | "note";

/** One line of a unified diff, without its line break. */
export interface DiffLine {
  /** `header` (`---`/`+++`), `hunk` (`@@ … @@`), `add` (`+`), `remove` (`-`), `context` (` `), `note` (`\`). */
  kind: DiffLineKind;
  /** The line as it is in the diff, marker included. */
  text: string;
}

/**
 * The lines of a unified diff with their kinds. Each hunk is read by the line counts of its `@@` header,
 * so a removed line that starts with `--` stays a removal and several files' diffs in a row work.
 */
export function classifyDiff(diff: string): DiffLine[] {
  const lines = diff.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const result: DiffLine[] = [];
  let oldLeft = 0;
  let newLeft = 0;
  for (const text of lines) {
    const hunk = /^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@/.exec(text);
    let kind: DiffLineKind;
    if (hunk !== null) {
      kind = "hunk";
      oldLeft = hunk[1] === undefined ? 1 : Number(hunk[1]);
      newLeft = hunk[2] === undefined ? 1 : Number(hunk[2]);
    } else if (text.startsWith("\\")) kind = "note";
    else if (oldLeft > 0 || newLeft > 0) {
      if (text.startsWith("+")) {
        kind = "add";
        newLeft--;
      } else if (text.startsWith("-")) {
        kind = "remove";
        oldLeft--;
      } else {
        kind = "context";
        oldLeft--;
        newLeft--;
      }
    } else kind = "header";
    result.push({ kind, text });
  }
  return result;
}

/** Lines added and removed by a unified diff. */
export interface DiffStats {
  /** Lines starting with `+` inside hunks. */
  added: number;
  /** Lines starting with `-` inside hunks. */
  removed: number;
}

/** Counts the added and removed lines of a unified diff (`+3 −1` summaries). */
export function diffStats(diff: string): DiffStats {
  let added = 0;
  let removed = 0;
  for (const line of classifyDiff(diff)) {
    if (line.kind === "add") added++;
    else if (line.kind === "remove") removed++;
  }
  return { added, removed };
}
