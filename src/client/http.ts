/**
 * The HTTP layer of the client: undici dispatchers (proxy, idle timeout), one request with error
 * mapping and debug logging, and bounded retries with exponential backoff and jitter.
 */
import type { Dispatcher } from "undici";
import { APIConnectionError, RateLimitError, type RobocodersError, ServerError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { type CallContext, sleep } from "./call-context.js";
import { backoffDelay, errorFromResponse, mapTransportError } from "./http-errors.js";
import type { ProxySetting } from "./options.js";
import type { FetchLike } from "./types.js";

type Undici = typeof import("undici");
let undiciModule: Promise<Undici> | undefined;
/**
 * undici, loaded on first need: importing it costs tens of milliseconds, so a client starts loading it when
 * it is created and the import overlaps with the work before the first request (reading the cache).
 */
function loadUndici(): Promise<Undici> {
  undiciModule ??= import("undici");
  return undiciModule;
}

/** Most bytes of an error body read (the rest is dropped). */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** A browser-like `User-Agent`, sent to `/auth` (which serves an HTML page). */
export const BROWSER_USER_AGENT =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
/** The browser-like `Accept` sent to `/auth`. */
export const BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/** One request. */
export interface RequestSpec {
  method: "GET" | "POST";
  /** Path below the base URL, e.g. `/chat`. */
  path: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Sent as a JSON body. */
  json?: unknown;
  /** Extra headers. */
  headers?: Record<string, string>;
}

/** Settings of a {@link HttpTransport}. */
export interface TransportConfig {
  baseURL: string;
  proxy: ProxySetting;
  fetch?: FetchLike | undefined;
  logger: Logger;
  retryDelay: number;
  /** The secrets to redact from messages (the tokens in use). */
  secrets: () => readonly string[];
}

/** What the client uses of a response (undici's and the global `Response` both fit). */
export interface HttpResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  readonly body: ReadableStream<Uint8Array> | null;
  text(): Promise<string>;
  json(): Promise<unknown>;
}

/** Sends requests for one client; owns its undici dispatchers. */
export class HttpTransport {
  private readonly dispatchers = new Map<number, Dispatcher>();
  private readonly config: TransportConfig;
  private closed = false;

  constructor(config: TransportConfig) {
    this.config = config;
    // Start loading undici now; a failure surfaces on the first request.
    loadUndici().catch(() => undefined);
  }

  /** The dispatcher for an idle timeout (one per distinct value, created on first use). */
  private dispatcher(undici: Undici, idleTimeout: number): Dispatcher {
    let dispatcher = this.dispatchers.get(idleTimeout);
    if (dispatcher === undefined) {
      const { Agent, EnvHttpProxyAgent, ProxyAgent } = undici;
      const timeouts = { bodyTimeout: idleTimeout, headersTimeout: idleTimeout };
      const proxy = this.config.proxy;
      if (proxy.kind === "url") dispatcher = new ProxyAgent({ uri: proxy.url, ...timeouts });
      else if (proxy.kind === "env") dispatcher = new EnvHttpProxyAgent(timeouts);
      else dispatcher = new Agent(timeouts);
      this.dispatchers.set(idleTimeout, dispatcher);
    }
    return dispatcher;
  }

  /** The full URL of a path. */
  url(path: string): string {
    return `${this.config.baseURL}${path}`;
  }

  /**
   * Sends one request and returns the response when its status is 2xx. Otherwise reads (a bounded part
   * of) the body and throws the mapped error. Transport failures become connection/timeout/abort errors.
   */
  async send(spec: RequestSpec, call: CallContext, attempt = 1): Promise<HttpResponse> {
    if (this.closed) throw new APIConnectionError("The client is closed");
    call.throwIfAborted();
    const label = `${spec.method} ${spec.path}`;
    const headers: Record<string, string> = { ...spec.headers };
    if (spec.token !== undefined) headers.authorization = `Bearer ${spec.token}`;
    let body: string | undefined;
    if (spec.json !== undefined) {
      body = JSON.stringify(spec.json);
      headers["content-type"] = "application/json";
    }
    const undici = await loadUndici();
    if (this.closed) throw new APIConnectionError("The client is closed");
    const started = performance.now();
    const dispatcher = this.dispatcher(undici, call.idleTimeout);
    let response: HttpResponse;
    try {
      if (this.config.fetch !== undefined) {
        const init: RequestInit = { method: spec.method, headers, body, signal: call.signal };
        // The global RequestInit types `dispatcher` with Node's bundled undici types; set it untyped.
        Reflect.set(init, "dispatcher", dispatcher);
        response = await this.config.fetch(this.url(spec.path), init);
      } else {
        response = await undici.fetch(this.url(spec.path), {
          method: spec.method,
          headers,
          body,
          signal: call.signal,
          dispatcher,
        });
      }
    } catch (error) {
      const mapped =
        call.abortError(error) ??
        mapTransportError(error, "request", label, call.idleTimeout, this.config.secrets());
      this.log(spec, undefined, started, attempt, mapped);
      throw mapped;
    }
    this.log(spec, response.status, started, attempt);
    if (response.ok) return response;
    let text = "";
    try {
      text = await readLimited(response, MAX_ERROR_BODY_BYTES);
    } catch (error) {
      const aborted = call.abortError(error);
      if (aborted !== undefined) throw aborted;
    }
    throw errorFromResponse(response.status, text, label, response.headers, this.config.secrets());
  }

  /**
   * Runs `attempt` and retries it after a rate limit, a server error or a connection failure, at most
   * `maxRetries` times, waiting with exponential backoff and jitter (or the server's `Retry-After`).
   * Gives up early when the wait would outlast the call's total timeout.
   */
  async withRetries<T>(
    call: CallContext,
    maxRetries: number,
    attempt: (attemptNumber: number) => Promise<T>,
  ): Promise<T> {
    for (let retry = 0; ; retry++) {
      try {
        return await attempt(retry + 1);
      } catch (error) {
        if (!isRetryable(error) || retry >= maxRetries) throw error;
        const retryAfter = error instanceof RateLimitError ? error.retryAfterMs : undefined;
        const delay = backoffDelay(retry, this.config.retryDelay, retryAfter);
        if (delay >= call.remainingMs()) throw error;
        this.config.logger.debug("retrying", {
          code: error.code,
          status: error.status,
          retry: retry + 1,
          delayMs: delay,
        });
        await sleep(delay, call);
      }
    }
  }

  private log(
    spec: RequestSpec,
    status: number | undefined,
    started: number,
    attempt: number,
    error?: RobocodersError,
  ) {
    const fields: Record<string, unknown> = {
      method: spec.method,
      path: spec.path,
      status,
      durationMs: Math.round(performance.now() - started),
      attempt,
    };
    if (error !== undefined) fields.error = error.code;
    this.config.logger.debug("request", fields);
  }

  /** Closes every dispatcher. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.dispatchers.values()];
    this.dispatchers.clear();
    await Promise.all(all.map((dispatcher) => dispatcher.close().catch(() => undefined)));
  }
}

/** Errors worth retrying before any output: 429, 5xx, connection failures. */
export function isRetryable(error: unknown): error is RateLimitError | ServerError | APIConnectionError {
  return (
    error instanceof RateLimitError || error instanceof ServerError || error instanceof APIConnectionError
  );
}

/** Reads at most `limit` bytes of a body as UTF-8 and drops the rest. */
async function readLimited(response: HttpResponse, limit: number): Promise<string> {
  const body = response.body;
  if (body === null) return "";
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, limit).toString("utf8");
}
