/**
 * The gateway as a fetch handler: a Hono app serving the OpenAI chat-completions API on top of a
 * {@link RobocodersClient}.
 */

import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import { Hono } from "hono";
import { Robocoders } from "../client/robocoders.js";
import type { ChatStream, RobocodersClient } from "../client/types.js";
import { NotFoundError } from "../core/errors.js";
import { type RobocodersEvent, referenceText } from "../core/events.js";
import { createStderrLogger, leveledLogger } from "../core/logger.js";
import type { McpHttpHandler } from "../mcp/http.js";
import { formatPrompt } from "../provider/format-prompt.js";
import { ApiKeys } from "../store/api-keys.js";
import { StoreCredentialCache } from "../store/credential-store.js";
import { MemoryStore } from "../store/memory-store.js";
import { parseRateLimit } from "../store/rate-limit.js";
import { ConversationCache, planTurn, rememberTurn, type TurnInput } from "./affinity.js";
import { apiKeyCheck, requireApiKey, storeApiKeyCheck } from "./api-key.js";
import { incomingOf, outgoingOf, readBodyText } from "./body.js";
import { parseChatRequest } from "./chat-request.js";
import {
  type CompletionMeta,
  chatCompletion,
  chatCompletionChunk,
  completionId,
  SSE_DONE,
  sseData,
  sseError,
  usageChunk,
  usageOf,
} from "./completion.js";
import { requestGuard, requireJsonBody } from "./guard.js";
import { type GatewayEnv, logRequest, type RequestInfo, requestLog, safeValue } from "./logging.js";
import { modelList, modelObject, resolveModel } from "./models.js";
import { GatewayError, invalidRequest, toGatewayError } from "./openai-error.js";
import {
  API_KEY_ENV,
  DEFAULT_KEEP_ALIVE_MS,
  DEFAULT_MAX_BODY_BYTES,
  type GatewayOptions,
} from "./options.js";
import { rateLimit } from "./rate-limit.js";
import { SSE_HEADERS, type SseStream, sseResponse, writeSse } from "./sse.js";

/** The header that pins a session (request) and names the session used (response). */
export const SESSION_HEADER = "X-Robocoders-Session";

export type { RequestInfo } from "./logging.js";

type Env = GatewayEnv;

/** @internal A chat completion request, apart from the HTTP layer that carries it. */
export interface ChatCall {
  /** A request header (case-insensitive name), or `undefined`. */
  header(name: string): string | undefined;
  /** Reads the whole request body as text (called once, after the shutdown check). */
  readBody(): Promise<string>;
  /** Aborts when the caller goes away. */
  signal: AbortSignal;
  /** The request's log record. */
  info: RequestInfo;
  /** Logs the request with its final status (streams log themselves when they end). */
  log(status: number): void;
}

/** @internal What a chat completion is answered with. */
export type ChatReply =
  | { kind: "json"; status: number; headers: Record<string, string>; body: string }
  | { kind: "sse"; headers: Record<string, string>; stream: SseStream };

const SESSION_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** @internal The JSON reply of an error. */
export function errorReply(error: GatewayError): ChatReply & { kind: "json" } {
  return {
    kind: "json",
    status: error.status,
    headers: { "content-type": "application/json; charset=utf-8", ...error.headers },
    body: JSON.stringify(error.toJSON()),
  };
}

function errorResponse(error: GatewayError): Response {
  const reply = errorReply(error);
  return new Response(reply.body, { status: reply.status, headers: reply.headers });
}

/** A JSON reply as a web `Response`. */
function jsonResponse(reply: ChatReply & { kind: "json" }): Response {
  return new Response(reply.body, { status: reply.status, headers: reply.headers });
}

/** The gateway: a Hono app (`fetch`, `request`) with shutdown and the state it keeps. */
export class GatewayApp extends Hono<Env> {
  /** The client that talks to the Robocoders API. */
  readonly client: RobocodersClient;
  /** The conversation → session map; `undefined` when affinity is off. */
  readonly conversations: ConversationCache | undefined;
  private readonly ownsClient: boolean;
  private readonly running = new Set<AbortController>();
  private readonly idleWaiters = new Set<() => void>();
  private readonly closeSteps: Array<() => Promise<void>> = [];
  private draining = false;
  /**
   * Exact paths answered without the API key. Default: `/health`. Routes mounted later that must be
   * reachable without the key (e.g. a login page) add theirs here.
   */
  readonly publicPaths = new Set<string>(["/health"]);

  /** @internal Use {@link createApp}. */
  constructor(client: RobocodersClient, ownsClient: boolean, conversations: ConversationCache | undefined) {
    super();
    this.client = client;
    this.ownsClient = ownsClient;
    this.conversations = conversations;
  }

  /** Number of chat completions being answered. */
  get activeRequests(): number {
    return this.running.size;
  }

  /** Whether {@link drain} was called: new chat completions get 503. */
  get isDraining(): boolean {
    return this.draining;
  }

  /** @internal Registers a running chat completion; returns its unregister function. */
  track(controller: AbortController): () => void {
    this.running.add(controller);
    return () => {
      this.running.delete(controller);
      if (this.running.size === 0) for (const wake of this.idleWaiters) wake();
    };
  }

  /**
   * Stops taking chat completions (503 `shutting_down`), waits up to `graceMs` for the running ones to
   * finish, then cancels the rest (their streams end with an error event).
   */
  async drain(graceMs: number): Promise<void> {
    this.draining = true;
    if (this.running.size > 0) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.idleWaiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, Math.max(0, graceMs));
        this.idleWaiters.add(done);
      });
    }
    for (const controller of this.running) controller.abort(new Error("The gateway is shutting down"));
  }

  /** @internal Adds a step to {@link close}, run after the drain and before the client closes. */
  onClose(step: () => Promise<void>): void {
    this.closeSteps.push(step);
  }

  /** Drains (no grace), closes the MCP sessions, and closes the client if the gateway created it. */
  async close(): Promise<void> {
    await this.drain(0);
    for (const step of this.closeSteps) await step();
    if (this.ownsClient) await this.client.close();
  }
}

/**
 * Builds the gateway app:
 * - `GET /health` → `{"status": "ok"}` (no API key needed);
 * - `GET /v1/models`, `GET /v1/models/{id}`;
 * - `POST /v1/chat/completions` (streaming and not), with conversation affinity;
 * - `/mcp`: the agents as MCP tools over Streamable HTTP (unless `mcp: false`).
 *
 * Errors are OpenAI error objects. See the README section "gateway" for the error table.
 */
export function createApp(options: GatewayOptions = {}): GatewayApp {
  const store = options.store;
  // With a shared store, the token (and its refresh) is shared with every instance.
  const client =
    options.client ??
    new Robocoders({
      ...(store?.kind === "redis" ? { credentialStore: new StoreCredentialCache(store) } : {}),
      ...options.clientOptions,
    });
  const conversations =
    options.affinity === false ? undefined : new ConversationCache(options.affinity ?? {});
  const apiKey = options.apiKey === undefined ? process.env[API_KEY_ENV] : options.apiKey;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const keepAliveMs = options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS;
  const key = typeof apiKey === "string" && apiKey !== "" ? apiKey : undefined;
  const secrets = key === undefined ? [] : [key];
  const logger = leveledLogger(
    options.logger ?? createStderrLogger(),
    options.logLevel ?? "info",
    () => secrets,
  );
  const storeKeys = options.storeKeys === true ? new ApiKeys(store ?? new MemoryStore()) : undefined;
  const keyCheck = storeKeys === undefined ? apiKeyCheck(key) : storeApiKeyCheck(storeKeys, key);
  const rule = typeof options.rateLimit === "string" ? parseRateLimit(options.rateLimit) : options.rateLimit;

  const app = new GatewayApp(client, options.client === undefined, conversations);
  if (storeKeys !== undefined) {
    // Revocations made elsewhere arrive by pub/sub; without it, the short verification cache still
    // bounds how long a revoked key works.
    storeKeys.start().catch(() => undefined);
    app.onClose(() => storeKeys.close());
  }

  const log = (method: string, path: string, status: number, info: RequestInfo) =>
    logRequest(logger, method, path, status, info);

  /** Logs an unexpected failure of a request and maps it. */
  const fail = (error: unknown): GatewayError => {
    const mapped = toGatewayError(error);
    if (mapped.status >= 500) {
      logger.error("request failed", {
        error: safeValue(error instanceof Error ? error.message : String(error)),
      });
    }
    return mapped;
  };

  // Every request, whatever its route (routes mounted later included): logged, then checked.
  app.use("*", requestLog(logger));
  app.use(
    "*",
    requestGuard(
      {
        checkHost: options.checkHost ?? true,
        allowedHosts: options.allowedHosts ?? [],
        corsOrigins: options.corsOrigins ?? [],
        hasApiKey: key !== undefined || storeKeys !== undefined,
      },
      errorResponse,
    ),
  );
  app.use("*", requireApiKey(keyCheck, app.publicPaths, errorResponse));
  app.use("*", requireJsonBody(errorResponse));
  if (rule !== undefined) {
    const counts = store ?? new MemoryStore();
    app.post(
      "/v1/chat/completions",
      rateLimit(counts, rule, (header) => keyCheck.callerOf(header), errorResponse),
    );
  }

  app.get("/health", (c) => c.json({ status: app.isDraining ? "draining" : "ok" }));

  app.get("/v1/models", (c) => c.json(modelList()));
  app.get("/v1/models/:id{.+}", (c) => {
    try {
      return c.json(modelObject(resolveModel(c.req.param("id"))));
    } catch (error) {
      return errorResponse(toGatewayError(error));
    }
  });

  app.post("/v1/chat/completions", async (c) => {
    const info = c.get("info");
    const outgoing = outgoingOf(c);
    const incoming = incomingOf(c);
    // On Node, the caller going away is the response closing before it finished.
    let signal: AbortSignal;
    if (outgoing !== undefined) {
      const closed = new AbortController();
      outgoing.on("close", () => {
        if (!outgoing.writableFinished) closed.abort(new Error("The client closed the connection"));
      });
      signal = closed.signal;
    } else {
      signal = c.req.raw.signal;
    }
    const reply = await answerChat({
      header: (name) => c.req.header(name),
      readBody: () => readBodyText(c, maxBodyBytes),
      signal,
      info,
      log: (status) => log(c.req.method, c.req.path, status, info),
    });
    if (reply.kind === "json") return jsonResponse(reply);
    const headers = { ...reply.headers, ...c.get("cors") };
    if (outgoing === undefined || incoming === undefined) return sseResponse(headers, reply.stream);
    writeSse(outgoing, headers, reply.stream).catch((error: unknown) => {
      logger.error("stream failed", {
        error: safeValue(error instanceof Error ? error.message : String(error)),
      });
      outgoing.destroy();
    });
    return RESPONSE_ALREADY_SENT;
  });

  if (options.mcp !== false) {
    // The MCP SDK loads on the first request to /mcp, so that a gateway never asked for it starts as fast.
    let mcp: Promise<McpHttpHandler> | undefined;
    const handler = () => {
      mcp ??= import("../mcp/http.js").then((m) => m.createMcpHttpHandler({ client }));
      return mcp;
    };
    app.all("/mcp", async (c) => (await handler()).handle(c.req.raw));
    app.onClose(async () => {
      if (mcp !== undefined) await (await mcp).close();
    });
  }

  app.all("/v1/chat/completions", () => methodNotAllowed("POST"));
  app.all("/v1/models", () => methodNotAllowed("GET"));
  app.all("/health", () => methodNotAllowed("GET"));

  app.notFound((c) =>
    errorResponse(
      new GatewayError(404, `Unknown endpoint: ${safeValue(c.req.method, 20)} ${safeValue(c.req.path)}`, {
        type: "invalid_request_error",
        code: "unknown_url",
      }),
    ),
  );
  app.onError((error) => errorResponse(fail(error)));

  /** Answers a chat completion; a failure before the answer began becomes an error reply. */
  async function answerChat(call: ChatCall): Promise<ChatReply> {
    try {
      return await chatCompletions(call);
    } catch (error) {
      const mapped = toGatewayError(error, { pinnedSession: call.header(SESSION_HEADER) !== undefined });
      if (mapped.status === 500) {
        logger.error("chat completion failed", {
          error: error instanceof Error ? error.message : String(error),
        });
      }
      return errorReply(mapped);
    }
  }

  async function chatCompletions(call: ChatCall): Promise<ChatReply> {
    const { info } = call;
    if (app.isDraining) {
      throw new GatewayError(503, "The gateway is shutting down", {
        type: "server_error",
        code: "shutting_down",
      });
    }
    const raw = await call.readBody();
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw invalidRequest(`The request body is not valid JSON: ${detail}`, null, "invalid_json");
    }
    const request = parseChatRequest(body);
    info.stream = request.stream;
    info.model = request.model;
    info.user = request.user;
    const agent = resolveModel(request.model);
    info.model = agent;

    const pinned = call.header(SESSION_HEADER);
    if (pinned !== undefined && !SESSION_PATTERN.test(pinned)) {
      throw invalidRequest(
        `${SESSION_HEADER} must be 1-128 characters of letters, digits, '.', '_', ':' or '-'`,
        SESSION_HEADER,
        "invalid_session",
      );
    }
    const turn: TurnInput = { agent, user: request.user, messages: request.messages, pinnedSid: pinned };
    let plan =
      conversations === undefined
        ? { sid: pinned, prompt: formatPrompt(request.messages), continued: false }
        : planTurn(conversations, turn);

    const controller = new AbortController();
    /** Maps an error of this call; a cancellation by {@link GatewayApp.drain} reads as a shutdown. */
    const mapError = (error: unknown): GatewayError =>
      controller.signal.aborted && !requestSignal.aborted && app.isDraining
        ? new GatewayError(503, "The gateway is shutting down", {
            type: "server_error",
            code: "shutting_down",
          })
        : toGatewayError(error, { pinnedSession: pinned !== undefined });
    const requestSignal = call.signal;
    const onRequestAbort = () => controller.abort(new Error("The client closed the connection"));
    requestSignal.addEventListener("abort", onRequestAbort, { once: true });
    const untrack = app.track(controller);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      requestSignal.removeEventListener("abort", onRequestAbort);
      untrack();
    };

    const open = async (): Promise<{
      stream: ChatStream;
      iterator: AsyncIterator<RobocodersEvent>;
      first: IteratorResult<RobocodersEvent>;
    }> => {
      const stream = client.chat(plan.prompt, {
        agent,
        signal: controller.signal,
        // The gateway tracks its sessions itself: they never go into the shared credential cache.
        persistSession: false,
        ...(plan.sid === undefined ? { newSession: true } : { sid: plan.sid }),
      });
      const iterator = stream[Symbol.asyncIterator]();
      return { stream, iterator, first: await iterator.next() };
    };

    let opened: Awaited<ReturnType<typeof open>>;
    try {
      try {
        opened = await open();
      } catch (error) {
        // A remembered session the service no longer knows: start over with the whole history.
        if (
          !(error instanceof NotFoundError && plan.continued && pinned === undefined) ||
          controller.signal.aborted
        ) {
          throw error;
        }
        plan = { sid: undefined, prompt: formatPrompt(request.messages), continued: false };
        opened = await open();
      }
    } catch (error) {
      release();
      info.session = plan.sid;
      throw mapError(error);
    }

    const { stream, iterator, first } = opened;
    const sidOf = () => stream.sid ?? plan.sid;
    const meta: CompletionMeta = { id: completionId(), created: Math.floor(Date.now() / 1000), model: agent };
    const headers: Record<string, string> = {};
    const remember = (answer: string) => {
      const sid = sidOf();
      info.session = sid;
      if (sid !== undefined && conversations !== undefined) rememberTurn(conversations, turn, sid, answer);
    };

    if (!request.stream) {
      let text = "";
      try {
        let result = first;
        while (result.done !== true) {
          text += referenceText(result.value.raw) ?? "";
          result = await iterator.next();
        }
      } catch (error) {
        info.session = sidOf();
        throw mapError(error);
      } finally {
        release();
      }
      remember(text);
      const sid = sidOf();
      if (sid !== undefined) headers[SESSION_HEADER] = sid;
      headers["content-type"] = "application/json";
      return {
        kind: "json",
        status: 200,
        headers,
        body: JSON.stringify(chatCompletion(meta, text, usageOf(plan.prompt, text))),
      };
    }

    // Streaming: the first event arrived, so the status is final from here on.
    info.deferred = true;
    info.session = sidOf();
    const sid = sidOf();
    if (sid !== undefined) headers[SESSION_HEADER] = sid;
    let text = "";
    let next: Promise<IteratorResult<RobocodersEvent>> | undefined;
    let finished = false;
    let ended = false;
    let cancelled = false;
    const finish = (status: number) => {
      if (finished) return;
      finished = true;
      release();
      call.log(status);
    };
    /** The frames of one upstream step: a text chunk, the end of the stream, or nothing. */
    const framesOf = (result: IteratorResult<RobocodersEvent>): string => {
      if (result.done === true) {
        ended = true;
        remember(text);
        let tail = sseData(chatCompletionChunk(meta, {}, "stop"));
        if (request.includeUsage) tail += sseData(usageChunk(meta, usageOf(plan.prompt, text)));
        finish(200);
        return tail + SSE_DONE;
      }
      const delta = referenceText(result.value.raw);
      if (delta === undefined || delta === "") return "";
      text += delta;
      return sseData(chatCompletionChunk(meta, { content: delta }));
    };

    const head = sseData(chatCompletionChunk(meta, { role: "assistant", content: "" })) + framesOf(first);
    const sse: SseStream = {
      head,
      complete: ended,
      async pull() {
        if (ended) return { frames: "", done: true };
        try {
          for (;;) {
            if (next === undefined) {
              next = iterator.next();
              // Handled below; this only keeps a failure between two pulls from counting as unhandled.
              next.catch(() => undefined);
            }
            const result = await withKeepAlive(next, keepAliveMs);
            if (result === KEEP_ALIVE) return { frames: SSE_KEEP_ALIVE, done: false };
            next = undefined;
            const frames = framesOf(result);
            if (ended || frames !== "") return { frames, done: ended };
          }
        } catch (error) {
          ended = true;
          const clientLeft = cancelled || requestSignal.aborted;
          if (clientLeft) {
            finish(499);
            return { frames: "", done: true };
          }
          const mapped = mapError(error);
          logger.warn("stream failed after it began", { status: mapped.status, code: mapped.openaiCode });
          finish(200);
          return { frames: sseError(mapped.toJSON().error) + SSE_DONE, done: true };
        }
      },
      async cancel() {
        cancelled = true;
        controller.abort(new Error("The client closed the connection"));
        finish(499);
        await iterator.return?.();
      },
    };

    return {
      kind: "sse",
      headers: { ...SSE_HEADERS, ...headers },
      stream: sse,
    };
  }

  return app;
}

const KEEP_ALIVE = Symbol("keep-alive");
/** An SSE comment: ignored by clients, keeps proxies and idle timers from closing a silent stream. */
const SSE_KEEP_ALIVE = ": keep-alive\n\n";

/** The promise's value, or {@link KEEP_ALIVE} when it takes longer than `ms` (0: wait forever). */
async function withKeepAlive<T>(promise: Promise<T>, ms: number): Promise<T | typeof KEEP_ALIVE> {
  if (ms <= 0) return promise;
  let timer: NodeJS.Timeout | undefined;
  const tick = new Promise<typeof KEEP_ALIVE>((resolve) => {
    timer = setTimeout(() => resolve(KEEP_ALIVE), ms);
  });
  try {
    return await Promise.race([promise, tick]);
  } finally {
    clearTimeout(timer);
  }
}

function methodNotAllowed(allow: string): Response {
  const error = new GatewayError(405, `Method not allowed; use ${allow}`, {
    type: "invalid_request_error",
    code: "method_not_allowed",
  });
  const response = errorResponse(error);
  response.headers.set("allow", allow);
  return response;
}
