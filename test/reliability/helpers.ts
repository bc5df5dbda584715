/**
 * Shared pieces of the reliability suite: the built CLI as a child process, the texts the emulator
 * recorded, and counts of open handles.
 */
import { fileURLToPath } from "node:url";
import type { ChatRecord } from "../../src/emulator/types.js";
import { type ChildResult, runProcess } from "../support.js";

/** The built CLI (`npm test` builds first). */
export const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

/** Runs `node <args>` to completion with the given environment (merged over a clean copy of ours). */
export function runNode(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<ChildResult> {
  const base: Record<string, string | undefined> = { ...process.env };
  for (const key of Object.keys(base)) {
    if (key === "ROBOCODERS_CONFIG_DIR") continue; // the tests' own settings folder (vitest.config.ts)
    if (key.startsWith("ROBOCODERS_") || /^(https?|no)_proxy$/i.test(key)) delete base[key];
  }
  return runProcess(process.execPath, args, { env: { ...base, NO_COLOR: "1", ...env }, timeoutMs });
}

/**
 * The records that belong to one call: the first-turn requests whose prompt contains `marker` (a retry
 * repeats the prompt) and the `continue` turns on their sessions, in order.
 */
export function recordsOf(records: readonly ChatRecord[], marker: string): ChatRecord[] {
  const sids = new Set<string>();
  const out: ChatRecord[] = [];
  for (const r of records) {
    if (r.cleanPrompt.includes(marker)) {
      sids.add(r.sid);
      out.push(r);
    } else if (r.cleanPrompt === "continue" && sids.has(r.sid)) {
      out.push(r);
    }
  }
  return out;
}

/** Counts of the kinds of resources keeping the event loop alive (sockets, servers, timers). */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of process.getActiveResourcesInfo()) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}
