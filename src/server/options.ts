/**
 * Options of the gateway: {@link GatewayOptions} for `createApp`, {@link ServerOptions} for `startServer`.
 */
import type { RobocodersClient, RobocodersOptions } from "../client/types.js";
import type { Logger, LogLevel } from "../core/logger.js";
import type { RateLimitRule, Store } from "../store/types.js";
import type { AffinityStore, ConversationCacheOptions } from "./affinity.js";
import type { TextMode } from "./chat-completion.js";
import type { ConcurrencyLimiter } from "./limiter.js";
import type { WorkspaceOptions } from "./workspace/service.js";

/** The environment variable read when {@link GatewayOptions.apiKey} is not given. */
export const API_KEY_ENV = "ROBOCODERS_SERVER_API_KEY";
/** Default {@link GatewayOptions.maxBodyBytes}: 8 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;
/** Default {@link GatewayOptions.maxAnswerBytes}: 16 MiB. */
export const DEFAULT_MAX_ANSWER_BYTES = 16 * 1024 * 1024;
/** Default {@link GatewayOptions.keepAliveMs}: 15 s. */
export const DEFAULT_KEEP_ALIVE_MS = 15_000;
/** Default {@link ServerOptions.host}. */
export const DEFAULT_HOST = "127.0.0.1";
/** Default {@link ServerOptions.port}. */
export const DEFAULT_PORT = 1337;
/** Default {@link ServerOptions.shutdownGraceMs}: 10 s. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

/** Options of `createApp`. */
export interface GatewayOptions {
  /**
   * A ready client to talk to the Robocoders API. The gateway does not close a client it was given.
   * Default: a new `Robocoders` client built from {@link clientOptions}, closed by `app.close()`.
   */
  client?: RobocodersClient;
  /** Options of the client the gateway builds when {@link client} is not given. Default: `{}` (environment). */
  clientOptions?: RobocodersOptions;
  /**
   * The key callers must present as `Authorization: Bearer <key>` or `x-api-key: <key>` on `/v1/*`;
   * `false` or `""` turns the check off. Default: `ROBOCODERS_SERVER_API_KEY`, else no check.
   */
  apiKey?: string | false;
  /**
   * Check the `Host` header of every request against loopback names and {@link allowedHosts}: a defence
   * against DNS rebinding. Default: true for `createApp`; `startServer` turns it on exactly when it binds
   * a loopback address.
   */
  checkHost?: boolean;
  /** Host names (no port) accepted in the `Host` header besides loopback names (`--allowed-host`). Default: none. */
  allowedHosts?: readonly string[];
  /**
   * Origins (`scheme://host[:port]`) allowed to call the gateway from a web page (`--cors-origin`); `"*"`
   * allows every origin and needs an API key. Requests with any other `Origin` (but the gateway's own)
   * get 403. Default: none (CORS off).
   */
  corsOrigins?: readonly string[];
  /** Largest accepted request body, in bytes; larger bodies get 413. Default: 8 MiB. */
  maxBodyBytes?: number;
  /**
   * Largest non-streamed answer, in bytes of UTF-8 text; past it the upstream call is cancelled and the
   * caller gets 502 `answer_too_large` (streamed answers are not held, so not capped). Default: 16 MiB.
   */
  maxAnswerBytes?: number;
  /**
   * Conversation affinity: how many conversation points are remembered and for how long (sessions'
   * owners: four times as many); `false` turns affinity off (every request starts a new session unless
   * one is pinned). Default: 1000 points, 1 hour after they were last used.
   */
  affinity?: ConversationCacheOptions | false;
  /**
   * Where conversation points and session owners are kept. Default: on {@link sharedStore} when given
   * (entries kept for `affinity.ttlMs` after their last use), else a {@link MemoryAffinityStore} with the
   * {@link affinity} bounds. A shared store (e.g. Redis) lets several gateways continue each other's
   * conversations.
   */
  store?: AffinityStore;
  /** Most chat completions running at once; past it 429 `rate_limit_exceeded` with `Retry-After`. Default: 256. */
  maxConcurrency?: number;
  /**
   * The cap on running chat completions. Default: {@link maxConcurrency} slots on {@link sharedStore} when
   * given (for the whole fleet), else a `MemoryConcurrencyLimiter` of {@link maxConcurrency}.
   */
  limiter?: ConcurrencyLimiter;
  /**
   * How the answer's text is made from the agent's events: `"separated"` joins two pieces of text (e.g.
   * two agent messages) with a blank line; `"reference"` keeps the reference client's text byte for
   * byte. Default: `"separated"`.
   */
  textMode?: TextMode;
  /**
   * While a stream waits for the agent (a command may run for minutes), an SSE comment `: keep-alive` is
   * sent after this many ms of silence, so proxies and clients do not drop the connection; 0 disables.
   * Default: 15 000.
   */
  keepAliveMs?: number;
  /**
   * The web workspace: the page at `/` and its native API under `/api` (conversations kept with their
   * event timelines); `false` serves neither. Default: on, conversations in memory, or in
   * {@link sharedStore} when it is a Redis store (shared by the fleet).
   */
  workspace?: WorkspaceOptions | false;
  /**
   * The state shared with other instances (see docs/deployment.md): an open {@link Store}, not closed by
   * the gateway. Unless given otherwise, it then holds conversation affinity and session owners
   * ({@link store}), the running completions that {@link maxConcurrency} caps for the whole fleet
   * ({@link limiter}) and, on Redis, the web workspace's conversations and the upstream token of the
   * client the gateway creates (one `/auth` for the fleet). Default: none (this process only).
   */
  sharedStore?: Store;
  /**
   * Callers may also present the API keys kept in {@link sharedStore} (`robocoders keys add`), and must present a
   * key. Default: false.
   */
  storeKeys?: boolean;
  /**
   * Chat completions per caller (`{limit, periodMs}`, or `"60/min"`), counted in {@link sharedStore} (or in memory
   * without one); past it 429 `rate_limit_exceeded` with `Retry-After`. Default: none.
   */
  rateLimit?: RateLimitRule | string;
  /** Where request logs go. Default: a logger writing to stderr. */
  logger?: Logger;
  /** Minimum level logged; each request is logged at `info`. Default: `info`. */
  logLevel?: LogLevel;
  /**
   * Serve the agents as MCP tools over Streamable HTTP at `/mcp`, behind the same API key, `Host` and
   * `Origin` rules (see docs/mcp.md); `false` turns it off. Default: true.
   */
  mcp?: boolean;
}

/** Options of `startServer`: those of `createApp`, plus where to listen and how to stop. */
export interface ServerOptions extends Omit<GatewayOptions, "sharedStore"> {
  /**
   * An open store, or a store URL (`memory`, `redis://…`, `rediss://…`) that `startServer` opens, checks
   * and closes with the server (an unreachable Redis rejects with `StoreUnavailableError`).
   * Default: `ROBOCODERS_STORE`, else none.
   */
  sharedStore?: Store | string;
  /** Prefix of every key of a store given as a URL. Default: `ROBOCODERS_STORE_PREFIX`, else `robocoders:`. */
  storePrefix?: string;
  /** Interface to bind. Default: `127.0.0.1`. */
  host?: string;
  /** Port to bind; `0` picks a free one. Default: 1337. */
  port?: number;
  /**
   * Allow binding a non-loopback address without an API key. Default: false (such a bind throws
   * `InsecureBindError`).
   */
  force?: boolean;
  /**
   * Install SIGTERM and SIGINT handlers that shut the server down gracefully (see `close`) and then
   * remove themselves. Default: false.
   */
  handleSignals?: boolean;
  /**
   * How long a shutdown lasts, in ms: the listener stays open, `/health` answers 503 `draining`, new
   * chat completions get 503 and running ones may finish; when it ends they are cut. Default: 10 000.
   */
  shutdownGraceMs?: number;
}
