/**
 * The gateway as a fetch handler: a Hono app serving the OpenAI chat-completions API on top of a
 * {@link RobocodersClient}. Every request, whatever its route (routes mounted later on the app
 * included), passes the same middleware, in this order:
 *
 * 1. `logging.ts` — one log line per request, caller-controlled values escaped;
 * 2. `host-origin.ts` — the `Host` check (DNS rebinding), the `Origin` check and CORS;
 * 3. `api-key.ts` — the API key (every path but {@link GatewayApp.publicPaths});
 * 4. `request-body.ts` — JSON bodies only (415), before anything reads them.
 *
 * Chat completions are answered by `chat-completion.ts` (affinity in `affinity.ts`, the cap on running
 * completions in `limiter.ts`, SSE written by `sse.ts`).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import { type Context, Hono } from "hono";
import { Robocoders } from "../client/robocoders.js";
import type { RobocodersClient } from "../client/types.js";
import { createStderrLogger, type Logger, leveledLogger } from "../core/logger.js";
import type { McpHttpHandler } from "../mcp/http.js";
import { ApiKeys } from "../store/api-keys.js";
import { StoreCredentialCache } from "../store/credential-store.js";
import { MemoryStore } from "../store/memory-store.js";
import { parseRateLimit } from "../store/rate-limit.js";
import type { RedisStore } from "../store/redis-store.js";
import { type AffinityStore, MemoryAffinityStore } from "./affinity.js";
import { apiKeyCheck, requireApiKey, storeApiKeyCheck } from "./api-key.js";
import { answerChat, type ChatCall, type ChatReply, errorReply } from "./chat-completion.js";
import { requestGuard } from "./host-origin.js";
import { type ConcurrencyLimiter, MemoryConcurrencyLimiter } from "./limiter.js";
import {
  type GatewayEnv,
  type GatewayLogger,
  logRequest,
  type RequestInfo,
  requestLog,
  safeValue,
} from "./logging.js";
import { modelList, modelObject, requestedAgent } from "./models.js";
import { GatewayError, toGatewayError } from "./openai-error.js";
import {
  API_KEY_ENV,
  DEFAULT_KEEP_ALIVE_MS,
  DEFAULT_MAX_ANSWER_BYTES,
  DEFAULT_MAX_BODY_BYTES,
  type GatewayOptions,
} from "./options.js";
import { rateLimit } from "./rate-limit.js";
import {
  incomingOf,
  nodeHeader,
  outgoingOf,
  readBodyText,
  readNodeBodyText,
  requireJsonBody,
} from "./request-body.js";
import { StoreAffinityStore, StoreConcurrencyLimiter } from "./shared-state.js";
import { type SseStream, sseResponse, writeSse } from "./sse.js";
import { DEFAULT_PAGE_DIR, loadPage, pagePaths, pageRoutes } from "./workspace/page.js";
import { RedisConversationStore } from "./workspace/redis-conversation-store.js";
import { workspaceApi } from "./workspace/routes.js";
import { WorkspaceService } from "./workspace/service.js";

export { IGNORED_HEADER, SESSION_HEADER } from "./chat-completion.js";
export type { RequestInfo } from "./logging.js";

function errorResponse(error: GatewayError): Response {
  const reply = errorReply(error);
  return new Response(reply.body, { status: reply.status, headers: reply.headers });
}

/** A JSON reply as a web `Response`. */
function jsonResponse(reply: ChatReply & { kind: "json" }): Response {
  return new Response(reply.body, { status: reply.status, headers: reply.headers });
}

/** The gateway: a Hono app (`fetch`, `request`) with shutdown and the state it keeps. */
export class GatewayApp extends Hono<GatewayEnv> {
  /** The client that talks to the Robocoders API. */
  readonly client: RobocodersClient;
  /** Conversation points and session owners. */
  readonly store: AffinityStore;
  /** The cap on running chat completions. */
  readonly limiter: ConcurrencyLimiter;
  /**
   * Exact paths answered without the API key. Default: `/health`. Routes mounted later that must be
   * reachable without the key (e.g. a page that asks for it) add theirs here.
   */
  readonly publicPaths = new Set<string>(["/health"]);
  private readonly ownsClient: boolean;
  private readonly running = new Set<AbortController>();
  /** Called when the last running completion ends. */
  private readonly wakers = new Set<() => void>();
  /** Ends the grace of running drains. */
  private readonly graceEnders = new Set<() => void>();
  private draining = false;
  private readonly closeSteps: Array<() => Promise<void>> = [];
  /** The web workspace's conversations and turns; `undefined` when the workspace is off. */
  workspace: WorkspaceService | undefined;

  /** @internal Use {@link createApp}. */
  constructor(
    client: RobocodersClient,
    ownsClient: boolean,
    store: AffinityStore,
    limiter: ConcurrencyLimiter,
  ) {
    super();
    this.client = client;
    this.ownsClient = ownsClient;
    this.store = store;
    this.limiter = limiter;
  }

  /** Number of chat completions being answered. */
  get activeRequests(): number {
    return this.running.size;
  }

  /** Whether {@link drain} was called: `/health` answers 503 `draining`, new chat completions 503. */
  get isDraining(): boolean {
    return this.draining;
  }

  /** @internal Registers a running chat completion; returns its unregister function. */
  track(controller: AbortController): () => void {
    this.running.add(controller);
    return () => {
      this.running.delete(controller);
      if (this.running.size === 0) for (const wake of this.wakers) wake();
    };
  }

  /**
   * Stops taking chat completions (503 `shutting_down`; `/health` answers 503 `draining`), waits up to
   * `graceMs` — the whole of it with `hold: true`, else until no completion runs — then cancels the
   * completions still running (their streams end with an error event). {@link endGrace} cuts the wait short.
   */
  async drain(graceMs: number, options: { hold?: boolean } = {}): Promise<void> {
    this.draining = true;
    const hold = options.hold === true;
    if (graceMs > 0 && (hold || this.running.size > 0)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.wakers.delete(done);
          this.graceEnders.delete(done);
          resolve();
        };
        const timer = setTimeout(done, graceMs);
        if (!hold) this.wakers.add(done);
        this.graceEnders.add(done);
      });
    }
    for (const controller of this.running) controller.abort(new Error("The gateway is shutting down"));
  }

  /** Ends the grace of a running {@link drain} at once. */
  endGrace(): void {
    for (const done of [...this.graceEnders]) done();
  }

  /** @internal Adds a step to {@link close}, run after the drain and before the client closes. */
  onClose(step: () => Promise<void>): void {
    this.closeSteps.push(step);
  }

  /** Drains (no grace), closes the MCP sessions and the workspace, and closes the client if the gateway created it. */
  async close(): Promise<void> {
    await this.drain(0);
    for (const step of this.closeSteps) await step();
    if (this.ownsClient) await this.client.close();
  }
}

/**
 * Builds the gateway app:
 * - `GET /health` → `{"status": "ok"}`, 503 `{"status": "draining"}` while shutting down (no API key
 *   needed);
 * - `GET /v1/models`, `GET /v1/models/{id}`;
 * - `POST /v1/chat/completions` (streaming and not), with conversation affinity;
 * - `/mcp`: the agents as MCP tools over Streamable HTTP (unless `mcp: false`).
 *
 * Errors are OpenAI error objects; see docs/gateway.md for the error table.
 * @throws InvalidArgumentError for invalid options (a CORS origin `*` without API key, a bad host name…).
 */
export function createApp(options: GatewayOptions = {}): GatewayApp {
  const apiKey = options.apiKey === undefined ? process.env[API_KEY_ENV] : options.apiKey;
  const key = typeof apiKey === "string" && apiKey !== "" ? apiKey : undefined;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const secrets = key === undefined ? [] : [key];
  const logger = leveledLogger(
    options.logger ?? createStderrLogger(),
    options.logLevel ?? "info",
    () => secrets,
  );
  const rule = typeof options.rateLimit === "string" ? parseRateLimit(options.rateLimit) : options.rateLimit;
  // Keys and rate counts live in the shared store, else in a store of this process.
  const localStore =
    options.sharedStore === undefined && (options.storeKeys === true || rule !== undefined)
      ? new MemoryStore()
      : undefined;
  const sharedStore = options.sharedStore ?? localStore;
  const storeKeys =
    options.storeKeys === true && sharedStore !== undefined ? new ApiKeys(sharedStore) : undefined;
  const keyCheck = storeKeys === undefined ? apiKeyCheck(key) : storeApiKeyCheck(storeKeys, key);
  const guard = requestGuard(
    {
      checkHost: options.checkHost ?? true,
      allowedHosts: options.allowedHosts ?? [],
      corsOrigins: options.corsOrigins ?? [],
      hasApiKey: key !== undefined || storeKeys !== undefined,
    },
    errorResponse,
  );
  // On a shared store, affinity, session owners and the concurrency cap are the fleet's.
  const fleet = options.sharedStore;
  const store =
    options.store ??
    (fleet !== undefined
      ? new StoreAffinityStore(
          fleet,
          options.affinity !== false && options.affinity?.ttlMs !== undefined
            ? { ttlMs: options.affinity.ttlMs }
            : {},
        )
      : new MemoryAffinityStore(options.affinity === false ? {} : (options.affinity ?? {})));
  const limiter =
    options.limiter ??
    (fleet !== undefined
      ? new StoreConcurrencyLimiter(fleet, options.maxConcurrency)
      : new MemoryConcurrencyLimiter(options.maxConcurrency));
  // With a shared store, the token (and its refresh) is shared with every instance.
  const client =
    options.client ??
    new Robocoders({
      ...(sharedStore?.kind === "redis" ? { credentialStore: new StoreCredentialCache(sharedStore) } : {}),
      ...options.clientOptions,
    });
  const app = new GatewayApp(client, options.client === undefined, store, limiter);
  if (storeKeys !== undefined) {
    // Revocations made elsewhere arrive by pub/sub; without it, the short verification cache still
    // bounds how long a revoked key works.
    storeKeys.start().catch(() => undefined);
    app.onClose(() => storeKeys.close());
  }
  if (localStore !== undefined) app.onClose(() => localStore.close());
  const deps = {
    client,
    store,
    affinity: options.affinity !== false,
    limiter,
    logger,
    keepAliveMs: options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS,
    maxAnswerBytes: options.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES,
    textMode: options.textMode ?? "separated",
    draining: () => app.isDraining,
    track: (controller: AbortController) => app.track(controller),
  };

  // Every request, whatever its route (routes mounted later included): logged, then checked.
  app.use("*", requestLog(logger));
  app.use("*", guard);
  app.use("*", requireApiKey(keyCheck, app.publicPaths, errorResponse));
  app.use("*", requireJsonBody(errorResponse));
  if (rule !== undefined && sharedStore !== undefined) {
    app.post(
      "/v1/chat/completions",
      rateLimit(sharedStore, rule, (header) => keyCheck.callerOf(header), errorResponse),
    );
  }

  app.get("/health", (c) =>
    app.isDraining ? c.json({ status: "draining" }, 503) : c.json({ status: "ok" }),
  );

  app.get("/v1/models", (c) => c.json(modelList()));
  app.get("/v1/models/:id{.+}", (c) => {
    try {
      return c.json(modelObject(requestedAgent(c.req.param("id"))));
    } catch (error) {
      return errorResponse(toGatewayError(error));
    }
  });

  app.post("/v1/chat/completions", async (c) => {
    // No closure made here refers to `c`: what a stream keeps for the minutes it runs is Node's request
    // and response, not the request's context (see nodeCallSource).
    const info = c.get("info");
    const outgoing = outgoingOf(c);
    const incoming = incomingOf(c);
    const where = { logger, method: c.req.method, path: c.req.path, info };
    const source =
      outgoing !== undefined && incoming !== undefined
        ? nodeCallSource(incoming, outgoing, maxBodyBytes)
        : webCallSource(c, maxBodyBytes);
    const call = chatCall(source, keyCheck, where);
    const reply = await answerChat(deps, call);
    if (reply.kind === "json") return jsonResponse(reply);
    const headers = { ...reply.headers, ...c.get("cors") };
    if (outgoing === undefined || incoming === undefined) return sseResponse(headers, reply.stream);
    sendSse(outgoing, headers, reply.stream, logger);
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

  if (options.workspace !== false) {
    const workspaceOptions = options.workspace ?? {};
    // On a Redis store, the conversations are the fleet's too.
    const conversations =
      workspaceOptions.store ??
      (fleet?.kind === "redis" ? new RedisConversationStore(fleet as RedisStore) : undefined);
    const workspace = new WorkspaceService(
      client,
      conversations === undefined ? workspaceOptions : { ...workspaceOptions, store: conversations },
      logger,
    );
    app.workspace = workspace;
    app.onClose(() => workspace.close());
    app.route("/api", workspaceApi(workspace, { keepAliveMs: deps.keepAliveMs }));
    // The page loads without the API key (it asks for it); its API does not.
    const page = loadPage(options.workspace?.pageDir ?? DEFAULT_PAGE_DIR);
    for (const path of pagePaths(page)) app.publicPaths.add(path);
    app.route("/", pageRoutes(page));
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
  app.onError((error) => {
    const mapped = toGatewayError(error);
    if (mapped.status >= 500) {
      logger.error("request failed", {
        error: safeValue(error instanceof Error ? error.message : String(error)),
      });
    }
    return errorResponse(mapped);
  });

  return app;
}

/** Where a chat completion is logged. */
interface CallLog {
  logger: GatewayLogger;
  method: string;
  path: string;
  info: RequestInfo;
}

/** What a call takes from its transport: headers, the body, and the caller going away. */
type CallSource = Pick<ChatCall, "header" | "readBody" | "signal">;

/** A chat completion's call: its source, the caller its headers name, and its log line. */
function chatCall(
  source: CallSource,
  keyCheck: { callerOf(header: (name: string) => string | undefined): string },
  where: CallLog,
): ChatCall {
  return {
    ...source,
    caller: keyCheck.callerOf(source.header),
    info: where.info,
    log: (status) => logRequest(where.logger, where.method, where.path, status, where.info),
  };
}

/**
 * A call's source on Node: headers and body from Node's request, the caller gone when the response
 * closes before it finished. Its functions hold Node's objects only.
 */
function nodeCallSource(
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  maxBodyBytes: number,
): CallSource {
  const closed = new AbortController();
  outgoing.once("close", () => {
    if (!outgoing.writableFinished) closed.abort(new Error("The client closed the connection"));
  });
  return {
    header: (name) => nodeHeader(incoming, name),
    readBody: () => readNodeBodyText(incoming, maxBodyBytes),
    signal: closed.signal,
  };
}

/** A call's source when the app serves `fetch` (no Node objects): all from the request context. */
function webCallSource(c: Context<GatewayEnv>, maxBodyBytes: number): CallSource {
  return {
    header: (name) => c.req.header(name),
    readBody: () => readBodyText(c, maxBodyBytes),
    signal: c.req.raw.signal,
  };
}

/** Writes a stream to Node's response; a failure of the writer is logged and closes the connection. */
function sendSse(
  outgoing: ServerResponse,
  headers: Record<string, string>,
  stream: SseStream,
  logger: Logger,
): void {
  writeSse(outgoing, headers, stream).catch((error: unknown) => {
    logger.error("stream failed", {
      error: safeValue(error instanceof Error ? error.message : String(error)),
    });
    outgoing.destroy();
  });
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
