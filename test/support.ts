/** Helpers shared by the end-to-end tests of every part. */
import { vi } from "vitest";
import type { Logger } from "../src/core/logger.js";

/**
 * Waits until `check()` holds, polling every 10 ms (servers notice aborts and closes asynchronously);
 * fails the test after `timeoutMs`.
 */
export async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  await vi.waitFor(
    () => {
      if (!check()) throw new Error(`condition not met within ${timeoutMs} ms: ${check.toString()}`);
    },
    { timeout: timeoutMs, interval: 10 },
  );
}

/** A log record captured by {@link recordingLogger}. */
export interface LogRecord {
  level: string;
  message: string;
  fields: Record<string, unknown> | undefined;
}

/** A logger that keeps every record; `text()` is all of them as JSON, for "never contains" checks. */
export function recordingLogger(): Logger & { records: LogRecord[]; text(): string } {
  const records: LogRecord[] = [];
  const push = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    records.push({ level, message, fields });
  };
  return {
    records,
    text: () => JSON.stringify(records),
    error: push("error"),
    warn: push("warn"),
    info: push("info"),
    debug: push("debug"),
  };
}
