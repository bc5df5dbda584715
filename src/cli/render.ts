/**
 * Rendering of chat events for a terminal: agent messages as text, every other action as one compact,
 * coloured, recognisable line (the command, the file path and its size, never a wall of content).
 * Pure: returns strings, writes nothing.
 */
import type { RobocodersEvent } from "../core/events.js";

/** The colour functions the renderer uses (picocolors' `Colors` fits; identity functions disable colour). */
export interface Palette {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  blue(text: string): string;
  magenta(text: string): string;
  cyan(text: string): string;
}

/** A palette without colours. */
export const plainPalette: Palette = {
  bold: (t) => t,
  dim: (t) => t,
  red: (t) => t,
  green: (t) => t,
  yellow: (t) => t,
  blue: (t) => t,
  magenta: (t) => t,
  cyan: (t) => t,
};

/** Options of {@link renderEvent}. */
export interface RenderOptions {
  /** Colours. Default: none. */
  palette?: Palette;
  /** Width of the terminal; one-line summaries are cut to it. Default: 100. */
  width?: number;
  /** Show the agent's thoughts (dimmed) before its actions. Default: true. */
  thoughts?: boolean;
}

/** A human-readable size: `512 B`, `1.2 KB`, `3.4 MB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** Cuts a single line to `width` characters, ending it with `…` when cut. */
export function truncate(text: string, width: number): string {
  const chars = Array.from(text);
  if (chars.length <= width) return text;
  return `${chars.slice(0, Math.max(1, width - 1)).join("")}…`;
}

/**
 * Wraps plain text (no ANSI sequences) at spaces into lines of at most `width` characters, keeping its
 * line breaks; a word longer than a line is cut. (No wrap-ansi here: this module loads with `--help`.)
 */
export function wrapText(text: string, width: number): string[] {
  const out: string[] = [];
  for (const paragraph of text.split("\n")) {
    let line: string[] = [];
    for (const word of paragraph.split(" ").filter((w) => w !== "")) {
      let chars = Array.from(word);
      if (line.length > 0 && line.length + 1 + chars.length <= width) {
        line.push(" ", ...chars);
        continue;
      }
      if (line.length > 0) out.push(line.join(""));
      while (chars.length > width) {
        out.push(chars.slice(0, width).join(""));
        chars = chars.slice(width);
      }
      line = chars;
    }
    out.push(line.join(""));
  }
  return out;
}

/** The first non-blank line of a text and how many more lines follow. */
function firstLine(text: string): { line: string; more: number } {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  while (lines.length > 0 && lines[lines.length - 1]?.trim() === "") lines.pop();
  const index = lines.findIndex((l) => l.trim() !== "");
  if (index < 0) return { line: "", more: 0 };
  return { line: (lines[index] ?? "").trim(), more: lines.length - index - 1 };
}

function countLines(text: string): number {
  if (text === "") return 0;
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines.length;
}

function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function withNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}

/** The first line of an agent's thought, dimmed and cut to the width, as a line; `""` when there is none. */
export function renderThought(thought: unknown, options: RenderOptions = {}): string {
  const c = options.palette ?? plainPalette;
  const width = Math.max(20, options.width ?? 100);
  const { line: first } = firstLine(str(thought));
  return first === "" ? "" : `${c.dim(truncate(first, width))}\n`;
}

/**
 * The terminal rendering of one event: zero or more complete lines (each ending in `\n`), or `""` for
 * events that are not worth showing (state changes, file observations already shown as actions).
 */
export function renderEvent(event: RobocodersEvent, options: RenderOptions = {}): string {
  const c = options.palette ?? plainPalette;
  const width = Math.max(20, options.width ?? 100);
  const showThoughts = options.thoughts ?? true;
  const line = (symbol: string, text: string, colour: (t: string) => string = (t) => t) =>
    `${colour(symbol)} ${truncate(text, width - 2)}\n`;
  const thought = (text: unknown) => (showThoughts ? renderThought(text, options) : "");

  if (event.kind === "unknown_action") {
    const text = event.message !== "" ? event.message : JSON.stringify(event.args);
    return line("•", `${event.action}: ${firstLine(text).line}`, c.dim);
  }
  if (event.kind === "unknown_observation") return "";
  if (event.kind === "action") {
    switch (event.action) {
      case "message": {
        const text = event.args.content !== "" ? event.args.content : event.message;
        return text === "" ? "" : withNewline(text);
      }
      case "run": {
        const { line: cmd, more } = firstLine(event.args.command);
        // The suffixes stay on the line: the command is cut to leave room for them.
        const suffix = `${more > 0 ? ` (+${more} lines)` : ""}${event.args.background === true ? " (background)" : ""}`;
        const room = Math.max(8, width - 2 - suffix.length);
        return `${thought(event.args.thought)}${c.cyan("$")} ${c.bold(truncate(cmd, room))}${suffix === "" ? "" : c.dim(suffix)}\n`;
      }
      case "run_ipython": {
        const { line: code, more } = firstLine(event.args.code);
        const suffix = more > 0 ? ` (+${more} lines)` : "";
        const room = Math.max(8, width - 4 - suffix.length);
        return `${thought(event.args.thought)}${c.magenta(">>>")} ${truncate(code, room)}${suffix === "" ? "" : c.dim(suffix)}\n`;
      }
      case "write":
      case "edit": {
        const content = str(event.args.content);
        const size =
          content === ""
            ? ""
            : c.dim(` (${formatBytes(Buffer.byteLength(content, "utf8"))}, ${countLines(content)} lines)`);
        const verb = event.action === "write" ? "write" : "edit";
        return `${thought(event.args.thought)}${c.yellow("✎")} ${c.yellow(verb)} ${c.bold(event.args.path)}${size}\n`;
      }
      case "read":
        return `${thought(event.args.thought)}${c.blue("◆")} ${c.blue("read")} ${c.bold(event.args.path)}\n`;
      case "browse":
        return `${thought(event.args.thought)}${c.blue("⇢")} ${c.blue("browse")} ${truncate(event.args.url, width - 9)}\n`;
      case "browse_interactive": {
        const { line: first } = firstLine(str(event.args.browser_actions));
        return `${thought(event.args.thought)}${c.blue("⇢")} ${c.blue("browse")} ${truncate(first, width - 9)}\n`;
      }
      case "delegate": {
        const task = firstLine(str(event.args.inputs.task)).line;
        const text = task === "" ? event.args.agent : `${event.args.agent}: ${task}`;
        return `${thought(event.args.thought)}${line("↳", `delegate to ${text}`, c.magenta)}`;
      }
      case "finish":
      case "reject": {
        // The summary is shown whole, wrapped to the width (continuation lines indented), never cut.
        const ok = event.action === "finish";
        const summary = (event.args.thought !== "" ? event.args.thought : event.message)
          .replace(/\r\n?/g, "\n")
          .split("\n")
          .map((l) => l.trim())
          .filter((l) => l !== "")
          .join("\n");
        const label = ok ? "finished" : "rejected";
        const [first = "", ...rest] = wrapText(summary === "" ? label : `${label} ${summary}`, width - 2);
        const head = ok ? c.green(`✔ ${label}`) : c.red(`✘ ${label}`);
        const firstRest = first.slice(label.length);
        let out = `${head}${firstRest === "" ? "" : c.dim(firstRest)}\n`;
        for (const line of rest) out += `  ${c.dim(line)}\n`;
        return out;
      }
    }
    return "";
  }

  if (event.kind === "observation") {
    switch (event.observation) {
      case "run": {
        const code = event.extras.exit_code;
        const lines = countLines(event.content);
        const output = lines > 0 ? `, ${lines} line${lines === 1 ? "" : "s"} of output` : "";
        if (typeof code !== "number") return lines > 0 ? `${c.dim(`  ⎿ ${lines} lines of output`)}\n` : "";
        const status = code === 0 ? c.dim(`  ⎿ exit 0${output}`) : c.red(`  ⎿ exit ${code}${output}`);
        return `${status}\n`;
      }
      case "error": {
        const text = firstLine(event.content !== "" ? event.content : event.message).line;
        return line("✘", `error: ${text}`, c.red);
      }
      case "agent_state_changed":
        return event.extras.agent_state === "error"
          ? line("✘", "the agent stopped with an error", c.red)
          : "";
      default:
        return "";
    }
  }

  // Control frames.
  if (event.message === "") return "";
  return event.error ? line("✘", event.message, c.red) : line("•", event.message, c.dim);
}

/**
 * One event as a JSON line (without the newline) for `--json`: the typed event with `kind` first and the
 * untouched server object last under `raw`. Non-finite numbers (`NaN`) become `null`, as in `JSON.stringify`.
 */
export function eventJson(event: RobocodersEvent): string {
  const { raw, kind, ...rest } = event;
  return JSON.stringify({ kind, ...rest, raw });
}
