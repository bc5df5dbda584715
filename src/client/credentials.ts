/**
 * Resolution of the access token and the session id: option > `ROBOCODERS_ACCESS_TOKEN` > cache >
 * `GET /auth`, and sessions from `/create-session`, kept in the {@link CredentialCache}.
 */
import {
  APITimeoutError,
  APIUserAbortError,
  AuthenticationError,
  CacheWriteError,
  NotFoundError,
  type RobocodersError,
  WrongBaseURLError,
} from "../core/errors.js";
import { isJwtExpired, jwtExpiry } from "../core/jwt.js";
import type { Logger } from "../core/logger.js";
import type { CacheData, CredentialStore } from "./cache.js";
import type { CallContext } from "./call-context.js";
import { BROWSER_ACCEPT, BROWSER_USER_AGENT, type HttpTransport } from "./http.js";

/**
 * Where a token came from. `login` is a token stored by `setAccessToken` (`robocoders login --token`) and
 * read from the cache or memory; like `option` and `env` it is never replaced behind the caller's back.
 */
export type TokenSource = "option" | "env" | "login" | "cache" | "auth" | "memory";

/** A token and its origin. */
export interface ResolvedToken {
  token: string;
  /** `option`, `env` and `login` tokens are never replaced behind the caller's back. */
  source: TokenSource;
}

/** What to do when a cache write fails. */
export type OnWriteFailure =
  /** Throw the {@link CacheWriteError}: the write is what the caller asked for. */
  | "throw"
  /** Keep the credentials in memory and log one warning per client: the write is a by-product of a call. */
  | "warn";

/** Settings of {@link Credentials}. */
export interface CredentialsConfig {
  explicit: { token: string; source: "option" | "env" } | undefined;
  cache: CredentialStore | undefined;
  transport: HttpTransport;
  logger: Logger;
  maxRetries: number;
  /** The base URL, named in errors. */
  baseURL: string;
}

const HOW_TO_SUPPLY =
  "Supply a token with the ROBOCODERS_ACCESS_TOKEN environment variable, the accessToken option, or `robocoders login --token <token>`.";

const LOG_IN_AGAIN =
  "Log in again: `robocoders login --token <token>` (or setAccessToken), or `robocoders login` for an anonymous token.";

function usable(token: unknown): token is string {
  return typeof token === "string" && token !== "" && !isJwtExpired(token);
}

/**
 * Runs `request` (a call to `/auth` or `/create-session`); a 404 from it becomes a {@link WrongBaseURLError}:
 * those paths exist on every Robocoders API, so the base URL points elsewhere.
 */
export async function notFoundMeansWrongBaseURL<T>(
  baseURL: string,
  request: string,
  send: () => Promise<T>,
): Promise<T> {
  try {
    return await send();
  } catch (error) {
    if (error instanceof NotFoundError) throw new WrongBaseURLError(baseURL, request, { cause: error });
    throw error;
  }
}

/** Holds the credentials of one client. */
export class Credentials {
  private readonly config: CredentialsConfig;
  /** The last token and session this client used (the only store when the cache is disabled). */
  private memory: { token?: string; sid?: string; login?: boolean } = {};
  /** Every token seen, for redaction. */
  private readonly seen = new Set<string>();
  /** The token fetch or replacement under way in this process: concurrent callers share it (single flight). */
  private inflight: Promise<ResolvedToken> | undefined;
  /** Whether a failed automatic cache write was already reported. */
  private warnedWriteFailure = false;

  constructor(config: CredentialsConfig) {
    this.config = config;
    if (config.explicit !== undefined) this.seen.add(config.explicit.token);
  }

  /** The tokens to redact from logs and errors. */
  secrets(): string[] {
    return [...this.seen];
  }

  /** True when the token must not be swapped silently: given as an option or env, or stored by login. */
  isExplicit(resolved: ResolvedToken): boolean {
    return resolved.source === "option" || resolved.source === "env" || resolved.source === "login";
  }

  private remember(token: string, sid?: string, login = false): void {
    this.seen.add(token);
    this.memory = { token, ...(sid === undefined ? {} : { sid }), ...(login ? { login } : {}) };
  }

  private async readCache(): Promise<CacheData> {
    const data = (await this.config.cache?.read()) ?? {};
    if (typeof data.access_token === "string") this.seen.add(data.access_token);
    return data;
  }

  private async locked<T>(call: CallContext, fn: () => Promise<T>): Promise<T> {
    const cache = this.config.cache;
    return cache === undefined ? fn() : cache.withLock(fn, call);
  }

  /** Writes the cache; a failure is thrown or warned about once, as `onFailure` says. */
  private async write(data: CacheData, onFailure: OnWriteFailure): Promise<void> {
    const cache = this.config.cache;
    if (cache === undefined) return;
    try {
      await cache.write(data);
    } catch (error) {
      if (onFailure === "throw" || !(error instanceof CacheWriteError)) throw error;
      if (this.warnedWriteFailure) return;
      this.warnedWriteFailure = true;
      this.config.logger.warn(
        `${error.message}; the credentials are kept in memory for this process only`,
        error.systemCode === undefined ? {} : { code: error.systemCode },
      );
    }
  }

  /** The error for a login token that expired or was rejected. */
  private loginTokenError(what: string, status: number, cause?: unknown): AuthenticationError {
    return new AuthenticationError(
      `The token stored with \`robocoders login\` for ${this.config.baseURL} ${what}; it is not replaced by an anonymous one. ${LOG_IN_AGAIN}`,
      status,
      cause === undefined ? undefined : { cause },
    );
  }

  /**
   * The token to use: the explicit one (an expired explicit JWT is an {@link AuthenticationError}), else the
   * one in memory or in the cache if its `exp` has not passed (an expired login token is an
   * {@link AuthenticationError}), else a fresh one from `/auth`: under the cache lock, re-read, and fetch only
   * if still missing, so parallel processes share one fetch.
   */
  async token(call: CallContext): Promise<ResolvedToken> {
    const explicit = this.config.explicit;
    if (explicit !== undefined) {
      if (isJwtExpired(explicit.token)) {
        const where = explicit.source === "env" ? "ROBOCODERS_ACCESS_TOKEN" : "the accessToken option";
        const expiry = jwtExpiry(explicit.token)?.toISOString() ?? "unknown";
        throw new AuthenticationError(
          `The access token from ${where} has expired (exp ${expiry}). ${HOW_TO_SUPPLY}`,
          401,
        );
      }
      return explicit;
    }
    if (usable(this.memory.token))
      return { token: this.memory.token, source: this.memory.login === true ? "login" : "memory" };
    const cached = await this.readCache();
    const fromCache = this.cachedToken(cached);
    if (fromCache !== undefined) return fromCache;
    return this.singleFlight(call, () =>
      this.locked(call, async () => {
        const again = await this.readCache();
        const stored = this.cachedToken(again);
        if (stored !== undefined) return stored;
        const token = await this.fetchToken(call);
        const { sid: _dropped, token_source: _source, ...rest } = again;
        await this.write({ ...rest, access_token: token }, "warn");
        this.remember(token);
        return { token, source: "auth" };
      }),
    );
  }

  /**
   * The usable token of the cache data, remembered; `undefined` when there is none or it expired.
   * @throws AuthenticationError when the token was stored by login and has expired.
   */
  private cachedToken(data: CacheData): ResolvedToken | undefined {
    const token = data.access_token;
    if (typeof token !== "string" || token === "") return undefined;
    const login = data.token_source === "login";
    if (isJwtExpired(token)) {
      if (!login) return undefined;
      const expiry = jwtExpiry(token)?.toISOString() ?? "unknown";
      throw this.loginTokenError(`has expired (exp ${expiry})`, 401);
    }
    this.remember(token, data.sid, login);
    return { token, source: login ? "login" : "cache" };
  }

  /**
   * Runs `work` unless a token fetch is already under way in this process, in which case its result is
   * shared. A shared fetch that fails for its own caller's reasons (an abort) is not this caller's failure:
   * then `work` runs for this caller.
   */
  private async singleFlight(call: CallContext, work: () => Promise<ResolvedToken>): Promise<ResolvedToken> {
    const running = this.inflight;
    if (running !== undefined) {
      try {
        return await running;
      } catch (error) {
        call.throwIfAborted();
        if (!(error instanceof APIUserAbortError || error instanceof APITimeoutError)) throw error;
      }
    }
    const mine = work();
    this.inflight = mine;
    try {
      return await mine;
    } finally {
      if (this.inflight === mine) this.inflight = undefined;
    }
  }

  /**
   * After a 401 with `rejected`: returns a fresh token from `/auth` and caches it in place of the rejected one
   * (and its session). If another call or process already replaced the cached token, that one is used instead
   * of fetching again. Nothing is dropped before the new token is there, so a failing `/auth` (a wrong base
   * URL) leaves the cache as it was. An explicit or login token is never replaced: an
   * {@link AuthenticationError} is thrown instead.
   */
  async replaceRejected(
    call: CallContext,
    rejected: ResolvedToken,
    error: RobocodersError,
  ): Promise<ResolvedToken> {
    const status = error.status ?? 401;
    if (rejected.source === "login") throw this.loginTokenError(`was rejected (${status})`, status, error);
    if (this.isExplicit(rejected)) {
      const where = rejected.source === "env" ? "ROBOCODERS_ACCESS_TOKEN" : "the accessToken option";
      throw new AuthenticationError(
        `The server rejected the access token from ${where} (${status}); it is not replaced by an anonymous one. ${HOW_TO_SUPPLY}`,
        status,
        { cause: error },
      );
    }
    for (;;) {
      // Another call of this process already replaced the rejected token: use the new one.
      const current = this.memory.token;
      if (current !== undefined && current !== rejected.token && usable(current))
        return { token: current, source: this.memory.login === true ? "login" : "memory" };
      const running = this.inflight;
      if (running === undefined) break;
      await running.catch(() => undefined);
      call.throwIfAborted();
      if (this.inflight === running) this.inflight = undefined;
    }
    if (this.memory.token === rejected.token) this.memory = {};
    return this.singleFlight(call, () =>
      this.locked(call, async () => {
        const data = await this.readCache();
        if (data.access_token !== rejected.token) {
          const stored = this.cachedToken(data);
          if (stored !== undefined) return stored;
        }
        const token = await this.fetchToken(call);
        const { access_token: _token, sid: _sid, token_source: _source, ...rest } = data;
        await this.write({ ...rest, access_token: token }, "warn");
        this.remember(token);
        return { token, source: "auth" };
      }),
    );
  }

  /** `GET /auth` (browser-like headers, retried like other requests) and the token of its `pre#token`. */
  async fetchToken(call: CallContext): Promise<string> {
    const { transport, maxRetries } = this.config;
    const html = await notFoundMeansWrongBaseURL(this.config.baseURL, "GET /auth", () =>
      transport.withRetries(call, maxRetries, async (attempt) => {
        const response = await transport.send(
          {
            method: "GET",
            path: "/auth",
            headers: {
              accept: BROWSER_ACCEPT,
              "user-agent": BROWSER_USER_AGENT,
              "accept-language": "en-US,en;q=0.9",
            },
          },
          call,
          attempt,
        );
        try {
          return await response.text();
        } catch (error) {
          throw call.abortError(error) ?? error;
        }
      }),
    );
    // The HTML parser is only needed here: load it on first use.
    const { extractAccessToken } = await import("./auth-page.js");
    const token = extractAccessToken(html);
    if (token === undefined || token === "") {
      throw new AuthenticationError(
        `GET /auth returned a page without an access token (no <pre id="token">). ${HOW_TO_SUPPLY}`,
        401,
        {
          request: "GET /auth",
        },
      );
    }
    this.seen.add(token);
    return token;
  }

  /** The session cached for `token` (only a session stored together with that same token), if any. */
  async cachedSid(token: string): Promise<string | undefined> {
    if (this.memory.token === token && this.memory.sid !== undefined) return this.memory.sid;
    const data = await this.readCache();
    if (data.access_token === token && typeof data.sid === "string" && data.sid !== "") {
      this.memory = { token, sid: data.sid };
      return data.sid;
    }
    return undefined;
  }

  /**
   * The cached session of `token`, or else a new one from `create`, stored as the current session. The
   * creation happens under the cache lock after a second look at the cache, so parallel processes share
   * one session. A failed cache write is warned about (the session is still returned).
   */
  async cachedSidOrCreate(call: CallContext, token: string, create: () => Promise<string>): Promise<string> {
    const cached = await this.cachedSid(token);
    if (cached !== undefined) return cached;
    return this.locked(call, async () => {
      const again = await this.cachedSid(token);
      if (again !== undefined) return again;
      const sid = await create();
      await this.writeSid(token, sid, "warn");
      return sid;
    });
  }

  /**
   * Makes `sid` the current session of `token`, in memory and in the cache (with the token), under the
   * cache lock. `onWriteFailure` says whether a failed write throws or is warned about.
   */
  async storeSid(
    token: string,
    sid: string,
    options: { call?: CallContext; onWriteFailure: OnWriteFailure },
  ): Promise<void> {
    const cache = this.config.cache;
    if (cache === undefined) {
      this.remember(token, sid, this.memory.token === token && this.memory.login === true);
      return;
    }
    await cache.withLock(() => this.writeSid(token, sid, options.onWriteFailure), options.call);
  }

  /** Writes `sid` as the session of `token`; the caller holds the cache lock (or there is no cache). */
  private async writeSid(token: string, sid: string, onWriteFailure: OnWriteFailure): Promise<void> {
    const data = await this.readCache();
    // The login mark stays with its token.
    const login = data.access_token === token && data.token_source === "login";
    const { token_source: _source, ...rest } = data;
    this.remember(token, sid, login || (this.memory.token === token && this.memory.login === true));
    await this.write(
      { ...rest, access_token: token, sid, ...(login ? { token_source: "login" as const } : {}) },
      onWriteFailure,
    );
  }

  /**
   * Stores `token` as the cached token and drops the cached session. `origin` `login` marks a token the user
   * supplied (never replaced by an anonymous one); `auth` one fetched from `/auth`.
   * @throws CacheWriteError when the cache cannot be written.
   */
  async storeToken(token: string, origin: "login" | "auth"): Promise<void> {
    this.seen.add(token);
    const login = origin === "login";
    this.memory = login ? { token, login } : { token };
    const cache = this.config.cache;
    if (cache === undefined) return;
    await cache.withLock(async () => {
      const { sid: _sid, token_source: _source, ...rest } = await cache.read();
      await this.write(
        { ...rest, access_token: token, ...(login ? { token_source: "login" as const } : {}) },
        "throw",
      );
    });
  }

  /**
   * Deletes the cached token and session (other keys stay; an otherwise empty file is removed).
   * @throws CacheWriteError when the cache cannot be written.
   */
  async clear(): Promise<void> {
    this.memory = {};
    const cache = this.config.cache;
    if (cache === undefined) return;
    await cache.withLock(async () => {
      const { access_token: _token, sid: _sid, token_source: _source, ...rest } = await cache.read();
      await this.write(rest, "throw");
    });
  }

  /** What {@link RobocodersClient.status} reports: where the token comes from, never the token. */
  async describe(): Promise<{
    source: "option" | "env" | "login" | "cache" | "none";
    token: string | undefined;
    sid: string | undefined;
  }> {
    const explicit = this.config.explicit;
    const data = await this.readCache();
    if (explicit !== undefined) {
      return {
        source: explicit.source,
        token: explicit.token,
        sid: data.access_token === explicit.token ? data.sid : undefined,
      };
    }
    if (typeof data.access_token === "string") {
      const source = data.token_source === "login" ? "login" : "cache";
      return { source, token: data.access_token, sid: data.sid };
    }
    if (this.memory.token !== undefined) {
      const source = this.memory.login === true ? "login" : "cache";
      return { source, token: this.memory.token, sid: this.memory.sid };
    }
    return { source: "none", token: undefined, sid: undefined };
  }
}
