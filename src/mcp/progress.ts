/**
 * Progress messages: one short, readable line per agent action, for MCP progress notifications.
 * Pure: no I/O.
 */
import type { RobocodersEvent } from "../core/events.js";

/** Longest progress message, in characters. */
export const MAX_PROGRESS_MESSAGE_CHARS = 160;

/** The first non-blank line of `text`, on one line, cut to `max` characters (ending in `…` when cut). */
export function oneLine(text: string, max = MAX_PROGRESS_MESSAGE_CHARS): string {
  const lines = text.split(/\r\n|\r|\n/).filter((line) => line.trim() !== "");
  const first = (lines[0] ?? "").trim().replace(/[\u0000-\u001f\u007f]+/g, " ");
  const line = lines.length > 1 ? `${first} …` : first;
  const chars = Array.from(line);
  return chars.length <= max ? line : `${chars.slice(0, max - 1).join("")}…`;
}

function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/**
 * The progress line of an event: one per agent action (`Running: …`, `Writing …`, the first line of a
 * message…), one for an error frame; `undefined` for observations, state changes and other control frames.
 */
export function progressMessage(event: RobocodersEvent): string | undefined {
  if (event.kind === "control")
    return event.error ? oneLine(`Error: ${event.message || "the agent failed"}`) : undefined;
  if (event.kind !== "action" && event.kind !== "unknown_action") return undefined;
  if (event.source === "user") return undefined;
  if (event.kind === "unknown_action") return oneLine(event.message !== "" ? event.message : event.action);
  switch (event.action) {
    case "message": {
      const text = event.args.content !== "" ? event.args.content : event.message;
      return oneLine(event.args.wait_for_response ? `Asks: ${text}` : `Says: ${text}`);
    }
    case "run":
      return oneLine(`Running: ${event.args.command}`);
    case "run_ipython":
      return oneLine(`Running Python: ${event.args.code}`);
    case "write":
    case "edit": {
      const content = str(event.args.content);
      const size = content === "" ? "" : ` (${Buffer.byteLength(content, "utf8")} bytes)`;
      return oneLine(`${event.action === "write" ? "Writing" : "Editing"} ${event.args.path}${size}`);
    }
    case "read":
      return oneLine(`Reading ${event.args.path}`);
    case "browse":
      return oneLine(`Browsing ${event.args.url}`);
    case "browse_interactive":
      return oneLine(`Browsing: ${str(event.args.browser_actions) || event.message}`);
    case "delegate":
      return oneLine(`Delegating to ${event.args.agent}`);
    case "finish":
      return oneLine(`Finished${event.args.thought !== "" ? `: ${event.args.thought}` : ""}`);
    case "reject":
      return oneLine(`Gave up${event.args.thought !== "" ? `: ${event.args.thought}` : ""}`);
  }
}
