/**
 * `POST /v1/chat/completions`: from a parsed request to an answer, JSON or Server-Sent Events.
 *
 * - A follow-up of a remembered conversation continues its session with only the new message; anything
 *   else (a fork included) starts a new session with the whole history (see `affinity.ts`).
 * - Streaming, the answer starts (200, headers, a first SSE comment and the role chunk) as soon as the
 *   Robocoders API answered 200; SSE comments keep it alive through silences, before the first event too.
 * - Pieces of text: every event's text by the reference rule; in `separated` mode two pieces are joined by
 *   a blank line (none added when the first already ends with one, one newline when it ends with one).
 * - An upstream error frame (`{"error": true, …}`) or an agent `error` state ends the answer as an error:
 *   502 `upstream_error` before the first byte, an in-stream error event after.
 * - Not streaming, the answer is capped at `maxAnswerBytes` (502 `answer_too_large` past it).
 */
import type { ChatStream, RobocodersClient } from "../client/types.js";
import { NotFoundError } from "../core/errors.js";
import { type RobocodersEvent, referenceText } from "../core/events.js";
import { formatPrompt } from "../core/messages.js";
import { type AffinityStore, AnswerKey, conversationKey } from "./affinity.js";
import { type ChatRequest, parseChatRequest } from "./chat-request.js";
import {
  type CompletionMeta,
  chatCompletion,
  chatCompletionChunk,
  completionId,
  estimateTokens,
  SSE_DONE,
  sseData,
  sseError,
  usageChunk,
} from "./completion.js";
import type { ConcurrencyLimiter, SlotRelease } from "./limiter.js";
import { type GatewayLogger, type RequestInfo, safeValue } from "./logging.js";
import { requestedAgent } from "./models.js";
import { GatewayError, invalidRequest, toGatewayError } from "./openai-error.js";
import { SSE_HEADERS, type SseStream } from "./sse.js";

/** The header that pins a session (request) and names the session used (response). */
export const SESSION_HEADER = "X-Robocoders-Session";
/** The response header listing the request's parameters that were accepted but not honoured. */
export const IGNORED_HEADER = "X-Robocoders-Ignored";

const SESSION_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** How the text of an answer is made from the agent's events. */
export type TextMode = "separated" | "reference";

/** @internal A chat completion request, apart from the HTTP layer that carries it. */
export interface ChatCall {
  /** A request header (case-insensitive name), or `undefined`. */
  header(name: string): string | undefined;
  /** Reads the whole request body as text (called once). */
  readBody(): Promise<string>;
  /** Aborts when the caller goes away. */
  signal: AbortSignal;
  /** Who is calling (the API key in use), for scoping conversations; `""` without keys. */
  caller: string;
  /** The request's log record. */
  info: RequestInfo;
  /** Logs the request with its final status (streams log themselves when they end). */
  log(status: number): void;
}

/** @internal What a chat completion is answered with. */
export type ChatReply =
  | { kind: "json"; status: number; headers: Record<string, string>; body: string }
  | { kind: "sse"; headers: Record<string, string>; stream: SseStream };

/** @internal What {@link answerChat} works with. */
export interface ChatDeps {
  client: RobocodersClient;
  /** Points and session owners; points are ignored when `affinity` is false. */
  store: AffinityStore;
  affinity: boolean;
  limiter: ConcurrencyLimiter;
  logger: GatewayLogger;
  keepAliveMs: number;
  maxAnswerBytes: number;
  textMode: TextMode;
  /** Whether the gateway is shutting down. */
  draining(): boolean;
  /** Registers a running completion for shutdown; returns its unregister function. */
  track(controller: AbortController): () => void;
}

/** @internal The JSON reply of an error. */
export function errorReply(error: GatewayError): ChatReply & { kind: "json" } {
  return {
    kind: "json",
    status: error.status,
    headers: { "content-type": "application/json; charset=utf-8", ...error.headers },
    body: JSON.stringify(error.toJSON()),
  };
}

function shuttingDown(): GatewayError {
  return new GatewayError(503, "The gateway is shutting down", {
    type: "server_error",
    code: "shutting_down",
  });
}

/** The error of an upstream error frame or agent error state. */
function agentError(event: RobocodersEvent): GatewayError {
  const detail = event.message === "" ? "" : `: ${safeValue(event.message, 500)}`;
  return new GatewayError(502, `The agent reported an error${detail}`, {
    type: "upstream_error",
    code: "upstream_error",
  });
}

/** Whether an event ends the answer as an error. */
function isAgentError(event: RobocodersEvent): boolean {
  if (event.kind === "control") return event.error;
  return (
    event.kind === "observation" &&
    event.observation === "agent_state_changed" &&
    String(event.extras.agent_state) === "error"
  );
}

/** Joins the pieces of an answer: nothing in `reference` mode, a blank line in `separated` mode. */
export class TextJoiner {
  /** Newlines at the end of the text so far; -1 before the first piece. */
  private trailing = -1;
  constructor(private readonly mode: TextMode) {}

  /** The piece with what goes before it. */
  next(piece: string): string {
    if (this.mode === "reference") return piece;
    const separator = this.trailing < 0 ? "" : "\n\n".slice(Math.min(this.trailing, 2));
    const added = separator + piece;
    const newlines = /\n*$/.exec(added)?.[0].length ?? 0;
    this.trailing = newlines === added.length ? Math.max(this.trailing, 0) + newlines : newlines;
    return added;
  }
}

/** The plan of one request: where to talk, what to send. */
interface Plan {
  sid: string | undefined;
  prompt: string;
  /** The point claimed for a follow-up (given back if the follow-up fails to start). */
  claimed: string | undefined;
}

/** @internal Answers a chat completion; never rejects (failures before the answer began become error replies). */
export async function answerChat(deps: ChatDeps, call: ChatCall): Promise<ChatReply> {
  let slot: SlotRelease | undefined;
  let released = false;
  const releaseSlot = () => {
    if (released || slot === undefined) return;
    released = true;
    Promise.resolve(slot()).catch((error: unknown) =>
      deps.logger.warn("could not give a concurrency slot back", {
        error: safeValue(error instanceof Error ? error.message : String(error)),
      }),
    );
  };
  try {
    if (deps.draining()) throw shuttingDown();
    slot = await deps.limiter.acquire();
    if (slot === undefined) {
      throw new GatewayError(429, "Too many chat completions are running; retry shortly", {
        type: "rate_limit_error",
        code: "rate_limit_exceeded",
        headers: { "Retry-After": "1" },
      });
    }
    const reply = await startCompletion(deps, call, releaseSlot);
    return reply;
  } catch (error) {
    releaseSlot();
    const mapped = toGatewayError(error, { pinnedSession: call.header(SESSION_HEADER) !== undefined });
    if (mapped.status >= 500 && mapped.openaiCode === "internal_error") {
      deps.logger.error("chat completion failed", {
        error: safeValue(error instanceof Error ? error.message : String(error)),
      });
    }
    return errorReply(mapped);
  }
}

async function parse(call: ChatCall): Promise<ChatRequest> {
  const raw = await call.readBody();
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw invalidRequest(`The request body is not valid JSON: ${safeValue(detail)}`, null, "invalid_json");
  }
  return parseChatRequest(body);
}

async function startCompletion(deps: ChatDeps, call: ChatCall, releaseSlot: () => void): Promise<ChatReply> {
  const { info } = call;
  const request = await parse(call);
  info.stream = request.stream;
  info.model = request.model;
  info.user = request.user;
  const agent = requestedAgent(request.model);
  info.model = agent;
  // Two callers never share a conversation: the key in use and the end user scope every point.
  const caller = JSON.stringify([call.caller, request.user ?? null]);

  const pinned = call.header(SESSION_HEADER);
  if (pinned !== undefined) {
    if (!SESSION_PATTERN.test(pinned)) {
      throw invalidRequest(
        `${SESSION_HEADER} must be 1-128 characters of letters, digits, '.', '_', ':' or '-'`,
        SESSION_HEADER,
        "invalid_session",
      );
    }
    info.session = pinned;
    if ((await deps.store.ownerOf(pinned)) !== caller) {
      throw new GatewayError(
        404,
        `Session not found: ${pinned} is not a session this gateway created for you`,
        {
          type: "invalid_request_error",
          param: SESSION_HEADER,
          code: "session_not_found",
        },
      );
    }
  }

  const { messages } = request;
  const whole = (): Plan => ({ sid: pinned, prompt: formatPrompt(messages), claimed: undefined });
  let plan = whole();
  const last = messages.at(-1);
  if (deps.affinity && messages.length >= 2 && last?.role === "user") {
    const point = conversationKey(agent, caller, messages.slice(0, -1));
    const sid = await deps.store.claim(point, pinned);
    if (sid !== undefined) plan = { sid, prompt: last.content, claimed: point };
  }

  const controller = new AbortController();
  const requestSignal = call.signal;
  // What the running stream needs from the call, taken out of it: the stream's closures do not keep the
  // call (and the request objects its functions hold) alive for the minutes an answer streams.
  const { log } = call;
  const onRequestAbort = () => controller.abort(new Error("The client closed the connection"));
  requestSignal.addEventListener("abort", onRequestAbort, { once: true });
  const untrack = deps.track(controller);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    requestSignal.removeEventListener("abort", onRequestAbort);
    untrack();
    releaseSlot();
  };
  /** Maps an error of this call; a cancellation by a shutdown reads as one. */
  const mapError = (error: unknown): GatewayError =>
    controller.signal.aborted && !requestSignal.aborted && deps.draining()
      ? shuttingDown()
      : toGatewayError(error, { pinnedSession: pinned !== undefined });

  /** Opens the upstream call; resolves once it answered 200 (or sent a first event, or ended). */
  const open = async () => {
    let answered!: () => void;
    const response = new Promise<void>((resolve) => {
      answered = resolve;
    });
    const stream: ChatStream = deps.client.chat(plan.prompt, {
      agent,
      signal: controller.signal,
      // The gateway tracks its sessions itself: they never go into the shared credential cache.
      persistSession: false,
      onResponse: () => answered(),
      ...(plan.sid === undefined ? { newSession: true } : { sid: plan.sid }),
    });
    const iterator = stream[Symbol.asyncIterator]();
    const first = iterator.next();
    // Handled by whoever awaits it; this only keeps an early failure from counting as unhandled.
    first.catch(() => undefined);
    await Promise.race([response, first]);
    return { stream, iterator, first };
  };

  let opened: Awaited<ReturnType<typeof open>>;
  try {
    try {
      opened = await open();
    } catch (error) {
      // A remembered session the service no longer knows: start over with the whole history.
      if (!(error instanceof NotFoundError && plan.claimed !== undefined && pinned === undefined))
        throw error;
      if (controller.signal.aborted) throw error;
      plan = whole();
      opened = await open();
    }
  } catch (error) {
    if (plan.claimed !== undefined && plan.sid !== undefined) {
      const { claimed, sid } = plan;
      await bestEffort(deps, "give a conversation point back", () => deps.store.release(claimed, sid));
    }
    release();
    throw mapError(error);
  }

  const { stream, iterator } = opened;
  let next: Promise<IteratorResult<RobocodersEvent>> | undefined = opened.first;
  const sidOf = () => stream.sid ?? plan.sid;
  const sid = sidOf();
  info.session = sid;
  if (sid !== undefined && plan.sid === undefined)
    await bestEffort(deps, "record the session's owner", () => deps.store.own(sid, caller));
  const meta: CompletionMeta = { id: completionId(), created: Math.floor(Date.now() / 1000), model: agent };
  const headers: Record<string, string> = {};
  if (sid !== undefined) headers[SESSION_HEADER] = sid;
  if (request.ignored.length > 0) headers[IGNORED_HEADER] = request.ignored.join(", ");
  const joiner = new TextJoiner(deps.textMode);
  const answerKey = deps.affinity ? new AnswerKey(agent, caller, messages) : undefined;
  const promptTokens = estimateTokens(plan.prompt);
  let completionPoints = 0;
  const usage = () => {
    const completionTokens = Math.ceil(completionPoints / 4);
    return {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    };
  };
  /** The text an event adds to the answer ("" for none). */
  const textOf = (event: RobocodersEvent): string => {
    const piece = referenceText(event.raw);
    if (piece === undefined || piece === "") return "";
    const text = joiner.next(piece);
    answerKey?.push(text);
    completionPoints += codePoints(text);
    return text;
  };
  const remember = async () => {
    const used = sidOf();
    if (answerKey !== undefined && used !== undefined) {
      const point = answerKey.digest();
      await bestEffort(deps, "remember the conversation", () => deps.store.remember(point, used));
    }
  };

  if (!request.stream) {
    const parts: string[] = [];
    let bytes = 0;
    try {
      for (;;) {
        const result = await (next ?? iterator.next());
        next = undefined;
        if (result.done === true) break;
        if (isAgentError(result.value)) throw agentError(result.value);
        const text = textOf(result.value);
        if (text === "") continue;
        bytes += Buffer.byteLength(text);
        if (bytes > deps.maxAnswerBytes) {
          throw new GatewayError(
            502,
            `The answer is larger than ${deps.maxAnswerBytes} bytes (the gateway's --max-answer-bytes); ` +
              "ask for it with stream: true",
            { type: "upstream_error", code: "answer_too_large" },
          );
        }
        parts.push(text);
      }
    } catch (error) {
      // Leaving the iteration early cancels the upstream request.
      await iterator.return?.().catch(() => undefined);
      release();
      throw error instanceof GatewayError ? error : mapError(error);
    }
    release();
    await remember();
    headers["content-type"] = "application/json";
    return {
      kind: "json",
      status: 200,
      headers,
      body: JSON.stringify(chatCompletion(meta, parts.join(""), usage())),
    };
  }

  // Streaming: upstream answered 200, so the status is final from here on.
  info.deferred = true;
  let finished = false;
  let ended = false;
  let cancelled = false;
  const finish = (status: number) => {
    if (finished) return;
    finished = true;
    release();
    log(status);
  };
  const failWith = (error: GatewayError): string => {
    ended = true;
    deps.logger.warn("stream failed after it began", { status: error.status, code: error.openaiCode });
    iterator.return?.().catch(() => undefined);
    finish(200);
    return sseError(error.toJSON().error) + SSE_DONE;
  };
  /** The frames of one upstream step: a text chunk, the end of the stream, an error, or nothing. */
  const framesOf = async (result: IteratorResult<RobocodersEvent>): Promise<string> => {
    if (result.done === true) {
      ended = true;
      await remember();
      let tail = sseData(chatCompletionChunk(meta, {}, "stop"));
      if (request.includeUsage) tail += sseData(usageChunk(meta, usage()));
      finish(200);
      return tail + SSE_DONE;
    }
    if (isAgentError(result.value)) return failWith(agentError(result.value));
    const delta = textOf(result.value);
    return delta === "" ? "" : sseData(chatCompletionChunk(meta, { content: delta }));
  };

  const sse: SseStream = {
    // Made when read (once, by the writer): a running stream does not keep the frames it sent.
    get head() {
      return `: robocoders\n\n${sseData(chatCompletionChunk(meta, { role: "assistant", content: "" }))}`;
    },
    complete: false,
    async pull() {
      if (ended) return { frames: "", done: true };
      try {
        for (;;) {
          if (next === undefined) {
            next = iterator.next();
            next.catch(() => undefined);
          }
          const result = await withKeepAlive(next, deps.keepAliveMs);
          if (result === KEEP_ALIVE) return { frames: SSE_KEEP_ALIVE, done: false };
          next = undefined;
          const frames = await framesOf(result);
          if (ended || frames !== "") return { frames, done: ended };
        }
      } catch (error) {
        ended = true;
        if (cancelled || requestSignal.aborted) {
          finish(499);
          return { frames: "", done: true };
        }
        return { frames: failWith(mapError(error)), done: true };
      }
    },
    async cancel() {
      if (cancelled) return;
      cancelled = true;
      controller.abort(new Error("The client closed the connection"));
      finish(499);
      await iterator.return?.().catch(() => undefined);
    },
  };
  return { kind: "sse", headers: { ...SSE_HEADERS, ...headers }, stream: sse };
}

/**
 * Runs a step of the affinity store that the answer does not depend on. Once the upstream answered, a
 * store that fails (a shared store's blip) neither cuts nor fails the answer: the step is logged and
 * skipped, and at worst the conversation's next turn starts a new session with the whole history.
 */
async function bestEffort(deps: ChatDeps, what: string, step: () => unknown): Promise<void> {
  try {
    await step();
  } catch (error) {
    deps.logger.warn(`could not ${what}`, {
      error: safeValue(error instanceof Error ? error.message : String(error)),
    });
  }
}

/** Unicode code points of a text (the unit of `estimateTokens`). */
function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
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
