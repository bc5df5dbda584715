/**
 * The error hierarchy of robocoders. Every error thrown by the library is a {@link RobocodersError}
 * with a stable machine-readable {@link RobocodersError.code}; HTTP errors also carry `status`. The
 * deliberate exceptions (the AI SDK provider's AI SDK errors, `pyDumps`'s `TypeError`) are listed in
 * docs/client.md and in test/package/error-contract.test.ts.
 *
 * Messages never contain the access token, the `Authorization` header or the cache contents.
 */

/** Stable codes of every error the library throws. */
export type RobocodersErrorCode =
  | "authentication_failed"
  | "not_found"
  | "validation_failed"
  | "rate_limited"
  | "server_error"
  | "unexpected_status"
  | "connection_failed"
  | "timeout"
  | "aborted"
  | "stream_truncated"
  | "line_too_long"
  | "model_not_supported"
  | "missing_requirements"
  | "invalid_argument"
  | "store_unavailable"
  | "wrong_base_url"
  | "cache_write_failed";

/** Base class of every error the library throws. */
export class RobocodersError extends Error {
  /** Stable, machine-readable error code. */
  readonly code: RobocodersErrorCode;
  /** HTTP status, where the error comes from an HTTP response. */
  readonly status: number | undefined;

  constructor(message: string, code: RobocodersErrorCode, options?: { status?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options?.status;
  }

  /** Whether repeating the same request may succeed (rate limits, server and connection errors, timeouts). */
  get retryable(): boolean {
    return false;
  }
}

/** Common options of {@link APIError} subclasses. */
export interface APIErrorOptions {
  /** The parsed JSON body, or the raw text when the body is not JSON. */
  body?: unknown;
  /** The request method and path, e.g. `POST /chat` (never the query or headers). */
  request?: string;
  cause?: unknown;
}

/** An HTTP response with a status the client does not accept. */
export class APIError extends RobocodersError {
  /** The parsed JSON body, or the raw text when the body is not JSON. */
  readonly body: unknown;
  /** The request method and path, e.g. `POST /chat`. */
  readonly request: string | undefined;

  constructor(message: string, code: RobocodersErrorCode, status: number, options?: APIErrorOptions) {
    super(message, code, { status, cause: options?.cause });
    this.body = options?.body;
    this.request = options?.request;
  }
}

/** 401 (invalid or expired token) or 403 (missing credentials), or no token could be obtained. */
export class AuthenticationError extends APIError {
  constructor(message: string, status = 401, options?: APIErrorOptions) {
    super(message, "authentication_failed", status, options);
  }
}

/** 404, e.g. `{"detail": "Session not found"}`. */
export class NotFoundError extends APIError {
  constructor(message: string, options?: APIErrorOptions) {
    super(message, "not_found", 404, options);
  }
}

/**
 * `GET /auth` or `GET /create-session` answered 404: the base URL does not point at the Robocoders API (a
 * `/v1` suffix, another server). Nothing cached is dropped for it.
 */
export class WrongBaseURLError extends APIError {
  /** The base URL in use. */
  readonly baseURL: string;

  constructor(baseURL: string, request: string, options?: APIErrorOptions) {
    super(
      `${baseURL} does not look like the Robocoders API: ${request} returned 404 (the base URL is the API's root, e.g. https://api.robocoders.ai, without /v1 or another path)`,
      "wrong_base_url",
      404,
      { ...options, request },
    );
    this.baseURL = baseURL;
  }
}

/** One entry of a pydantic-style 422 `detail` list. */
export interface ValidationIssue {
  type?: string;
  loc?: Array<string | number>;
  msg: string;
  input?: unknown;
}

/** 422: the server rejected the request body. The server's messages are part of `message`. */
export class ValidationError extends APIError {
  /** The server's `detail` list (a string detail becomes one issue with that `msg`). */
  readonly issues: ValidationIssue[];

  constructor(message: string, issues: ValidationIssue[], options?: APIErrorOptions) {
    super(message, "validation_failed", 422, options);
    this.issues = issues;
  }
}

/** 429: too many requests. */
export class RateLimitError extends APIError {
  /** The delay the server asked for (from `Retry-After`), in milliseconds, if it sent one. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, retryAfterMs: number | undefined, options?: APIErrorOptions) {
    super(message, "rate_limited", 429, options);
    this.retryAfterMs = retryAfterMs;
  }

  override get retryable(): boolean {
    return true;
  }
}

/** A 5xx response. */
export class ServerError extends APIError {
  constructor(message: string, status: number, options?: APIErrorOptions) {
    super(message, "server_error", status, options);
  }

  override get retryable(): boolean {
    return true;
  }
}

/** Any other non-2xx status. */
export class UnexpectedStatusError extends APIError {
  constructor(message: string, status: number, options?: APIErrorOptions) {
    super(message, "unexpected_status", status, options);
  }
}

/** The connection could not be made or broke before a response arrived. */
export class APIConnectionError extends RobocodersError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, "connection_failed", options);
  }

  override get retryable(): boolean {
    return true;
  }
}

/** The total timeout or the idle timeout (no byte for too long) ran out. */
export class APITimeoutError extends RobocodersError {
  /** Which limit ran out. */
  readonly kind: "total" | "idle";
  /** The limit, in milliseconds. */
  readonly timeoutMs: number;

  constructor(kind: "total" | "idle", timeoutMs: number, options?: { cause?: unknown }) {
    super(
      kind === "total"
        ? `Request timed out after ${timeoutMs} ms (total timeout)`
        : `No data received for ${timeoutMs} ms (idle timeout)`,
      "timeout",
      options,
    );
    this.kind = kind;
    this.timeoutMs = timeoutMs;
  }

  override get retryable(): boolean {
    return true;
  }
}

/** The caller aborted the request (an `AbortSignal`, or leaving a `for await` early). */
export class APIUserAbortError extends RobocodersError {
  constructor(message = "Request was aborted", options?: { cause?: unknown }) {
    super(message, "aborted", options);
  }
}

/** The event stream broke: cut mid-line, ended without its final chunk, or a line exceeded the limit. */
export class StreamError extends RobocodersError {
  /** Events delivered before the failure. */
  readonly eventsDelivered: number;
  /** Bytes of an incomplete line discarded (`stream_truncated`); 0 when the stream broke off between lines. */
  readonly incompleteBytes: number;

  constructor(
    message: string,
    code: "stream_truncated" | "line_too_long",
    options?: { eventsDelivered?: number; incompleteBytes?: number; cause?: unknown },
  ) {
    super(message, code, { cause: options?.cause });
    this.eventsDelivered = options?.eventsDelivered ?? 0;
    this.incompleteBytes = options?.incompleteBytes ?? 0;
  }
}

/** The requested model (agent) is not one the provider offers. */
export class ModelNotSupportedError extends RobocodersError {
  /** The requested name. */
  readonly model: string;
  /** The valid models. */
  readonly models: readonly string[];

  constructor(model: string, models: readonly string[], provider = "RobocodersAPI") {
    super(
      `Model "${model}" is not supported by ${provider}. Valid models: ${models.join(", ")}`,
      "model_not_supported",
    );
    this.model = model;
    this.models = models;
  }
}

/** An optional dependency or a runtime feature the call needs is missing. */
export class MissingRequirementsError extends RobocodersError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, "missing_requirements", options);
  }
}

/** A caller passed an invalid argument (bad URL, negative timeout, malformed token…). */
export class InvalidArgumentError extends RobocodersError {
  constructor(message: string) {
    super(message, "invalid_argument");
  }
}

/**
 * The credential cache could not be written (a folder that cannot be created or is read-only). Thrown by the
 * calls whose purpose is to change the cache (`setAccessToken`, `getAccessToken({ refresh })`,
 * `createSession`, `clearCache`); during a chat the credentials then live in memory and a warning is logged.
 */
export class CacheWriteError extends RobocodersError {
  /** The cache file. */
  readonly file: string;
  /** The system error code (`EACCES`, `EROFS`, `ENOENT`…), if any. */
  readonly systemCode: string | undefined;

  constructor(file: string, systemCode: string | undefined, options?: { cause?: unknown }) {
    super(
      `Could not write the credential cache ${file}${systemCode === undefined ? "" : ` (${systemCode})`}`,
      "cache_write_failed",
      options,
    );
    this.file = file;
    this.systemCode = systemCode;
  }
}

/**
 * The shared store (Redis or Valkey, see `--store`) cannot be reached or did not answer in time. Never a
 * silent switch to private memory: the request that needed shared state fails, and a later one succeeds once
 * the store is back (the connection is re-established by itself).
 */
export class StoreUnavailableError extends RobocodersError {
  /** How long to wait before trying again, in milliseconds. Default: 1000. */
  readonly retryAfterMs: number;

  constructor(message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(message, "store_unavailable", { cause: options?.cause });
    this.retryAfterMs = options?.retryAfterMs ?? 1000;
  }

  override get retryable(): boolean {
    return true;
  }
}

/** Type guard for errors thrown by this library. */
export function isRobocodersError(value: unknown): value is RobocodersError {
  return value instanceof RobocodersError;
}
