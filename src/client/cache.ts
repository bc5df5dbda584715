/**
 * The credential cache of one base URL: `<cacheDir>/robocoders.json` for the default URL (the reference
 * client's file and format), `<cacheDir>/robocoders-<host>-<hash>.json` for any other (see
 * {@link cacheFileName}). A JSON object with the reference client's keys `access_token` and `sid` (other
 * keys are preserved). Owner-only permissions (file 0600, folder 0700), atomic replacement, and a
 * cross-process lock so that parallel processes never corrupt it and share one token fetch. A corrupt or
 * unreadable file is treated as empty (and replaced on the next write); a failed write throws
 * {@link CacheWriteError}.
 */
import { readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import lockfile from "proper-lockfile";
import { CacheWriteError, RobocodersError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { ensureDir } from "../internal/fs.js";
import { errorCode, isRecord } from "../internal/values.js";
import type { CallContext } from "./call-context.js";
import { cacheFileName } from "./options.js";

/** The cache file's content. */
export interface CacheData {
  /** The access token (a JWT). */
  access_token?: string;
  /** The current session id. */
  sid?: string;
  /**
   * `"login"` when the token was stored by `setAccessToken` (`robocoders login --token`): such a token is
   * never replaced by an anonymous one behind the user's back.
   */
  token_source?: "login";
  /** Keys written by other tools, kept as they are. */
  [key: string]: unknown;
}

/** How long a lock may go without being refreshed before another process takes it over, in ms. */
export const LOCK_STALE_MS = 10_000;
/** Longest wait for the lock, in ms, before going ahead without it (and logging a warning). */
export const LOCK_WAIT_MS = 60_000;

// The atomic writer is needed only when the cache changes: load it on first use, so that a warm-cache call
// (which only reads the file) does not pay for its import. proper-lockfile stays a static import: loading it
// installs process signal handlers (signal-exit), and installing those late, after an application's own
// SIGTERM/SIGINT handlers, would change how that application's process ends on a signal.
type WriteFn = typeof import("write-file-atomic");
let writerModule: Promise<WriteFn> | undefined;
const loadWriter = (): Promise<WriteFn> => {
  writerModule ??= import("write-file-atomic").then((module) => module.default);
  return writerModule;
};

/**
 * Where a client keeps its token and current session: the file cache ({@link CredentialCache}) by default,
 * or another store given as the `credentialStore` option (a gateway fleet's shared store).
 */
export interface CredentialStore {
  /** Where the credentials are, for status output (a path, or a description). */
  readonly file: string;
  /** The stored credentials; empty when there are none. */
  read(): Promise<CacheData>;
  /** Replaces the credentials; empty data removes them. */
  write(data: CacheData): Promise<void>;
  /** Runs `fn` while holding the store's lock, shared by every process that uses the store. */
  withLock<T>(fn: () => Promise<T>, call?: CallContext): Promise<T>;
}

/** The credential cache file of one base URL in one folder. */
export class CredentialCache implements CredentialStore {
  /** Path of the cache file. */
  readonly file: string;
  private readonly dir: string;
  private readonly logger: Logger;
  /** Whether an unreadable file was already reported (once per instance). */
  private warnedUnreadable = false;

  /** @param baseURL the normalized base URL whose credentials this file keeps. */
  constructor(dir: string, baseURL: string, logger: Logger) {
    this.dir = dir;
    this.file = join(dir, cacheFileName(baseURL));
    this.logger = logger;
  }

  /**
   * Reads the cache. A missing file is empty; a corrupt or unreadable one is empty too and logged at warn
   * (without its content; an unreadable one once per instance). Keys of the wrong type (`access_token`/`sid` not strings) are dropped.
   */
  async read(): Promise<CacheData> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch (error) {
      const code = errorCode(error);
      // No file (or no folder that could hold one) is an empty cache; anything else is worth one warning.
      if (code !== "ENOENT" && code !== "ENOTDIR" && !this.warnedUnreadable) {
        this.warnedUnreadable = true;
        this.logger.warn("credential cache is unreadable; treating it as empty", { file: this.file, code });
      }
      return {};
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.logger.warn("credential cache is not valid JSON; it will be replaced", { file: this.file });
      return {};
    }
    if (!isRecord(value)) {
      this.logger.warn("credential cache is not a JSON object; it will be replaced", { file: this.file });
      return {};
    }
    const data: CacheData = { ...value };
    if (typeof data.access_token !== "string") delete data.access_token;
    if (typeof data.sid !== "string") delete data.sid;
    return data;
  }

  /**
   * Replaces the file atomically (write to a temporary file, then rename) with mode 0600, creating the folder
   * with mode 0700. Empty data deletes the file.
   * @throws CacheWriteError when the folder cannot be created or the file cannot be written or deleted.
   */
  async write(data: CacheData): Promise<void> {
    try {
      if (Object.keys(data).length === 0) {
        await unlink(this.file).catch((error: unknown) => {
          if (errorCode(error) !== "ENOENT") throw error;
        });
        return;
      }
      await ensureDir(this.dir);
      const writeFileAtomic = await loadWriter();
      await writeFileAtomic(this.file, `${JSON.stringify(data)}\n`, { mode: 0o600 });
    } catch (error) {
      throw new CacheWriteError(this.file, errorCode(error), { cause: error });
    }
  }

  /**
   * Runs `fn` while holding the cross-process lock (`robocoders.json.lock`, a folder refreshed while held and
   * considered stale after {@link LOCK_STALE_MS}). Waits for another holder with short random pauses; gives
   * up waiting after {@link LOCK_WAIT_MS} (throws when `call` is aborted meanwhile) and then runs `fn` anyway, logging a warning.
   * When the folder cannot be created, `fn` runs without the lock and without a warning: nothing can be
   * written there, and the write in `fn` reports that.
   */
  async withLock<T>(fn: () => Promise<T>, call?: CallContext): Promise<T> {
    let release: (() => Promise<void>) | undefined;
    let folder = true;
    try {
      await ensureDir(this.dir);
    } catch (error) {
      folder = false;
      this.logger.debug("the credential cache folder cannot be created", {
        file: this.file,
        code: errorCode(error),
      });
    }
    try {
      if (folder) release = await this.acquire(call);
    } catch (error) {
      if (error instanceof RobocodersError) throw error;
      this.logger.warn("could not lock the credential cache; going ahead without the lock", {
        file: this.file,
        code: errorCode(error),
      });
    }
    try {
      return await fn();
    } finally {
      await release?.().catch(() => undefined);
    }
  }

  private async acquire(call?: CallContext): Promise<() => Promise<void>> {
    const started = Date.now();
    for (;;) {
      try {
        return await lockfile.lock(this.file, {
          realpath: false,
          stale: LOCK_STALE_MS,
          retries: 0,
          onCompromised: (error) => {
            this.logger.warn("the credential cache lock was taken over", {
              file: this.file,
              code: errorCode(error),
            });
          },
        });
      } catch (error) {
        if (errorCode(error) !== "ELOCKED") throw error;
      }
      const aborted = call?.abortError();
      if (aborted !== undefined) throw aborted;
      if (Date.now() - started > LOCK_WAIT_MS)
        throw Object.assign(new Error("lock wait timed out"), { code: "ETIMEDOUT" });
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 60));
    }
  }
}
