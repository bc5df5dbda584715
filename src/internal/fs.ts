/**
 * File-system helpers shared by the client, the CLI and the workspace.
 */
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { errorCode } from "./values.js";

/** Folders created by {@link ensureDir} at most, from the deepest existing one down. */
const MAX_DIR_DEPTH = 64;

/**
 * Creates `dir` and its missing parents (with `mode`, default 0700: owner only), one level at a time.
 * Unlike `mkdir({ recursive })`, it gives up with the system's error when a level cannot be created, even
 * where the system reports a missing parent for a parent that exists (Node's recursive mkdir loops forever
 * on `/proc/<new folder>`).
 */
export async function ensureDir(dir: string, mode = 0o700): Promise<void> {
  const missing: string[] = [];
  for (let current = dir; ; ) {
    try {
      await mkdir(current, { mode });
      break;
    } catch (error) {
      const code = errorCode(error);
      if (code === "EEXIST") break;
      const parent = dirname(current);
      if (code !== "ENOENT" || parent === current || missing.length >= MAX_DIR_DEPTH) throw error;
      missing.push(current);
      current = parent;
    }
  }
  // The deepest existing folder was found (or just created): create the rest, from the top down.
  for (const folder of missing.reverse()) {
    try {
      await mkdir(folder, { mode });
    } catch (error) {
      if (errorCode(error) !== "EEXIST") throw error;
    }
  }
}
