/**
 * The HTTP layer of the client: the choice of transport, one request with error mapping and debug logging,
 * and bounded retries with exponential backoff and jitter.
 *
 * Without a proxy and without a custom `fetch`, requests go through `node:http` / `node:https` with one
 * keep-alive agent per client ({@link NodeWire}): no HTTP library is loaded. With a proxy (the `proxy`
 * option, `ROBOCODERS_PROXY`, or any of `HTTPS_PROXY`/`HTTP_PROXY` set, whatever `NO_PROXY` says) or a
 * custom `fetch`, they go through undici ({@link UndiciWire}), loaded only then.
 */
import {
  APIConnectionError,
  APITimeoutError,
  RateLimitError,
  type RobocodersError,
  ServerError,
} from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { type CallContext, sleep } from "./call-context.js";
import { backoffDelay, errorFromResponse, isIdleTimeout, mapTransportError } from "./http-errors.js";
import { NodeWire } from "./node-wire.js";
import type { ProxySetting } from "./options.js";
import { type ChatRecorder, RecordingWire } from "./recording-wire.js";
import type { FetchLike } from "./types.js";
import type { HttpResponse, Wire } from "./wire.js";

export type { HttpResponse } from "./wire.js";

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
  /** Receives every `POST /chat` exchange (see `RobocodersOptions.record`). Default: none. */
  record?: ChatRecorder | undefined;
}

/** Which transport a client uses: `node` (`node:http`/`node:https`) or `undici` (proxy or custom `fetch`). */
export function transportKind(config: Pick<TransportConfig, "proxy" | "fetch">): "node" | "undici" {
  return config.proxy.kind === "none" && config.fetch === undefined ? "node" : "undici";
}

/** The undici transport, imported on first use so that the default path never loads it. */
async function undiciWire(config: TransportConfig): Promise<Wire> {
  const { UndiciWire } = await import("./undici-wire.js");
  return new UndiciWire({ proxy: config.proxy, fetch: config.fetch });
}

/**
 * The failure of reading a body, as the stream decoder should see it: the call's abort or total timeout and
 * the idle timeout become typed errors; anything else (a cut) is returned unchanged for the decoder to
 * report as a truncated stream after the complete lines.
 */
export function bodyFailure(error: unknown, call: CallContext): unknown {
  const aborted = call.abortError(error);
  if (aborted !== undefined) return aborted;
  if (isIdleTimeout(error)) return new APITimeoutError("idle", call.idleTimeout, { cause: error });
  return error;
}

/** Sends requests for one client; owns its transport and so its connections. */
export class HttpTransport {
  private readonly config: TransportConfig;
  private wire: Wire | Promise<Wire>;
  private closed = false;

  constructor(config: TransportConfig) {
    this.config = config;
    const record = config.record;
    const recording = (wire: Wire): Wire =>
      record === undefined ? wire : new RecordingWire(wire, record, config.logger);
    if (transportKind(config) === "node") this.wire = recording(new NodeWire(config.baseURL));
    else {
      const wire = undiciWire(config).then(recording);
      // A failure to load surfaces on the first request.
      wire.catch(() => undefined);
      this.wire = wire;
    }
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
    const started = performance.now();
    let response: HttpResponse;
    try {
      const wire = await this.wire;
      if (this.closed) throw new APIConnectionError("The client is closed");
      response = await wire.send({ method: spec.method, url: this.url(spec.path), headers, body }, call);
    } catch (error) {
      const mapped =
        call.abortError(error) ??
        (error instanceof APIConnectionError
          ? error
          : mapTransportError(error, "request", label, call.idleTimeout, this.config.secrets()));
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

  /** Closes the transport's connections. */
  async close(): Promise<void> {
    this.closed = true;
    const wire = await Promise.resolve(this.wire).catch(() => undefined);
    await wire?.close();
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
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.chunks()) {
    chunks.push(chunk);
    size += chunk.byteLength;
    if (size >= limit) break;
  }
  return Buffer.concat(chunks).subarray(0, limit).toString("utf8");
}
