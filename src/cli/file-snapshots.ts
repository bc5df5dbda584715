/**
 * The last known content of the agent's files in each session, kept between chats so that a later
 * `chat -c --show-files` shows a rewrite as a diff against what an earlier call saw (and `--output` can
 * save an edit of such a file). `<cacheDir>/files/<hash of the sid>.json`, owner-only (file 0600, folder
 * 0700), written atomically. Best effort: a missing or corrupt file is empty; limits keep it small.
 */
import { createHash } from "node:crypto";
import { readdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import writeFileAtomic from "write-file-atomic";
import { ensureDir } from "../internal/fs.js";

/** The folder of the snapshots inside the cache folder. */
export const SNAPSHOTS_FOLDER = "files";
/** Largest file kept, in UTF-8 bytes. */
export const MAX_SNAPSHOT_FILE_BYTES = 1 << 20;
/** Largest snapshot of one session, in UTF-8 bytes of content. */
export const MAX_SNAPSHOT_BYTES = 8 << 20;
/** How many sessions keep a snapshot (the least recently written are removed first). */
export const MAX_SNAPSHOTS = 200;

/** The snapshot file of a session (its name is a hash: a session id is never a path). */
export function snapshotPath(cacheDir: string, sid: string): string {
  const name = createHash("sha256").update(sid).digest("hex").slice(0, 32);
  return join(cacheDir, SNAPSHOTS_FOLDER, `${name}.json`);
}

/** The files of a session's snapshot (workspace path → content); empty when there is none or it is corrupt. */
export async function loadSnapshot(cacheDir: string, sid: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  try {
    const data = JSON.parse(await readFile(snapshotPath(cacheDir, sid), "utf8")) as {
      sid?: unknown;
      files?: unknown;
    };
    if (data.sid !== sid || typeof data.files !== "object" || data.files === null) return files;
    for (const [path, content] of Object.entries(data.files)) {
      if (typeof content === "string") files.set(path, content);
    }
  } catch {
    // Missing or corrupt: nothing known.
  }
  return files;
}

/**
 * Writes a session's snapshot: the given files, in order, skipping files over
 * {@link MAX_SNAPSHOT_FILE_BYTES} and stopping at {@link MAX_SNAPSHOT_BYTES}. Removes the oldest snapshots
 * past {@link MAX_SNAPSHOTS}. Rejects on I/O errors (the caller ignores them).
 */
export async function saveSnapshot(cacheDir: string, sid: string, files: Map<string, string>): Promise<void> {
  const kept: Record<string, string> = {};
  let total = 0;
  for (const [path, content] of files) {
    const size = Buffer.byteLength(content, "utf8");
    if (size > MAX_SNAPSHOT_FILE_BYTES) continue;
    if (total + size > MAX_SNAPSHOT_BYTES) break;
    total += size;
    kept[path] = content;
  }
  const dir = join(cacheDir, SNAPSHOTS_FOLDER);
  await ensureDir(dir);
  await writeFileAtomic(snapshotPath(cacheDir, sid), JSON.stringify({ version: 1, sid, files: kept }), {
    mode: 0o600,
  });
  const names = (await readdir(dir)).filter((name) => name.endsWith(".json"));
  if (names.length <= MAX_SNAPSHOTS) return;
  const dated = await Promise.all(
    names.map(async (name) => ({
      name,
      at: (await stat(join(dir, name)).catch(() => undefined))?.mtimeMs ?? 0,
    })),
  );
  dated.sort((a, b) => a.at - b.at);
  for (const { name } of dated.slice(0, dated.length - MAX_SNAPSHOTS)) {
    await rm(join(dir, name), { force: true });
  }
}

/** Removes a session's snapshot (for `session forget`). */
export async function removeSnapshot(cacheDir: string, sid: string): Promise<void> {
  await rm(snapshotPath(cacheDir, sid), { force: true });
}
