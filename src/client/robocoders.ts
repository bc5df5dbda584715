/**
 * The {@link Robocoders} client: chat streams with typed events, sessions, the session's code, and the
 * credential cache, with retries, timeouts, cancellation and proxies.
 */
import {
  APIError,
  AuthenticationError,
  InvalidArgumentError,
  NotFoundError,
  type RobocodersError,
  StreamError,
  UnexpectedStatusError,
} from "../core/errors.js";
import { type RawEvent, rawEndsTurn, referenceWaitsForResponse } from "../core/events.js";
import { isJwtExpired, jwtExpiry, looksLikeJwt } from "../core/jwt.js";
import { createStderrLogger, type Logger, leveledLogger } from "../core/logger.js";
import { decodeEventStream } from "../core/ndjson.js";
import { isRecord } from "../internal/values.js";
import { resolveAgent } from "./agents.js";
import { CredentialCache } from "./cache.js";
import { CallContext } from "./call-context.js";
import { type ChatProgress, RobocodersChatStream } from "./chat-stream.js";
import {
  Credentials,
  notFoundMeansWrongBaseURL,
  type OnWriteFailure,
  type ResolvedToken,
} from "./credentials.js";
import { bodyFailure, type HttpResponse, HttpTransport } from "./http.js";
import { type ResolvedOptions, resolveOptions } from "./options.js";
import { chatRecorder } from "./recording-wire.js";
import type {
  AgentName,
  ChatOptions,
  ChatStream,
  CredentialStatus,
  RequestOptions,
  RobocodersClient,
  RobocodersOptions,
  SessionCode,
} from "./types.js";

/**
 * How a call chooses its session: `given` (the caller's `sid`, never replaced), `own` (`newSession`: every
 * session it needs is created anew, never taken from the cache, where a concurrent call may just have
 * stored its own), or `shared` (the cached current session, created when there is none).
 */
type SessionChoice = "given" | "own" | "shared";

/** The credentials one call uses, updated in place as it goes (a new token after a 401, a new session). */
interface CallState {
  token: ResolvedToken;
  sid: string;
  readonly choice: SessionChoice;
  /** Sessions created by this call become the cached current session (`ChatOptions.persistSession`). */
  readonly persist: boolean;
  /** A failed cache write: thrown (the caller asked for the write) or warned about (a by-product). */
  readonly onWriteFailure: OnWriteFailure;
  readonly maxRetries: number;
}

/** One chat call: what it sends, its limits and progress, and its credentials. */
interface ChatRun extends CallState {
  readonly prompt: string;
  readonly agent: AgentName;
  readonly call: CallContext;
  readonly progress: ChatProgress;
  readonly maxContinues: number;
  /** Called when a `/chat` request of the call answered 200 (see `ChatOptions.onResponse`). */
  readonly onResponse?: (() => void) | undefined;
}

/** Which `/chat` request of a call is being opened. */
type Turn = "first" | "continue";

const is401 = (error: unknown): error is AuthenticationError =>
  error instanceof AuthenticationError && error.status === 401;

/**
 * The error that ends a call whose automatic `continue` could not resume its session (401, 403 or 404 after
 * the token refresh): the same class, saying what happened. Other errors are returned unchanged.
 */
function continueFailure(error: unknown, sid: string): unknown {
  if (!(error instanceof APIError)) return error;
  const message = `The automatic "continue" could not resume session ${sid}: ${error.message.replace(/\.$/, "")}. The answer so far was delivered; nothing was sent to another session`;
  const options = { cause: error, body: error.body, request: error.request };
  if (error instanceof AuthenticationError) return new AuthenticationError(message, error.status, options);
  if (error instanceof NotFoundError) return new NotFoundError(message, options);
  return error;
}

/**
 * The Robocoders AI client.
 *
 * ```ts
 * const client = new Robocoders();
 * for await (const text of client.chat("Write a Python script that adds two numbers").text()) {
 *   process.stdout.write(text);
 * }
 * ```
 *
 * Options fall back to the environment (`ROBOCODERS_BASE_URL`, `ROBOCODERS_ACCESS_TOKEN`,
 * `ROBOCODERS_CACHE_DIR`, `ROBOCODERS_PROXY`/`HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`, `ROBOCODERS_LOG`);
 * see {@link RobocodersOptions} for every default.
 */
export class Robocoders implements RobocodersClient {
  /** The resolved base URL, without a trailing slash. */
  readonly baseURL: string;
  /** Path of the credential cache file, or `undefined` when caching is disabled. */
  readonly cacheFile: string | undefined;
  /** The options after applying defaults and the environment. */
  private readonly options: ResolvedOptions;
  private readonly logger: Logger;
  private readonly transport: HttpTransport;
  private readonly credentials: Credentials;

  /** @throws InvalidArgumentError for a malformed URL or a negative limit. */
  constructor(options: RobocodersOptions = {}) {
    this.options = resolveOptions(options);
    this.baseURL = this.options.baseURL;
    const secrets = (): string[] => this.credentials?.secrets() ?? [];
    this.logger = leveledLogger(options.logger ?? createStderrLogger(), this.options.logLevel, secrets);
    this.transport = new HttpTransport({
      baseURL: this.baseURL,
      proxy: this.options.proxy,
      fetch: options.fetch,
      logger: this.logger,
      retryDelay: this.options.retryDelay,
      secrets,
      record: options.record === undefined ? undefined : chatRecorder(options.record),
    });
    const cache =
      options.credentialStore ??
      (this.options.cacheDir === undefined
        ? undefined
        : new CredentialCache(this.options.cacheDir, this.baseURL, this.logger));
    this.cacheFile = cache?.file;
    this.credentials = new Credentials({
      explicit: this.options.accessToken,
      cache,
      transport: this.transport,
      logger: this.logger,
      maxRetries: this.options.maxRetries,
      baseURL: this.baseURL,
    });
  }

  private context(options: RequestOptions & { idleTimeout?: number } = {}): CallContext {
    const timeout = options.timeout ?? this.options.timeout;
    const idleTimeout = options.idleTimeout ?? this.options.idleTimeout;
    if (!(timeout > 0)) throw new InvalidArgumentError("timeout must be a positive number");
    if (!(idleTimeout > 0)) throw new InvalidArgumentError("idleTimeout must be a positive number");
    return new CallContext({ signal: options.signal, timeout, idleTimeout });
  }

  /**
   * Streams one chat call: validates the agent before any request, resolves token and session, posts
   * `{sid, prompt, agent}` to `/chat`, retries and auto-continues as configured.
   * @throws ModelNotSupportedError synchronously for an unknown agent.
   * @throws InvalidArgumentError synchronously for a prompt that is not a string or bad per-call limits.
   */
  chat(prompt: string, options: ChatOptions = {}): ChatStream {
    const agent = resolveAgent(options.agent);
    if (typeof prompt !== "string") throw new InvalidArgumentError("prompt must be a string");
    const maxContinues = options.maxContinues ?? this.options.maxContinues;
    const maxRetries = options.maxRetries ?? this.options.maxRetries;
    for (const [name, value] of [
      ["maxContinues", maxContinues],
      ["maxRetries", maxRetries],
    ] as const) {
      if (!Number.isInteger(value) || value < 0)
        throw new InvalidArgumentError(`${name} must be a non-negative integer`);
    }
    if (options.sid !== undefined && (typeof options.sid !== "string" || options.sid.trim() === "")) {
      throw new InvalidArgumentError("sid must be a non-empty string");
    }
    const call = this.context(options);
    const choice: SessionChoice =
      options.sid !== undefined ? "given" : options.newSession === true ? "own" : "shared";
    return new RobocodersChatStream(
      agent,
      call,
      (progress) =>
        this.runChat({
          prompt,
          agent,
          call,
          progress,
          maxContinues,
          maxRetries,
          choice,
          persist: options.persistSession !== false,
          onWriteFailure: "warn",
          // Resolved when the call starts.
          token: { token: "", source: "memory" },
          sid: options.sid ?? "",
          onResponse: options.onResponse,
        }),
      options.sid,
    );
  }

  private async *runChat(run: ChatRun): AsyncGenerator<RawEvent> {
    const { call, progress } = run;
    run.token = await this.credentials.token(call);
    if (run.choice === "own") run.sid = await this.createNewSession(call, run);
    else if (run.choice === "shared") run.sid = await this.cachedOrNewSession(call, run);
    progress.sid = run.sid;

    for (let turn = 0; ; turn++) {
      progress.turns++;
      const continuing = turn > 0;
      const response = await this.openChat(run, continuing ? "continue" : "first");
      progress.sid = run.sid;
      run.onResponse?.();
      let waits = false;
      let finished = false;
      let endedTurn = false;
      const events = decodeEventStream(this.bodyChunks(response, call), {
        maxLineBytes: this.options.maxLineBytes,
        onSkip: (reason, line) =>
          this.logger.debug("skipped a line of the event stream", { reason, bytes: line.length }),
      });
      try {
        for await (const raw of events) {
          if (referenceWaitsForResponse(raw)) waits = true;
          if (raw.action === "finish" || raw.action === "reject") finished = true;
          endedTurn = rawEndsTurn(raw);
          yield raw;
        }
      } catch (error) {
        // Every line arrived, the last one handing the turn back, and only the stream's end was lost (a
        // chunked body without its terminating chunk): the turn is complete.
        const complete =
          error instanceof StreamError && error.code === "stream_truncated" && error.incompleteBytes === 0;
        if (!(endedTurn && complete)) throw error;
        this.logger.debug("the stream ended without its terminator after a turn-ending event", {
          error: error.message,
        });
      }
      if (!waits || finished || turn >= run.maxContinues) return;
      this.logger.debug("continuing", { turn: turn + 2 });
    }
  }

  /**
   * The chunks of a response body. Aborts and the idle timeout become typed errors; other failures are left
   * to the stream decoder, which reports them as a truncated stream after the complete lines.
   */
  private async *bodyChunks(response: HttpResponse, call: CallContext): AsyncGenerator<Uint8Array> {
    const iterator = response.chunks()[Symbol.asyncIterator]();
    let finished = false;
    try {
      for (;;) {
        let result: IteratorResult<Uint8Array>;
        try {
          result = await iterator.next();
        } catch (error) {
          finished = true;
          throw bodyFailure(error, call);
        }
        if (result.done === true) {
          finished = true;
          return;
        }
        yield result.value;
      }
    } finally {
      if (!finished) {
        // Close the body first (its iterator owns the response), then abort the request: aborting first
        // destroys a response nobody listens to any more, and its AbortError goes unhandled.
        try {
          await iterator.return?.();
        } catch {
          // The body is being abandoned; its close error adds nothing.
        }
        call.abort();
      }
    }
  }

  /**
   * `POST /chat` until a 200: retries (429/5xx/connection) and one token refresh after a 401. On the first
   * turn, a 401 also moves a session the call did not choose to one of the new token, and a 404 replaces
   * such a session once. A `continue` belongs to its session: after a 401 it retries that session with the
   * new token, and any 401, 403 or 404 then ends the call (see {@link continueFailure}).
   */
  private async openChat(run: ChatRun, turn: Turn): Promise<HttpResponse> {
    const { call } = run;
    const prompt = turn === "first" ? run.prompt : "continue";
    let refreshed = false;
    let renewed = false;
    for (;;) {
      try {
        return await this.transport.withRetries(call, run.maxRetries, (attempt) =>
          this.transport.send(
            {
              method: "POST",
              path: "/chat",
              token: run.token.token,
              json: { sid: run.sid, prompt, agent: run.agent },
            },
            call,
            attempt,
          ),
        );
      } catch (error) {
        if (turn === "continue") {
          if (!is401(error) || refreshed) throw continueFailure(error, run.sid);
          refreshed = true;
          try {
            await this.refreshToken(call, run, error);
          } catch (refreshError) {
            throw continueFailure(refreshError, run.sid);
          }
          continue;
        }
        if (is401(error) && !refreshed) {
          refreshed = true;
          await this.refreshToken(call, run, error);
          if (run.choice === "own") run.sid = await this.createNewSession(call, run);
          else if (run.choice === "shared") run.sid = await this.cachedOrNewSession(call, run);
          continue;
        }
        if (error instanceof NotFoundError && !renewed && run.choice !== "given") {
          renewed = true;
          this.logger.info("session not found; creating a new one");
          // The new session replaces the cached one when it is stored; nothing is dropped before that.
          run.sid = await this.createNewSession(call, run);
          continue;
        }
        throw error;
      }
    }
  }

  private async refreshToken(call: CallContext, state: CallState, error: RobocodersError): Promise<void> {
    this.logger.info("access token rejected; fetching a new one");
    state.token = await this.credentials.replaceRejected(call, state.token, error);
  }

  /**
   * A new session for the state's token; with `persist`, stored as the current session. A 401 refreshes the
   * token once.
   */
  private createNewSession(call: CallContext, state: CallState): Promise<string> {
    return this.withTokenRefresh(call, state, async () => {
      const sid = await this.requestSession(call, state.token.token, state.maxRetries);
      if (state.persist) {
        await this.credentials.storeSid(state.token.token, sid, {
          call,
          onWriteFailure: state.onWriteFailure,
        });
      }
      return sid;
    });
  }

  /**
   * The cached session of the state's token, else a new one. With `persist`, a new one becomes the current
   * session, created under the cache lock so that parallel processes share it. A 401 refreshes the token once.
   */
  private cachedOrNewSession(call: CallContext, state: CallState): Promise<string> {
    return this.withTokenRefresh(call, state, async () => {
      const token = state.token.token;
      const create = () => this.requestSession(call, token, state.maxRetries);
      if (state.persist) return this.credentials.cachedSidOrCreate(call, token, create);
      return (await this.credentials.cachedSid(token)) ?? (await create());
    });
  }

  /** Runs `work`; after a 401 from it, refreshes the state's token once and runs it again. */
  private async withTokenRefresh<T>(call: CallContext, state: CallState, work: () => Promise<T>): Promise<T> {
    let refreshed = false;
    for (;;) {
      try {
        return await work();
      } catch (error) {
        if (!is401(error) || refreshed) throw error;
        refreshed = true;
        await this.refreshToken(call, state, error);
      }
    }
  }

  /** `GET /create-session` → `{"sid": ...}`. */
  private async requestSession(call: CallContext, token: string, maxRetries: number): Promise<string> {
    const body = await notFoundMeansWrongBaseURL(this.baseURL, "GET /create-session", () =>
      this.transport.withRetries(call, maxRetries, async (attempt) => {
        const response = await this.transport.send(
          { method: "GET", path: "/create-session", token },
          call,
          attempt,
        );
        return this.readJson(response, call, "GET /create-session");
      }),
    );
    if (!isRecord(body) || typeof body.sid !== "string" || body.sid === "") {
      throw new UnexpectedStatusError("GET /create-session returned no session id", 200, {
        body,
        request: "GET /create-session",
      });
    }
    return body.sid;
  }

  private async readJson(response: HttpResponse, call: CallContext, request: string): Promise<unknown> {
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw (
        call.abortError(error) ??
        new UnexpectedStatusError(`${request}: the response body could not be read`, response.status, {
          request,
          cause: error,
        })
      );
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new UnexpectedStatusError(`${request} returned a body that is not JSON`, response.status, {
        request,
        body: text.slice(0, 500),
      });
    }
  }

  private async withCall<T>(
    options: RequestOptions | undefined,
    fn: (call: CallContext) => Promise<T>,
  ): Promise<T> {
    const call = this.context(options);
    try {
      return await fn(call);
    } finally {
      call.dispose();
    }
  }

  /** Creates a new session, makes it the cached current session, and returns its id. */
  createSession(options?: RequestOptions): Promise<string> {
    return this.withCall(options, async (call) => {
      const state: CallState = {
        token: await this.credentials.token(call),
        sid: "",
        choice: "own",
        persist: true,
        onWriteFailure: "throw",
        maxRetries: this.options.maxRetries,
      };
      return this.createNewSession(call, state);
    });
  }

  /**
   * Asks `/get-session-code` to add a GitHub user as read collaborator on the repository holding the code of
   * the session (`sid`, default: the current cached session).
   * @throws InvalidArgumentError when there is no session or the user name is empty.
   */
  getSessionCode(githubUsername: string, options?: RequestOptions & { sid?: string }): Promise<SessionCode> {
    return this.withCall(options, async (call) => {
      if (typeof githubUsername !== "string" || githubUsername.trim() === "") {
        throw new InvalidArgumentError("githubUsername must be a non-empty string");
      }
      const token = await this.credentials.token(call);
      const sid = options?.sid ?? (await this.credentials.cachedSid(token.token));
      if (sid === undefined)
        throw new InvalidArgumentError("There is no current session: chat first, or pass the sid option");
      const body = await this.transport.withRetries(call, this.options.maxRetries, async (attempt) => {
        const response = await this.transport.send(
          {
            method: "POST",
            path: "/get-session-code",
            token: token.token,
            json: { sid, github_username: githubUsername.trim() },
          },
          call,
          attempt,
        );
        return this.readJson(response, call, "POST /get-session-code");
      });
      if (!isRecord(body) || typeof body.repo_url !== "string") {
        throw new UnexpectedStatusError("POST /get-session-code returned no repo_url", 200, {
          body,
          request: "POST /get-session-code",
        });
      }
      return { repoUrl: body.repo_url, message: typeof body.message === "string" ? body.message : "" };
    });
  }

  /**
   * Returns the access token: option > `ROBOCODERS_ACCESS_TOKEN` > cache > `GET /auth`.
   * `refresh: true` skips all of them and fetches a new one from `/auth`, caches it and drops the cached session.
   */
  getAccessToken(options?: RequestOptions & { refresh?: boolean }): Promise<string> {
    return this.withCall(options, async (call) => {
      if (options?.refresh === true) {
        const token = await this.credentials.fetchToken(call);
        await this.credentials.storeToken(token, "auth");
        return token;
      }
      return (await this.credentials.token(call)).token;
    });
  }

  /**
   * Stores a token in the cache (in memory when caching is disabled) and drops the cached session.
   * @throws InvalidArgumentError when the token is not a JWT or its `exp` has passed.
   */
  async setAccessToken(token: string): Promise<void> {
    const trimmed = typeof token === "string" ? token.trim() : "";
    if (!looksLikeJwt(trimmed)) throw new InvalidArgumentError("The access token is not a JWT");
    if (isJwtExpired(trimmed, Date.now(), 0)) throw new InvalidArgumentError("The access token has expired");
    await this.credentials.storeToken(trimmed, "login");
  }

  /** Where the credentials come from and when the token expires; never the token itself. */
  async status(): Promise<CredentialStatus> {
    const { source, token, sid } = await this.credentials.describe();
    return {
      cacheFile: this.cacheFile,
      tokenSource: source,
      tokenExpiresAt: token === undefined ? undefined : jwtExpiry(token),
      tokenExpired: token === undefined ? false : isJwtExpired(token, Date.now(), 0),
      sid,
    };
  }

  /** Deletes the cached token and session. */
  clearCache(): Promise<void> {
    return this.credentials.clear();
  }

  /** Releases connections (the keep-alive agent or undici dispatchers). The client must not be used afterwards. */
  close(): Promise<void> {
    return this.transport.close();
  }
}
