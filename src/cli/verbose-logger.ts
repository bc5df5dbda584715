/**
 * The `--verbose` logger: one line per record on stderr, requests as `→ POST /chat 200 812 ms`, every
 * message and field redacted (JWTs, Bearer values, secret-named keys, and the given secrets).
 */
import type { Logger } from "../core/logger.js";
import { redact, redactFields } from "../core/logger.js";
import type { Palette } from "./render.js";
import { plainPalette } from "./render.js";

/** Fields of a request record that get their own place in the line. */
const REQUEST_KEYS = new Set(["method", "path", "status", "durationMs", "attempt"]);

function scalar(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Formats one log record as a single line (without the newline). Pure. */
export function formatLogRecord(
  level: string,
  message: string,
  fields: Record<string, unknown> | undefined,
  palette: Palette = plainPalette,
  secrets: Iterable<string> = [],
): string {
  const list = [...secrets];
  const safe = (fields === undefined ? {} : redactFields(fields, list)) as Record<string, unknown>;
  const text = redact(message, list).replace(/[\r\n]+/g, " ");
  const tag =
    level === "error" ? palette.red(level) : level === "warn" ? palette.yellow(level) : palette.dim(level);
  if (typeof safe.method === "string" && typeof safe.path === "string") {
    const parts = [`${palette.dim("→")} ${safe.method} ${safe.path}`];
    if (safe.status !== undefined) {
      const status = scalar(safe.status);
      parts.push(typeof safe.status === "number" && safe.status >= 400 ? palette.red(status) : status);
    }
    if (typeof safe.durationMs === "number") parts.push(`${Math.round(safe.durationMs)} ms`);
    if (typeof safe.attempt === "number" && safe.attempt > 1) parts.push(`(retry ${safe.attempt - 1})`);
    const rest = Object.entries(safe).filter(([key]) => !REQUEST_KEYS.has(key));
    const extra =
      rest.length > 0 ? ` ${palette.dim(rest.map(([k, v]) => `${k}=${scalar(v)}`).join(" "))}` : "";
    // A message that only restates the request (e.g. "GET /v1/models 200") adds nothing to the line.
    const restates =
      /^(request|response|http)\b/i.test(text) || text.startsWith(`${safe.method} ${safe.path}`);
    const note = text !== "" && !restates ? ` ${palette.dim(text)}` : "";
    return `robocoders ${tag} ${parts.join(" ")}${extra}${note}`;
  }
  if (text === "retrying" && typeof safe.retry === "number") {
    const wait = typeof safe.delayMs === "number" ? ` in ${Math.round(safe.delayMs)} ms` : "";
    const cause = [safe.code, safe.status]
      .filter((v) => v !== undefined)
      .map(scalar)
      .join(" ");
    return `robocoders ${tag} ${palette.yellow("↻")} retry ${safe.retry}${wait}${cause === "" ? "" : ` after ${cause}`}`;
  }
  const extra = Object.keys(safe).length > 0 ? ` ${palette.dim(JSON.stringify(safe))}` : "";
  return `robocoders ${tag} ${text}${extra}`;
}

/** A {@link Logger} writing {@link formatLogRecord} lines to a stream (stderr by default). */
export function createVerboseLogger(
  options: {
    stream?: NodeJS.WritableStream;
    palette?: Palette;
    /** Extra strings to redact (e.g. a token given on the command line). */
    secrets?: () => Iterable<string>;
    /** Called before writing, e.g. to clear a spinner line. */
    beforeWrite?: () => void;
  } = {},
): Logger {
  const stream = options.stream ?? process.stderr;
  const write = (level: string, message: string, fields?: Record<string, unknown>) => {
    options.beforeWrite?.();
    stream.write(`${formatLogRecord(level, message, fields, options.palette, options.secrets?.() ?? [])}\n`);
  };
  return {
    error: (m, f) => write("error", m, f),
    warn: (m, f) => write("warn", m, f),
    info: (m, f) => write("info", m, f),
    debug: (m, f) => write("debug", m, f),
  };
}

/**
 * The logger of a command run without `--verbose`: warnings and errors only, each distinct message once,
 * as `robocoders: warning: <message> (<file>)` on stderr (a failed cache write, a corrupt cache replaced).
 */
export function createWarningLogger(
  options: {
    stream?: NodeJS.WritableStream;
    palette?: Palette;
    /** Called before writing, e.g. to clear a spinner line. */
    beforeWrite?: () => void;
  } = {},
): Logger {
  const stream = options.stream ?? process.stderr;
  const palette = options.palette ?? plainPalette;
  const shown = new Set<string>();
  const write = (message: string, fields?: Record<string, unknown>) => {
    const file =
      typeof fields?.file === "string" && !message.includes(fields.file) ? ` (${fields.file})` : "";
    const text = redact(`${message}${file}`).replace(/[\r\n]+/g, " ");
    if (shown.has(text)) return;
    shown.add(text);
    options.beforeWrite?.();
    stream.write(`${palette.yellow("robocoders: warning:")} ${text}\n`);
  };
  const ignore = () => undefined;
  return { error: write, warn: write, info: ignore, debug: ignore };
}
