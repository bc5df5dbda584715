/**
 * Pure mapping from HTTP responses and transport failures to the library's typed errors.
 */
import {
  APIConnectionError,
  type APIError,
  APITimeoutError,
  AuthenticationError,
  NotFoundError,
  RateLimitError,
  type RobocodersError,
  ServerError,
  StreamError,
  UnexpectedStatusError,
  ValidationError,
  type ValidationIssue,
} from "../core/errors.js";
import { redact, redactFields } from "../core/logger.js";
import { isRecord } from "../internal/values.js";

/** Longest `Retry-After` honoured, in ms: 60 s. */
export const MAX_RETRY_AFTER_MS = 60_000;
/** Longest backoff between retries without `Retry-After`, in ms: 8 s. */
export const MAX_BACKOFF_MS = 8_000;
/** Longest server message quoted in an error. */
const MAX_DETAIL_CHARS = 500;

/**
 * Parses `Retry-After` (delta seconds or an HTTP date) into ms, capped at {@link MAX_RETRY_AFTER_MS}.
 * `undefined` when absent or unparsable; a date in the past gives 0.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs = Date.now()): number | undefined {
  const text = value?.trim();
  if (text === undefined || text === "") return undefined;
  if (/^\d+(?:\.\d+)?$/.test(text)) return Math.min(Math.round(Number(text) * 1000), MAX_RETRY_AFTER_MS);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.min(Math.max(0, date - nowMs), MAX_RETRY_AFTER_MS);
}

/**
 * Delay before retry number `retry` (0-based): `base * 2^retry` capped at {@link MAX_BACKOFF_MS}, reduced by
 * up to 25 % of jitter; a server-sent `Retry-After` (already capped) wins.
 */
export function backoffDelay(
  retry: number,
  baseMs: number,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return retryAfterMs;
  const exponential = Math.min(baseMs * 2 ** retry, MAX_BACKOFF_MS);
  return Math.round(exponential * (1 - 0.25 * random()));
}

/** Parses a response body: JSON when it parses, else the text. */
export function parseBody(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed.startsWith("{") || trimmed.startsWith("[") || trimmed.startsWith('"')) {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

/** Plain text of an HTML page: its `<title>`, else its text with tags removed, whitespace collapsed. */
export function htmlToText(html: string): string {
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html)?.[1];
  const h1 = /<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(html)?.[1];
  const pick = title ?? h1 ?? html.replace(/<(script|style)[\s\S]*?<\/\1>/gi, " ");
  return pick
    .replace(/<[^>]*>/g, " ")
    .replace(/&nbsp;/g, " ")
    .replace(/&amp;/g, "&")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/\s+/g, " ")
    .trim();
}

function clip(text: string): string {
  return text.length > MAX_DETAIL_CHARS ? `${text.slice(0, MAX_DETAIL_CHARS)}…` : text;
}

/** The server's message in a body: FastAPI's string `detail`, a `message`, HTML or plain text. */
export function describeBody(body: unknown): string {
  if (isRecord(body)) {
    if (typeof body.detail === "string") return clip(body.detail);
    if (typeof body.message === "string") return clip(body.message);
    if (body.detail !== undefined) return clip(JSON.stringify(body.detail));
    return clip(JSON.stringify(body));
  }
  if (typeof body === "string") {
    const text = /<\/?[a-z][\s\S]*>/i.test(body) ? htmlToText(body) : body.trim().replace(/\s+/g, " ");
    return clip(text);
  }
  if (body === undefined || body === null) return "";
  return clip(JSON.stringify(body));
}

/** The pydantic-style issues of a 422 body (a string `detail` becomes one issue). */
export function validationIssues(body: unknown): ValidationIssue[] {
  const detail = isRecord(body) ? body.detail : body;
  if (typeof detail === "string") return [{ msg: detail }];
  if (!Array.isArray(detail)) return [];
  const issues: ValidationIssue[] = [];
  for (const item of detail) {
    if (!isRecord(item)) continue;
    const issue: ValidationIssue = { msg: typeof item.msg === "string" ? item.msg : JSON.stringify(item) };
    if (typeof item.type === "string") issue.type = item.type;
    if (Array.isArray(item.loc)) {
      issue.loc = item.loc.filter(
        (part): part is string | number => typeof part === "string" || typeof part === "number",
      );
    }
    if ("input" in item) issue.input = item.input;
    issues.push(issue);
  }
  return issues;
}

/**
 * The typed error for a non-2xx response. `request` is `METHOD /path`. Messages and bodies are redacted
 * (JWTs, Bearer values and the given secrets).
 */
export function errorFromResponse(
  status: number,
  bodyText: string,
  request: string,
  headers: { get(name: string): string | null },
  secrets: readonly string[] = [],
  nowMs = Date.now(),
): APIError {
  const body = redactFields(parseBody(bodyText), secrets);
  const detail = redact(describeBody(body), secrets);
  const suffix = detail === "" ? "" : `: ${detail}`;
  const options = { body, request };
  if (status === 401 || status === 403) {
    return new AuthenticationError(`${request} was refused (${status})${suffix}`, status, options);
  }
  if (status === 404) return new NotFoundError(`${request} returned 404${suffix}`, options);
  if (status === 422) {
    const issues = validationIssues(body);
    const list = issues
      .map((issue) =>
        issue.loc && issue.loc.length > 0 ? `${issue.loc.join(".")}: ${issue.msg}` : issue.msg,
      )
      .join("; ");
    const message = redact(
      `${request} was rejected as invalid (422)${list === "" ? suffix : `: ${list}`}`,
      secrets,
    );
    return new ValidationError(message, issues, options);
  }
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(headers.get("retry-after"), nowMs);
    const wait = retryAfterMs === undefined ? "" : ` (retry after ${Math.ceil(retryAfterMs / 1000)} s)`;
    return new RateLimitError(`${request} was rate limited (429)${wait}${suffix}`, retryAfterMs, options);
  }
  if (status >= 500)
    return new ServerError(`${request} failed with a server error (${status})${suffix}`, status, options);
  return new UnexpectedStatusError(
    `${request} returned an unexpected status ${status}${suffix}`,
    status,
    options,
  );
}

interface ErrorWithCause {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
}

function causeChain(error: unknown): ErrorWithCause[] {
  const chain: ErrorWithCause[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth++) {
    const item = current as ErrorWithCause;
    chain.push(item);
    current = item.cause;
  }
  return chain;
}

/** The code of the error a transport fails with when a connection stays silent longer than the idle timeout. */
export const IDLE_TIMEOUT_CODE = "ROBOCODERS_IDLE_TIMEOUT";

/** Whether a transport failure is an idle timeout (undici's header/body timeouts, or {@link IDLE_TIMEOUT_CODE}). */
export function isIdleTimeout(error: unknown): boolean {
  const code = transportCode(error);
  return code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT" || code === IDLE_TIMEOUT_CODE;
}

/** The undici/system error code somewhere in the cause chain (`UND_ERR_BODY_TIMEOUT`, `ECONNREFUSED`…). */
export function transportCode(error: unknown): string | undefined {
  for (const item of causeChain(error)) {
    if (typeof item.code === "string") return item.code;
  }
  return undefined;
}

function transportMessage(error: unknown): string {
  const chain = causeChain(error);
  const deepest = chain[chain.length - 1];
  const code = transportCode(error);
  const message = typeof deepest?.message === "string" ? deepest.message : String(error);
  return code !== undefined && !message.includes(code) ? `${message} (${code})` : message;
}

/**
 * Maps a failure of `fetch` itself (before a response) or of reading a body. `phase` tells which;
 * `eventsDelivered` is used for stream errors. Abort reasons must be checked by the caller first.
 */
export function mapTransportError(
  error: unknown,
  phase: "request" | "body",
  request: string,
  idleTimeoutMs: number,
  secrets: readonly string[] = [],
  eventsDelivered = 0,
): RobocodersError {
  if (isIdleTimeout(error)) return new APITimeoutError("idle", idleTimeoutMs, { cause: error });
  const detail = redact(transportMessage(error), secrets);
  if (phase === "request") return new APIConnectionError(`${request} failed: ${detail}`, { cause: error });
  return new StreamError(`The response of ${request} broke off: ${detail}`, "stream_truncated", {
    eventsDelivered,
    cause: error,
  });
}
