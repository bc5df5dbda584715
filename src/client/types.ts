/**
 * Public types of the {@link Robocoders} client: its options, per-call options and the chat stream.
 */
import type { RobocodersEvent } from "../core/events.js";
import type { Logger, LogLevel } from "../core/logger.js";
import type { ChatExchange } from "../core/transcript.js";
import type { CredentialStore } from "./cache.js";

/** The three agents the service offers. */
export const AGENTS = ["GeneralCodingAgent", "RepoAgent", "FrontEndAgent"] as const;
/** An agent name. */
export type AgentName = (typeof AGENTS)[number];
/** The default agent. */
export const DEFAULT_AGENT: AgentName = "GeneralCodingAgent";
/** The default base URL of the service. */
export const DEFAULT_BASE_URL = "https://api.robocoders.ai";

/** A `fetch`-compatible function (undici's, Node's, or a wrapper). */
export type FetchLike = (
  input: string | URL,
  init?: RequestInit & { dispatcher?: unknown },
) => Promise<Response>;

/** Options of the {@link Robocoders} client. Explicit options win over the environment. */
export interface RobocodersOptions {
  /** Base URL of the API. Default: `ROBOCODERS_BASE_URL`, else `https://api.robocoders.ai`. */
  baseURL?: string;
  /**
   * Access token (a JWT) to use instead of scraping `/auth`. Default: `ROBOCODERS_ACCESS_TOKEN`, else the
   * cache, else a fresh token from `GET /auth`.
   */
  accessToken?: string;
  /**
   * Folder of the credential cache; `false` keeps credentials in memory only. Each base URL has its own file:
   * `robocoders.json` (the reference client's file) for the default URL, `robocoders-<host>-<hash>.json` for
   * others. A failed automatic write (during a chat) is logged once at `warn` and the credentials stay in
   * memory. Default: `ROBOCODERS_CACHE_DIR`, else the user's cache folder for `robocoders`
   * (`~/.cache/robocoders` on Linux).
   */
  cacheDir?: string | false;
  /**
   * Where the token and the current session are kept instead of the cache file, e.g. the shared store of a
   * gateway fleet (`StoreCredentialCache` of `robocoders/server`), so that every process shares one token
   * and one `/auth` fetch. Default: the file cache of {@link cacheDir}.
   */
  credentialStore?: CredentialStore;
  /**
   * Proxy URL for every request (`http://`, `https://`); `false` disables proxies.
   * Default: `ROBOCODERS_PROXY`, else `HTTPS_PROXY`/`HTTP_PROXY` honouring `NO_PROXY`.
   */
  proxy?: string | false;
  /** Total time limit of one call (all retries and continues included), in ms. Default: 600 000 (10 minutes). */
  timeout?: number;
  /** Longest silence allowed between two bytes of a response, in ms. Default: 600 000 (10 minutes). */
  idleTimeout?: number;
  /** Retries after 429, 5xx and connection failures, before any output was delivered. Default: 2. */
  maxRetries?: number;
  /** Automatic `continue` prompts after a turn that waits for the user. Default: 1; 0 disables. */
  maxContinues?: number;
  /**
   * Base delay of the retry backoff, in ms: doubled per retry, capped at 8 s, with jitter; a `Retry-After`
   * from the server (capped at 60 s) takes precedence. Default: 500.
   */
  retryDelay?: number;
  /** Longest accepted line of the event stream, in bytes. Default: 64 MiB. */
  maxLineBytes?: number;
  /**
   * A `fetch` to send requests with; it receives undici's `dispatcher` (proxy, timeouts) in its init.
   * Default: none; requests go through `node:http`/`node:https` with a keep-alive agent, or through
   * undici's `fetch` when a proxy is configured (option or environment).
   */
  fetch?: FetchLike;
  /** Where log records go. Default: a logger writing to stderr. */
  logger?: Logger;
  /** Minimum level logged. Default: `ROBOCODERS_LOG`, else `off`. */
  logLevel?: LogLevel;
  /**
   * Records every `POST /chat` exchange: the request (token redacted) and the response exactly as received,
   * once its body ends. A path appends one JSON line per exchange to that file (created owner-only), the
   * transcript format `robocoders emulate --replay` answers from; a function receives each
   * {@link ChatExchange}. A recording that fails is logged, never thrown. Default: none.
   */
  record?: string | ((exchange: ChatExchange) => void | Promise<void>);
}

/** Options of one chat call. */
export interface ChatOptions {
  /** The agent (or an alias). Default: `GeneralCodingAgent`. */
  agent?: string;
  /** The session to talk in. Default: the cached session, created when there is none. */
  sid?: string;
  /** Create a fresh session for this call (and cache it, unless `persistSession` is false). Default: false. */
  newSession?: boolean;
  /**
   * Make a session this call creates the cached current session (in memory and in `robocoders.json`).
   * `false` leaves the cache's session alone: the call still reads the cached session when it needs one
   * (unless `sid` or `newSession` says otherwise) and still caches a token it fetches, but a session it
   * creates is known only from {@link ChatStream.sid}. For callers that track many sessions themselves,
   * such as the gateway. Default: true.
   */
  persistSession?: boolean;
  /** Cancels the call. */
  signal?: AbortSignal;
  /** Overrides the client's `timeout` for this call, in ms. */
  timeout?: number;
  /** Overrides the client's `idleTimeout` for this call, in ms. */
  idleTimeout?: number;
  /** Overrides the client's `maxContinues` for this call. */
  maxContinues?: number;
  /** Overrides the client's `maxRetries` for this call. */
  maxRetries?: number;
  /**
   * Called each time a `/chat` request of this call is answered 200, before its first event (once per
   * turn: automatic continues call it again). A server relaying the stream can start its own answer here.
   */
  onResponse?: () => void;
}

/**
 * The events of one chat call (including automatic continues), as an async iterable.
 * Iterate it once. Leaving the loop early (`break`, `return`, `throw`) aborts the HTTP request at once.
 */
export interface ChatStream extends AsyncIterable<RobocodersEvent> {
  /** The session id in use, known once the session is resolved (before the first event). */
  readonly sid: string | undefined;
  /** The agent in use (resolved from aliases). */
  readonly agent: AgentName;
  /** How many `/chat` requests (turns) this call has made so far: 1 + continues. */
  readonly turns: number;
  /** The text of the stream by the reference rule (`args.content`, else `message`), as it arrives. */
  text(): AsyncIterable<string>;
  /** Waits for the whole stream and returns its text, concatenated. */
  finalText(): Promise<string>;
  /** Aborts the request. */
  abort(reason?: unknown): void;
}

/** Result of {@link Robocoders.getSessionCode}. */
export interface SessionCode {
  /** The GitHub repository holding the session's code. */
  repoUrl: string;
  /** The server's message, e.g. "Collaborator added successfully". */
  message: string;
}

/** What a status call reports about the credential cache. The token itself is never included. */
export interface CredentialStatus {
  /** Path of the cache file, or `undefined` when caching is disabled. */
  cacheFile: string | undefined;
  /**
   * Where the token comes from: the `accessToken` option, `ROBOCODERS_ACCESS_TOKEN`, stored with
   * `setAccessToken` (`robocoders login --token`; never replaced by an anonymous one), the cache (a token
   * fetched from `/auth`), or none yet.
   */
  tokenSource: "option" | "env" | "login" | "cache" | "none";
  /** The token's `exp` claim as a date, if there is a token and it has one. */
  tokenExpiresAt: Date | undefined;
  /** Whether the token's `exp` has passed. */
  tokenExpired: boolean;
  /** The cached session id. */
  sid: string | undefined;
}

/** Options of calls that make a single request. */
export interface RequestOptions {
  /** Cancels the call. */
  signal?: AbortSignal;
  /** Overrides the client's `timeout` for this call, in ms. */
  timeout?: number;
}

/**
 * What the {@link Robocoders} client offers. The class in `robocoders.ts` implements it; the CLI, the
 * gateway and the AI SDK provider depend on this interface only.
 */
export interface RobocodersClient {
  /** The resolved base URL, without a trailing slash. */
  readonly baseURL: string;
  /** Path of the credential cache file, or `undefined` when caching is disabled. */
  readonly cacheFile: string | undefined;

  /**
   * Streams one chat call: validates the agent before any request, resolves token and session, posts
   * `{sid, prompt, agent}` to `/chat`, retries and auto-continues as configured.
   * @throws ModelNotSupportedError synchronously for an unknown agent.
   */
  chat(prompt: string, options?: ChatOptions): ChatStream;
  /**
   * Creates a new session, makes it the cached current session, and returns its id.
   * @throws CacheWriteError when the cache cannot be written.
   */
  createSession(options?: RequestOptions): Promise<string>;
  /** Asks `/get-session-code` to add a GitHub user as collaborator on the session's code repository. */
  getSessionCode(githubUsername: string, options?: RequestOptions & { sid?: string }): Promise<SessionCode>;
  /**
   * Returns the access token: option > `ROBOCODERS_ACCESS_TOKEN` > cache > `GET /auth`.
   * `refresh: true` skips the cache and fetches a new one from `/auth` (and caches it).
   */
  getAccessToken(options?: RequestOptions & { refresh?: boolean }): Promise<string>;
  /**
   * Stores a token in the cache after checking it is a JWT whose `exp` has not passed, and drops the cached
   * sid. The token is marked as the user's: when the server rejects it (401) or it expires, calls fail with an
   * `AuthenticationError` instead of replacing it with an anonymous token.
   * @throws CacheWriteError when the cache cannot be written.
   */
  setAccessToken(token: string): Promise<void>;
  /** Where the credentials come from and when the token expires; never the token itself. */
  status(): Promise<CredentialStatus>;
  /**
   * Deletes the cached token and session.
   * @throws CacheWriteError when the cache cannot be written.
   */
  clearCache(): Promise<void>;
  /** Releases connections (the keep-alive agent or undici dispatchers). The client must not be used afterwards. */
  close(): Promise<void>;
}
