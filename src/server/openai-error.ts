/**
 * OpenAI-style error objects and the mapping from library errors to HTTP statuses.
 *
 * Every error the gateway returns has the body `{"error": {"message", "type", "param", "code"}}`.
 */
import {
  APIConnectionError,
  APITimeoutError,
  APIUserAbortError,
  AuthenticationError,
  InvalidArgumentError,
  MissingRequirementsError,
  ModelNotSupportedError,
  NotFoundError,
  RateLimitError,
  RobocodersError,
  type RobocodersErrorCode,
  ServerError,
  StoreUnavailableError,
  ValidationError,
} from "../core/errors.js";
import { redact } from "../core/logger.js";
import { safeValue } from "./logging.js";

/** The `error` member of an OpenAI error body. */
export interface OpenAIErrorObject {
  message: string;
  /** `invalid_request_error`, `authentication_error`, `permission_error`, `not_found_error`, `rate_limit_error`, `upstream_error`, `timeout_error`, `server_error`. */
  type: string;
  /** The request field at fault, if any (e.g. `messages[1].content`). */
  param: string | null;
  /** A stable machine-readable code, e.g. `model_not_found`, `invalid_json`, `rate_limit_exceeded`. */
  code: string | null;
}

/**
 * The library code of a gateway error with HTTP status `status` (see {@link RobocodersError.code}); the
 * OpenAI code the caller receives is {@link GatewayError.openaiCode}.
 */
export function codeForStatus(status: number): RobocodersErrorCode {
  if (status === 401 || status === 403) return "authentication_failed";
  if (status === 404) return "not_found";
  if (status === 429) return "rate_limited";
  if (status === 499) return "aborted";
  if (status === 504) return "timeout";
  if (status >= 500) return "server_error";
  return "invalid_argument";
}

/**
 * An error the gateway answers with: HTTP status, OpenAI error object and extra headers. A
 * {@link RobocodersError} whose `code` follows the status ({@link codeForStatus}: 4xx → `invalid_argument`,
 * 401/403 → `authentication_failed`, 404 → `not_found`, 429 → `rate_limited`, 499 → `aborted`,
 * 504 → `timeout`, other 5xx → `server_error`); the OpenAI `code` of the body is {@link openaiCode}.
 */
export class GatewayError extends RobocodersError {
  /** The HTTP status to answer with. */
  declare readonly status: number;
  /** The OpenAI error type. */
  readonly type: string;
  /** The request field at fault. */
  readonly param: string | null;
  /** The OpenAI error code of the body (e.g. `invalid_api_key`, `model_not_found`); `null` when none. */
  readonly openaiCode: string | null;
  /** Extra response headers, e.g. `Retry-After`. */
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    message: string,
    options: { type: string; code?: string | null; param?: string | null; headers?: Record<string, string> },
  ) {
    super(message, codeForStatus(status), { status });
    this.type = options.type;
    this.openaiCode = options.code ?? null;
    this.param = options.param ?? null;
    this.headers = options.headers ?? {};
  }

  /** The JSON body `{"error": {...}}`. */
  toJSON(): { error: OpenAIErrorObject } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.openaiCode } };
  }
}

/** A 400 for a malformed or unsupported request. */
export function invalidRequest(
  message: string,
  param: string | null = null,
  code = "invalid_request",
): GatewayError {
  return new GatewayError(400, message, { type: "invalid_request_error", param, code });
}

/**
 * Maps any error thrown while serving a request to the error the caller gets.
 *
 * | error                                   | status | code                         |
 * | --------------------------------------- | ------ | ---------------------------- |
 * | {@link GatewayError}                    | own    | own                          |
 * | ModelNotSupportedError                  | 404    | `model_not_found`            |
 * | ValidationError (upstream 422)          | 400    | `upstream_validation_failed` |
 * | NotFoundError (session, pinned)         | 404    | `session_not_found`          |
 * | NotFoundError (otherwise)               | 502    | `upstream_not_found`         |
 * | RateLimitError (upstream 429)           | 429    | `rate_limit_exceeded`        |
 * | AuthenticationError (upstream 401/403)  | 502    | `upstream_authentication_failed` |
 * | ServerError 503 / 504                   | 503 / 504 | `upstream_unavailable` / `upstream_timeout` |
 * | other upstream status, broken stream    | 502    | `upstream_error`             |
 * | APIConnectionError                      | 502    | `upstream_unreachable`       |
 * | APITimeoutError                         | 504    | `upstream_timeout`           |
 * | APIUserAbortError                       | 499    | `client_closed_request`      |
 * | InvalidArgumentError                    | 400    | `invalid_argument`           |
 * | StoreUnavailableError (shared store)    | 503    | `store_unavailable`          |
 * | anything else                           | 500    | `internal_error`             |
 *
 * Messages pass through {@link redact}, so no token reaches the caller.
 */
export function toGatewayError(error: unknown, context: { pinnedSession?: boolean } = {}): GatewayError {
  if (error instanceof GatewayError) return error;
  if (!(error instanceof RobocodersError)) {
    return new GatewayError(500, "Internal gateway error", { type: "server_error", code: "internal_error" });
  }
  const message = redact(error.message);
  if (error instanceof ModelNotSupportedError) {
    const echoed = `The model "${safeValue(error.model)}" does not exist; use one of ${error.models.join(", ")}`;
    return new GatewayError(404, echoed, {
      type: "invalid_request_error",
      param: "model",
      code: "model_not_found",
    });
  }
  if (error instanceof ValidationError) {
    return new GatewayError(400, `The Robocoders API rejected the request: ${message}`, {
      type: "invalid_request_error",
      code: "upstream_validation_failed",
    });
  }
  if (error instanceof NotFoundError) {
    return context.pinnedSession === true
      ? new GatewayError(404, `Session not found: ${message}`, {
          type: "invalid_request_error",
          param: "X-Robocoders-Session",
          code: "session_not_found",
        })
      : new GatewayError(502, `The Robocoders API answered 404: ${message}`, {
          type: "upstream_error",
          code: "upstream_not_found",
        });
  }
  if (error instanceof RateLimitError) {
    const headers: Record<string, string> = {};
    if (error.retryAfterMs !== undefined)
      headers["Retry-After"] = String(Math.max(0, Math.ceil(error.retryAfterMs / 1000)));
    return new GatewayError(429, `The Robocoders API is rate limiting requests: ${message}`, {
      type: "rate_limit_error",
      code: "rate_limit_exceeded",
      headers,
    });
  }
  if (error instanceof AuthenticationError) {
    return new GatewayError(502, `The gateway could not authenticate with the Robocoders API: ${message}`, {
      type: "upstream_error",
      code: "upstream_authentication_failed",
    });
  }
  if (error instanceof ServerError && error.status === 503) {
    return new GatewayError(503, `The Robocoders API is unavailable: ${message}`, {
      type: "upstream_error",
      code: "upstream_unavailable",
    });
  }
  if (error instanceof ServerError && error.status === 504) {
    return new GatewayError(504, `The Robocoders API timed out: ${message}`, {
      type: "timeout_error",
      code: "upstream_timeout",
    });
  }
  if (error instanceof APITimeoutError) {
    return new GatewayError(504, `The Robocoders API timed out: ${message}`, {
      type: "timeout_error",
      code: "upstream_timeout",
    });
  }
  if (error instanceof APIConnectionError) {
    return new GatewayError(502, `The Robocoders API is unreachable: ${message}`, {
      type: "upstream_error",
      code: "upstream_unreachable",
    });
  }
  if (error instanceof APIUserAbortError) {
    return new GatewayError(499, "The request was cancelled", {
      type: "invalid_request_error",
      code: "client_closed_request",
    });
  }
  if (error instanceof InvalidArgumentError) return invalidRequest(message, null, "invalid_argument");
  if (error instanceof StoreUnavailableError) {
    // The reason stays in the log: it names the store's host.
    return new GatewayError(503, "The gateway's shared store is unavailable; try again shortly", {
      type: "server_error",
      code: "store_unavailable",
      headers: { "Retry-After": String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))) },
    });
  }
  if (error instanceof MissingRequirementsError) {
    return new GatewayError(500, message, { type: "server_error", code: "internal_error" });
  }
  // StreamError, UnexpectedStatusError, other 5xx.
  return new GatewayError(502, `The Robocoders API failed: ${message}`, {
    type: "upstream_error",
    code: "upstream_error",
  });
}
