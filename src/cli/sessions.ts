/**
 * The sessions this machine used, for `robocoders session list|use|name|forget` and for naming a session
 * in `session use` and `session forget`: `<cacheDir>/sessions.json`, owner-only (file 0600, folder 0700),
 * replaced atomically under a cross-process lock. A corrupt file counts as empty and is replaced on the
 * next change; nothing in it is ever fatal.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import lockfile from "proper-lockfile";
import writeFileAtomic from "write-file-atomic";
import { ensureDir } from "../internal/fs.js";

/** The registry's file name inside the cache folder. */
export const SESSIONS_FILE_NAME = "sessions.json";
/** How many sessions are kept (the least recently used are dropped first). */
export const MAX_SESSIONS = 200;
/** How much of the first prompt is kept, in characters. */
export const MAX_PROMPT_CHARS = 200;

/** One session of the registry. */
export interface SessionEntry {
  /** The session id. */
  sid: string;
  /** The agent first used in it. */
  agent: string;
  /** The first prompt sent in it (cut to {@link MAX_PROMPT_CHARS}). */
  firstPrompt: string;
  /** When it was last used (ISO 8601). */
  lastUsed: string;
  /** The API base URL it lives on. */
  baseUrl: string;
  /** The name given with `session name`, if any. */
  name?: string;
}

/** What a chat reports to the registry after a turn. */
export interface SessionUse {
  sid: string;
  agent: string;
  prompt: string;
  baseUrl: string;
  /** When; default now. */
  at?: Date;
}

/** The rule for session names: 1–40 letters, digits, `.`, `_`, `-`, starting with a letter or digit. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/;

/** Why a session name is not valid, or `undefined` when it is. */
export function invalidSessionName(name: string): string | undefined {
  return NAME.test(name)
    ? undefined
    : `"${name}" is not a valid session name (1–40 letters, digits, ".", "_" or "-", starting with a letter or digit)`;
}

function isEntry(value: unknown): value is SessionEntry {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.sid === "string" &&
    v.sid !== "" &&
    typeof v.agent === "string" &&
    typeof v.firstPrompt === "string" &&
    typeof v.lastUsed === "string" &&
    typeof v.baseUrl === "string" &&
    (v.name === undefined || typeof v.name === "string")
  );
}

/** The session registry of one cache folder. */
export class SessionRegistry {
  /** Path of `sessions.json`. */
  readonly file: string;
  private readonly dir: string;

  constructor(cacheDir: string) {
    this.dir = cacheDir;
    this.file = join(cacheDir, SESSIONS_FILE_NAME);
  }

  /** Every session, most recently used first. A missing or corrupt file gives `[]`. */
  async list(): Promise<SessionEntry[]> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch {
      return [];
    }
    try {
      const data = JSON.parse(text) as { sessions?: unknown };
      const sessions = Array.isArray(data.sessions) ? data.sessions.filter(isEntry) : [];
      return sessions.sort((a, b) => b.lastUsed.localeCompare(a.lastUsed));
    } catch {
      return [];
    }
  }

  /**
   * The session a reference names: a session name, else a session id, else the one session whose id
   * starts with it (at least 4 characters). `undefined` when none or several match.
   */
  async find(ref: string): Promise<SessionEntry | undefined> {
    return findSession(await this.list(), ref);
  }

  /** Records a turn: a new session gets its first prompt and agent; a known one a new last use. */
  async record(use: SessionUse): Promise<void> {
    await this.update((sessions) => {
      const at = (use.at ?? new Date()).toISOString();
      const existing = sessions.find((s) => s.sid === use.sid);
      if (existing !== undefined) {
        existing.lastUsed = at;
        return sessions;
      }
      const entry: SessionEntry = {
        sid: use.sid,
        agent: use.agent,
        firstPrompt: Array.from(use.prompt.replace(/\s+/g, " ").trim()).slice(0, MAX_PROMPT_CHARS).join(""),
        lastUsed: at,
        baseUrl: use.baseUrl,
      };
      return [entry, ...sessions];
    });
  }

  /**
   * Names a session (found by {@link find}); the name moves from any other session that had it. Returns
   * the entry, or `undefined` when the reference matches no session.
   */
  async name(ref: string, name: string): Promise<SessionEntry | undefined> {
    let named: SessionEntry | undefined;
    await this.update((sessions) => {
      const target = findSession(sessions, ref);
      if (target === undefined) return undefined;
      for (const s of sessions) if (s.name === name) delete s.name;
      target.name = name;
      named = target;
      return sessions;
    });
    return named;
  }

  /** Removes a session (found by {@link find}); returns it, or `undefined` when none matched. */
  async forget(ref: string): Promise<SessionEntry | undefined> {
    let removed: SessionEntry | undefined;
    await this.update((sessions) => {
      removed = findSession(sessions, ref);
      return removed === undefined ? undefined : sessions.filter((s) => s !== removed);
    });
    return removed;
  }

  /** Read, change, write under the lock; `change` returning `undefined` writes nothing. */
  private async update(change: (sessions: SessionEntry[]) => SessionEntry[] | undefined): Promise<void> {
    // Not mkdir({ recursive }): it loops forever on a folder under /proc (see ensureDir).
    await ensureDir(this.dir);
    const release = await lockfile.lock(this.file, {
      realpath: false,
      stale: 10_000,
      retries: { retries: 50, minTimeout: 20, maxTimeout: 200, randomize: true },
    });
    try {
      const next = change(await this.list());
      if (next === undefined) return;
      const kept = next.sort((a, b) => b.lastUsed.localeCompare(a.lastUsed)).slice(0, MAX_SESSIONS);
      await writeFileAtomic(this.file, `${JSON.stringify({ version: 1, sessions: kept }, null, 2)}\n`, {
        mode: 0o600,
      });
    } finally {
      await release().catch(() => undefined);
    }
  }
}

/** {@link SessionRegistry.find} over a list. */
export function findSession(sessions: SessionEntry[], ref: string): SessionEntry | undefined {
  if (ref === "") return undefined;
  const named = sessions.find((s) => s.name === ref);
  if (named !== undefined) return named;
  const exact = sessions.find((s) => s.sid === ref);
  if (exact !== undefined) return exact;
  if (ref.length < 4) return undefined;
  const prefixed = sessions.filter((s) => s.sid.startsWith(ref));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}
