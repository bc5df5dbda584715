/**
 * Request logging and the escaping of caller-controlled values.
 *
 * Everything a caller controls (path, model, session, user…) is passed through {@link safeValue} before
 * it reaches a log line or an error message: control characters cannot forge log lines or drive the
 * operator's terminal, and long values are cut.
 */
import type { MiddlewareHandler } from "hono";
import type { Logger, LogLevel } from "../core/logger.js";

/** Longest caller-controlled value kept in logs and echoed error messages, in characters. */
export const MAX_LOGGED_VALUE_CHARS = 200;

/**
 * C0 controls, DEL, C1 controls (0x9b is a one-byte CSI on some terminals), line and paragraph
 * separators, and the bidirectional overrides and isolates that can make a line read differently.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeChar(char: string): string {
  switch (char) {
    case "\n":
      return "\\n";
    case "\r":
      return "\\r";
    case "\t":
      return "\\t";
    default: {
      const code = char.charCodeAt(0);
      return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16)}`;
    }
  }
}

/**
 * A caller-controlled value made safe to print: backslashes doubled, control and direction characters
 * escaped (`\n`, `\r`, `\t`, `\xNN`, `\uNNNN`), then cut to `max` characters with `…` (default
 * {@link MAX_LOGGED_VALUE_CHARS}). Pure; the result holds no control character.
 */
export function safeValue(value: string, max = MAX_LOGGED_VALUE_CHARS): string {
  // Escape only a bounded prefix, so a huge value costs little.
  const head = value.length > max ? value.slice(0, max) : value;
  const escaped = head.replace(/\\/g, "\\\\").replace(UNSAFE, escapeChar);
  if (head === value && escaped.length <= max) return escaped;
  // Cut, never on half a surrogate pair.
  const cut = escaped.slice(0, max).replace(/[\ud800-\udbff]$/, "");
  return `${cut}…`;
}

/** What a request log record holds besides method, path, status and duration (the type of `GatewayApp`'s variables). */
export interface RequestInfo {
  /** `performance.now()` when the request arrived. */
  started: number;
  model?: string;
  session?: string;
  user?: string;
  stream?: boolean;
  /** Set when the handler logs the request itself (streams are logged when they end). */
  deferred?: boolean;
}

/** The Hono variables the gateway's middleware sets (part of the type of `GatewayApp`). */
export type GatewayEnv = {
  Variables: {
    info: RequestInfo;
    /** The CORS headers of the answer, set by the request guard for an allowed cross-origin caller. */
    cors: Record<string, string> | undefined;
  };
};

/** A logger with an `enabled` check (see `leveledLogger`). */
export type GatewayLogger = Logger & { enabled(level: LogLevel): boolean };

/**
 * Logs one finished request at `info` (499, a caller that went away, included): method, path, status,
 * duration and the request's model, session, user and stream flag, every string escaped and cut.
 */
export function logRequest(
  logger: GatewayLogger,
  method: string,
  path: string,
  status: number,
  info: RequestInfo,
): void {
  if (!logger.enabled("info")) return;
  const safeMethod = safeValue(method, 20);
  const safePath = safeValue(path);
  const fields: Record<string, unknown> = {
    method: safeMethod,
    path: safePath,
    status,
    durationMs: Math.round(performance.now() - info.started),
  };
  if (info.model !== undefined) fields.model = safeValue(info.model);
  if (info.session !== undefined) fields.session = safeValue(info.session);
  if (info.user !== undefined) fields.user = safeValue(info.user);
  if (info.stream !== undefined) fields.stream = info.stream;
  logger.info(`${safeMethod} ${safePath} ${status}`, fields);
}

/**
 * The first middleware: gives every request its {@link RequestInfo} and logs it when answered (streams
 * are logged by their handler when they end: `info.deferred`).
 */
export function requestLog(logger: GatewayLogger): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const info: RequestInfo = { started: performance.now() };
    c.set("info", info);
    await next();
    if (info.deferred !== true) logRequest(logger, c.req.method, c.req.path, c.res.status, info);
  };
}
