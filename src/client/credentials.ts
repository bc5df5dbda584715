/**
 * Resolution of the access token and the session id: option > `ROBOCODERS_ACCESS_TOKEN` > cache >
 * `GET /auth`, and sessions from `/create-session`, kept in the {@link CredentialCache}.
 */
import {
  APITimeoutError,
  APIUserAbortError,
  AuthenticationError,
  type RobocodersError,
} from "../core/errors.js";
import { isJwtExpired, jwtExpiry } from "../core/jwt.js";
import type { Logger } from "../core/logger.js";
import type { CacheData, CredentialCache } from "./cache.js";
import type { CallContext } from "./call-context.js";
import { BROWSER_ACCEPT, BROWSER_USER_AGENT, type HttpTransport } from "./http.js";

/** Where a token came from. */
export type TokenSource = "option" | "env" | "cache" | "auth" | "memory";

/** A token and its origin. */
export interface ResolvedToken {
  token: string;
  /** `option`/`env` tokens are never replaced behind the caller's back. */
  source: TokenSource;
}

/** Settings of {@link Credentials}. */
export interface CredentialsConfig {
  explicit: { token: string; source: "option" | "env" } | undefined;
  cache: CredentialCache | undefined;
  transport: HttpTransport;
  logger: Logger;
  maxRetries: number;
}

const HOW_TO_SUPPLY =
  "Supply a token with the ROBOCODERS_ACCESS_TOKEN environment variable, the accessToken option, or `robocoders login --token <token>`.";

function usable(token: unknown): token is string {
  return typeof token === "string" && token !== "" && !isJwtExpired(token);
}

/** Holds the credentials of one client. */
export class Credentials {
  private readonly config: CredentialsConfig;
  /** The last token and session this client used (the only store when the cache is disabled). */
  private memory: { token?: string; sid?: string } = {};
  /** Every token seen, for redaction. */
  private readonly seen = new Set<string>();
  /** The token fetch or replacement under way in this process: concurrent callers share it (single flight). */
  private inflight: Promise<ResolvedToken> | undefined;

  constructor(config: CredentialsConfig) {
    this.config = config;
    if (config.explicit !== undefined) this.seen.add(config.explicit.token);
  }

  /** The tokens to redact from logs and errors. */
  secrets(): string[] {
    return [...this.seen];
  }

  /** True when the token was given explicitly (option or env) and must not be swapped silently. */
  isExplicit(resolved: ResolvedToken): boolean {
    return resolved.source === "option" || resolved.source === "env";
  }

  private remember(token: string, sid?: string): void {
    this.seen.add(token);
    this.memory = sid === undefined ? { token } : { token, sid };
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

  /**
   * The token to use: the explicit one (an expired explicit JWT is an {@link AuthenticationError}), else the
   * one in memory or in the cache if its `exp` has not passed, else a fresh one from `/auth`: under the cache
   * lock, re-read, and fetch only if still missing, so parallel processes share one fetch.
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
    if (usable(this.memory.token)) return { token: this.memory.token, source: "memory" };
    const cached = await this.readCache();
    if (usable(cached.access_token)) {
      this.remember(cached.access_token, cached.sid);
      return { token: cached.access_token, source: "cache" };
    }
    return this.singleFlight(call, () =>
      this.locked(call, async () => {
        const again = await this.readCache();
        if (usable(again.access_token)) {
          this.remember(again.access_token, again.sid);
          return { token: again.access_token, source: "cache" };
        }
        const token = await this.fetchToken(call);
        const { sid: _dropped, ...rest } = again;
        await this.config.cache?.write({ ...rest, access_token: token });
        this.remember(token);
        return { token, source: "auth" };
      }),
    );
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
   * After a 401 with `rejected`: drops it (and its session) from memory and cache and returns a fresh token.
   * If another process already replaced the cached token, that one is used instead of fetching again.
   * An explicit token is never replaced: an {@link AuthenticationError} is thrown instead.
   */
  async replaceRejected(
    call: CallContext,
    rejected: ResolvedToken,
    error: RobocodersError,
  ): Promise<ResolvedToken> {
    if (this.isExplicit(rejected)) {
      const where = rejected.source === "env" ? "ROBOCODERS_ACCESS_TOKEN" : "the accessToken option";
      throw new AuthenticationError(
        `The server rejected the access token from ${where} (${error.status ?? 401}); it is not replaced by an anonymous one. ${HOW_TO_SUPPLY}`,
        error.status ?? 401,
        { cause: error },
      );
    }
    for (;;) {
      // Another call of this process already replaced the rejected token: use the new one.
      const current = this.memory.token;
      if (current !== undefined && current !== rejected.token && usable(current))
        return { token: current, source: "memory" };
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
        if (usable(data.access_token) && data.access_token !== rejected.token) {
          this.remember(data.access_token, data.sid);
          return { token: data.access_token, source: "cache" };
        }
        const { access_token: _token, sid: _sid, ...rest } = data;
        await this.config.cache?.write(rest);
        const token = await this.fetchToken(call);
        await this.config.cache?.write({ ...rest, access_token: token });
        this.remember(token);
        return { token, source: "auth" };
      }),
    );
  }

  /** `GET /auth` (browser-like headers, retried like other requests) and the token of its `pre#token`. */
  async fetchToken(call: CallContext): Promise<string> {
    const { transport, maxRetries } = this.config;
    const html = await transport.withRetries(call, maxRetries, async (attempt) => {
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
    });
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
   * The session for `token`: the cached one, else a new one created by `create` under the cache lock
   * (re-reading first, so parallel processes share one session).
   */
  async sid(call: CallContext, token: string, create: () => Promise<string>): Promise<string> {
    const cached = await this.cachedSid(token);
    if (cached !== undefined) return cached;
    return this.locked(call, async () => {
      const again = await this.cachedSid(token);
      if (again !== undefined) return again;
      const sid = await create();
      await this.storeSid(token, sid, false);
      return sid;
    });
  }

  /** Makes `sid` the current session of `token`, in memory and in the cache (with the token). */
  async storeSid(token: string, sid: string, lock = true, call?: CallContext): Promise<void> {
    this.remember(token, sid);
    const cache = this.config.cache;
    if (cache === undefined) return;
    const write = async () => {
      const data = await cache.read();
      await cache.write({ ...data, access_token: token, sid });
    };
    if (lock) await cache.withLock(write, call);
    else await write();
  }

  /** Forgets the session `sid` if it is the current one (memory and cache). */
  async dropSid(sid: string, call?: CallContext): Promise<void> {
    if (this.memory.sid === sid) delete this.memory.sid;
    const cache = this.config.cache;
    if (cache === undefined) return;
    await cache.withLock(async () => {
      const data = await cache.read();
      if (data.sid !== sid) return;
      const { sid: _sid, ...rest } = data;
      await cache.write(rest);
    }, call);
  }

  /** Stores `token` as the cached token and drops the cached session. */
  async setToken(token: string): Promise<void> {
    this.seen.add(token);
    this.memory = { token };
    const cache = this.config.cache;
    if (cache === undefined) return;
    await cache.withLock(async () => {
      const { sid: _sid, ...rest } = await cache.read();
      await cache.write({ ...rest, access_token: token });
    });
  }

  /** Deletes the cached token and session (other keys stay; an otherwise empty file is removed). */
  async clear(): Promise<void> {
    this.memory = {};
    const cache = this.config.cache;
    if (cache === undefined) return;
    await cache.withLock(async () => {
      const { access_token: _token, sid: _sid, ...rest } = await cache.read();
      await cache.write(rest);
    });
  }

  /** What {@link RobocodersClient.status} reports: where the token comes from, never the token. */
  async describe(): Promise<{
    source: "option" | "env" | "cache" | "none";
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
    if (typeof data.access_token === "string")
      return { source: "cache", token: data.access_token, sid: data.sid };
    if (this.memory.token !== undefined)
      return { source: "cache", token: this.memory.token, sid: this.memory.sid };
    return { source: "none", token: undefined, sid: undefined };
  }
}
