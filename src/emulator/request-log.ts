/** The emulator's request log: one entry per request, and its one-line text form (`emulate --log`). */
import type { ChatRecord, RequestLogEntry } from "./types.js";

/** What a request's handlers report for its log entry. */
export interface RequestTrace {
  /** Names of the faults applied. */
  faults: readonly string[];
  /** The record of a `/chat` stream. */
  chat?: ChatRecord;
}

/**
 * One line (no newline) for a log entry: method, path, status, faults applied and duration, then how a
 * `/chat` stream ended when it did not complete. Never contains a header, token or body.
 *
 * @example
 * formatRequestLogLine({ method: "POST", path: "/chat", status: 200, faults: ["crlf"], durationMs: 12.4, admin: false })
 * // "POST /chat 200 faults=crlf 12ms"
 */
export function formatRequestLogLine(entry: RequestLogEntry): string {
  const faults = entry.faults.length === 0 ? "none" : entry.faults.join(",");
  const outcome =
    entry.outcome === undefined || entry.outcome === "completed" ? "" : ` outcome=${entry.outcome}`;
  return `${entry.method} ${entry.path} ${entry.status} faults=${faults} ${Math.round(entry.durationMs)}ms${outcome}`;
}
