/**
 * `robocoders session list|use|name|forget`: the sessions this machine used (see `../sessions.ts`).
 * `session use` makes a session the cached one, which the next chat continues.
 */
import { CredentialCache } from "../../client/cache.js";
import { defaultCacheDir, resolveBaseURL } from "../../client/options.js";
import { createStderrLogger } from "../../core/logger.js";
import type { CliIO, GlobalOptions } from "../context.js";
import { paletteFor } from "../context.js";
import { UsageError } from "../exit-codes.js";
import { truncate } from "../render.js";
import { invalidSessionName, type SessionEntry, SessionRegistry } from "../sessions.js";
import { sanitizeTerminal } from "../terminal-text.js";

/** The registry of the cache folder in use (`ROBOCODERS_CACHE_DIR`, else the user's cache folder). */
export function registryFor(io: CliIO): SessionRegistry {
  return new SessionRegistry(defaultCacheDir(io.env));
}

/** The credential cache of a base URL (each base URL has its own file). */
function credentialCache(io: CliIO, baseUrl: string): CredentialCache {
  return new CredentialCache(
    defaultCacheDir(io.env),
    resolveBaseURL(baseUrl, io.env),
    createStderrLogger(io.stderr),
  );
}

/** The session id cached for a base URL (the one the next chat there continues), if any. */
async function cachedSidOf(io: CliIO, baseUrl: string): Promise<string | undefined> {
  let sid: unknown;
  try {
    sid = (await credentialCache(io, baseUrl).read()).sid;
  } catch {
    return undefined;
  }
  return typeof sid === "string" && sid !== "" ? sid : undefined;
}

async function mustFind(io: CliIO, ref: string): Promise<SessionEntry> {
  const entry = await registryFor(io).find(ref);
  if (entry === undefined) {
    throw new UsageError(`No session "${ref}" on this machine (see \`robocoders session list\`)`);
  }
  return entry;
}

/** A local date and time to the minute: `2026-12-01 15:40`. */
function when(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The lines of `session list` (pure): a header, then one line per session, `*` marking the cached one. */
export function sessionListLines(
  sessions: SessionEntry[],
  current: ReadonlySet<string>,
  width = 120,
): string[] {
  const rows = sessions.map((s) => [
    current.has(s.sid) ? "*" : " ",
    sanitizeTerminal(s.name ?? "-"),
    s.sid,
    sanitizeTerminal(s.agent),
    when(s.lastUsed),
    sanitizeTerminal(s.baseUrl),
    sanitizeTerminal(s.firstPrompt),
  ]);
  const header = [" ", "NAME", "SESSION", "AGENT", "LAST USE", "BASE URL", "FIRST PROMPT"];
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => Array.from(r[i] ?? "").length)));
  return all.map((row) => {
    const head = row
      .slice(0, -1)
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ");
    const room = Math.max(12, width - head.length - 2);
    return `${head}  ${truncate(row[row.length - 1] ?? "", room)}`.trimEnd();
  });
}

/** Runs `session list [--json] [--names]`. */
export async function runSessionList(
  opts: { json?: boolean; names?: boolean },
  globals: GlobalOptions,
  io: CliIO,
): Promise<void> {
  const sessions = await registryFor(io).list();
  if (opts.names === true) {
    // For shell completion: names first, then ids.
    const words = [
      ...sessions.flatMap((s) => (s.name === undefined ? [] : [s.name])),
      ...sessions.map((s) => s.sid),
    ];
    if (words.length > 0) io.stdout.write(`${words.join("\n")}\n`);
    return;
  }
  // A session is current when it is the cached session of its own base URL.
  const cached = new Set<string>();
  for (const url of new Set(sessions.map((s) => s.baseUrl))) {
    const sid = await cachedSidOf(io, url);
    if (sid !== undefined) cached.add(sid);
  }
  if (opts.json === true) {
    const list = sessions.map((s) => ({ ...s, name: s.name ?? null, current: cached.has(s.sid) }));
    io.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    return;
  }
  if (sessions.length === 0) {
    io.stderr.write("No sessions yet: every chat records the session it used.\n");
    return;
  }
  const c = paletteFor(io.stdout, io.env, globals.color);
  const width = io.stdout.isTTY === true && (io.stdout.columns ?? 0) > 0 ? (io.stdout.columns ?? 120) : 1000;
  const [head, ...rows] = sessionListLines(sessions, cached, width);
  io.stdout.write(
    `${c.dim(head ?? "")}\n${rows.map((r) => (r.startsWith("*") ? c.bold(r) : r)).join("\n")}\n`,
  );
}

/** Runs `session use <sid|name>`: makes it the cached session, continued by the next chat. */
export async function runSessionUse(ref: string, _globals: GlobalOptions, io: CliIO): Promise<void> {
  const entry = await mustFind(io, ref);
  // The session lives on its base URL: it becomes the cached session of that URL's cache file.
  const cache = credentialCache(io, entry.baseUrl);
  await cache.withLock(async () => {
    const data = await cache.read();
    await cache.write({ ...data, sid: entry.sid });
  });
  io.stdout.write(`${entry.sid}\n`);
  io.stderr.write(`Using session ${entry.name ?? entry.sid}: the next chat continues it.\n`);
}

/** Runs `session name <sid|name> <new-name>`. */
export async function runSessionName(
  ref: string,
  name: string,
  _globals: GlobalOptions,
  io: CliIO,
): Promise<void> {
  const invalid = invalidSessionName(name);
  if (invalid !== undefined) throw new UsageError(invalid);
  const entry = await registryFor(io).name(ref, name);
  if (entry === undefined) {
    throw new UsageError(`No session "${ref}" on this machine (see \`robocoders session list\`)`);
  }
  io.stderr.write(`Session ${entry.sid} is now named ${name}.\n`);
}

/** Runs `session forget <sid|name>`: removes it from the list (and from the cache when it is the cached one). */
export async function runSessionForget(ref: string, _globals: GlobalOptions, io: CliIO): Promise<void> {
  const entry = await registryFor(io).forget(ref);
  if (entry === undefined) {
    throw new UsageError(`No session "${ref}" on this machine (see \`robocoders session list\`)`);
  }
  const cache = credentialCache(io, entry.baseUrl);
  await cache.withLock(async () => {
    const data = await cache.read();
    if (data.sid !== entry.sid) return;
    const { sid: _sid, ...rest } = data;
    await cache.write(rest);
  });
  // What chats kept of its files goes with it.
  const { removeSnapshot } = await import("../file-snapshots.js");
  await removeSnapshot(defaultCacheDir(io.env), entry.sid).catch(() => undefined);
  io.stderr.write(`Forgot session ${entry.name ?? entry.sid}.\n`);
}

/**
 * The session id a `--session` or `-c` value names: a name or id (or unique id prefix) from the
 * registry, else the value itself (a session this machine has not recorded).
 */
export async function resolveSessionRef(ref: string, io: CliIO): Promise<string> {
  const entry = await registryFor(io).find(ref);
  return entry?.sid ?? ref;
}
