import { APICallError, NoSuchModelError } from "@ai-sdk/provider";
import {
  APIConnectionError,
  APIError,
  APITimeoutError,
  APIUserAbortError,
  ModelNotSupportedError,
  RateLimitError,
  StreamError,
} from "../core/errors.js";
import { redact } from "../core/logger.js";

/** Where a failed call went, for {@link APICallError}. The access token is never part of it. */
export interface RobocodersCallContext {
  /** The `/chat` URL. */
  url: string;
  /** The JSON body posted to `/chat` (`sid`, `prompt`, `agent`). */
  requestBodyValues: unknown;
  /** The caller's abort signal: once it fired, any error becomes the abort reason. */
  abortSignal?: AbortSignal | undefined;
  /**
   * The error came after part of the response was received: it is then never retryable, since repeating
   * the call would repeat the agent's work. Default: false.
   */
  afterOutput?: boolean;
}

/** The error an aborted call rejects with: the signal's reason when it is an error, else an `AbortError`. */
export function abortError(signal: AbortSignal | undefined, cause?: unknown): unknown {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason;
  const error = new DOMException("The operation was aborted", "AbortError");
  if (cause !== undefined) Object.defineProperty(error, "cause", { value: cause });
  return error;
}

function bodyText(body: unknown): string | undefined {
  if (body === undefined) return undefined;
  return redact(typeof body === "string" ? body : (JSON.stringify(body) ?? String(body)));
}

/**
 * Maps an error of the Robocoders client to the AI SDK's errors:
 * - HTTP errors → `APICallError` with `statusCode`, `responseBody` and `isRetryable` (429 and 5xx: yes; other
 *   4xx: no); a 429's delay is passed as the `retry-after-ms` response header, which the AI SDK's retry honours;
 * - connection failures and timeouts → `APICallError` with `isRetryable: true`;
 * - a broken event stream → `APICallError` with `isRetryable: false` (the agent may already have acted);
 * - with `afterOutput`, no error is retryable;
 * - an unknown agent → `NoSuchModelError` naming the valid agents;
 * - an abort (the caller's signal fired) → the signal's reason, or a `DOMException` named `AbortError`;
 * - anything else is returned unchanged.
 *
 * The original error is kept as `cause`. Messages and bodies never contain the access token.
 */
export function mapRobocodersError(error: unknown, context: RobocodersCallContext): unknown {
  if (context.abortSignal?.aborted === true) return abortError(context.abortSignal, error);
  if (error instanceof APIUserAbortError) return abortError(undefined, error);
  if (error instanceof ModelNotSupportedError) {
    return new NoSuchModelError({ modelId: error.model, modelType: "languageModel", message: error.message });
  }
  const base = { url: context.url, requestBodyValues: context.requestBodyValues, cause: error };
  if (error instanceof APIError) {
    const headers: Record<string, string> = {};
    if (error instanceof RateLimitError && error.retryAfterMs !== undefined) {
      headers["retry-after-ms"] = String(error.retryAfterMs);
    }
    return new APICallError({
      ...base,
      message: redact(error.message),
      statusCode: error.status,
      responseHeaders: headers,
      responseBody: bodyText(error.body),
      isRetryable: error.retryable && context.afterOutput !== true,
      data: { code: error.code },
    });
  }
  if (
    error instanceof APIConnectionError ||
    error instanceof APITimeoutError ||
    error instanceof StreamError
  ) {
    return new APICallError({
      ...base,
      message: redact(error.message),
      isRetryable: error.retryable && context.afterOutput !== true,
      data: { code: error.code },
    });
  }
  return error;
}
