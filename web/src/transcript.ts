/**
 * A conversation as Markdown, for "Copy as Markdown": prompts, agent messages, commands with their exit
 * codes and output, files written (content, or the diff when the file was seen before), reads, browsing,
 * delegation, finish, errors. Pure.
 */
import { displayText } from "../../src/core/events.js";
import type { Row } from "./model.js";

/** A fence longer than any run of backticks in `text`. */
function fence(text: string, language = ""): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const marks = "`".repeat(longest + 1);
  return `${marks}${language}\n${text.replace(/\n$/, "")}\n${marks}`;
}

function inline(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  const longest = Math.max(0, ...[...flat.matchAll(/`+/g)].map((m) => m[0].length));
  const marks = "`".repeat(longest + 1);
  return longest > 0 ? `${marks} ${flat} ${marks}` : `${marks}${flat}${marks}`;
}

function rowMarkdown(row: Row): string | undefined {
  switch (row.kind) {
    case "prompt":
      return row.entry.auto
        ? `*Continued automatically:* ${row.entry.prompt}`
        : `### You\n\n${row.entry.prompt}`;
    case "turn-end": {
      const { outcome, error } = row.entry;
      if (outcome === "failed") return `> **Error:** ${error?.message ?? "the turn failed"}`;
      if (outcome === "stopped") return "> *Stopped.*";
      return undefined;
    }
    case "control":
      return row.event.error ? `> **Error:** ${row.event.message}` : `> ${row.event.message}`;
    case "observation":
      return row.observation.observation === "error"
        ? `> **Error:** ${row.observation.content || row.observation.message}`
        : `*${row.observation.observation}:* ${row.observation.message || row.observation.content}`;
    case "action":
      break;
  }
  const { action, observation } = row;
  switch (action.action) {
    case "message": {
      const text = displayText(action);
      return action.source === "user" ? `### You\n\n${text}` : `### Agent\n\n${text}`;
    }
    case "run":
    case "run_ipython": {
      const code =
        action.action === "run" ? String(action.args.command ?? "") : String(action.args.code ?? "");
      const exit = observation?.kind === "observation" ? observation.extras.exit_code : undefined;
      const head =
        action.action === "run"
          ? `**Ran** ${inline(code)}${typeof exit === "number" ? ` (exit code ${exit})` : ""}`
          : `**Ran Python:**\n\n${fence(code, "python")}`;
      const output = observation?.content ?? "";
      return output === "" ? head : `${head}\n\n${fence(output)}`;
    }
    case "write":
    case "edit": {
      const path = String(action.args.path ?? "");
      const version = row.fileVersion;
      const verb = action.action === "write" ? "Wrote" : "Edited";
      if (version?.diff !== undefined && !version.created)
        return `**${verb}** ${inline(path)}\n\n${fence(version.diff, "diff")}`;
      const content =
        version?.content ?? (typeof action.args.content === "string" ? action.args.content : "");
      return `**${verb}** ${inline(path)}\n\n${fence(content)}`;
    }
    case "read":
      return `**Read** ${inline(String(action.args.path ?? ""))}`;
    case "browse":
      return `**Browsed** ${String(action.args.url ?? "")}`;
    case "browse_interactive":
      return `**Browsed interactively:** ${inline(String(action.args.browser_actions ?? ""))}`;
    case "delegate":
      return `**Delegated to ${String(action.args.agent ?? "")}:** ${String(action.args.thought ?? "")}`.trim();
    case "finish":
      return `**Finished.** ${String(action.args.thought ?? "")}`.trim();
    case "reject":
      return `**Rejected.** ${String(action.args.thought ?? "")}`.trim();
    default:
      return `**${action.action}:** ${action.message}`;
  }
}

/** The rows as one Markdown document titled `title`. */
export function toMarkdown(title: string, rows: readonly Row[]): string {
  const parts = [`# ${title}`];
  for (const row of rows) {
    const text = rowMarkdown(row);
    if (text !== undefined && text !== "") parts.push(text);
  }
  return `${parts.join("\n\n")}\n`;
}
