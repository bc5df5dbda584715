/**
 * Exit codes of the `robocoders` command line and the mapping from errors to codes and to the one-line
 * message printed on stderr. Pure: no I/O.
 */
import {
  APIConnectionError,
  APIError,
  APITimeoutError,
  APIUserAbortError,
  AuthenticationError,
  CacheWriteError,
  InvalidArgumentError,
  ModelNotSupportedError,
  RateLimitError,
  ServerError,
  StoreUnavailableError,
  StreamError,
  ValidationError,
  WrongBaseURLError,
} from "../core/errors.js";
import { redact } from "../core/logger.js";

/** The process exit codes, stable for scripts. */
export const ExitCode = {
  /** The command did what it was asked. */
  Ok: 0,
  /** Anything not covered below (a bug, an unexpected condition). */
  Unexpected: 1,
  /** Bad command line: unknown flag or command, invalid value, unknown agent, empty prompt. */
  Usage: 2,
  /** The service refused the credentials (401/403) or no token could be obtained. */
  Authentication: 3,
  /** The service rejected the request: 404, 422, 429 or another 4xx. */
  Rejected: 4,
  /** Network failure, 5xx, timeout, or a broken event stream. */
  Network: 5,
  /** Interrupted by the user (Ctrl-C). */
  Interrupted: 130,
} as const;

/** One of the values of {@link ExitCode}. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** A command-line usage problem detected by the CLI itself (exit code 2). */
export class UsageError extends Error {
  /** What to do about it. Default: `Run with --help for usage.` */
  readonly hint: string;

  constructor(message: string, hint = "Run with --help for usage.") {
    super(message);
    this.name = "UsageError";
    this.hint = hint;
  }
}

/**
 * A file the user asked the command to write could not be written (exit code 1, as for the credential
 * cache): the message names the file, the hint says what to do.
 */
export class FileWriteError extends Error {
  /** What to do about it. */
  readonly hint: string;

  constructor(message: string, hint: string) {
    super(message);
    this.name = "FileWriteError";
    this.hint = hint;
  }
}

/** The user interrupted the command (exit code 130). */
export class InterruptedError extends Error {
  constructor(message = "Interrupted") {
    super(message);
    this.name = "InterruptedError";
  }
}

/** The exit code for an error thrown by a command. */
export function exitCodeFor(error: unknown): ExitCodeValue {
  if (error instanceof UsageError) return ExitCode.Usage;
  if (error instanceof InterruptedError || error instanceof APIUserAbortError) return ExitCode.Interrupted;
  if (error instanceof ModelNotSupportedError || error instanceof InvalidArgumentError) return ExitCode.Usage;
  if (error instanceof WrongBaseURLError) return ExitCode.Usage;
  if (error instanceof AuthenticationError) return ExitCode.Authentication;
  if (error instanceof ServerError) return ExitCode.Network;
  if (error instanceof APIError) {
    const status = error.status ?? 0;
    if (status >= 400 && status < 500) return ExitCode.Rejected;
    return ExitCode.Network;
  }
  if (
    error instanceof APIConnectionError ||
    error instanceof APITimeoutError ||
    error instanceof StreamError ||
    error instanceof StoreUnavailableError
  ) {
    return ExitCode.Network;
  }
  return ExitCode.Unexpected;
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, " ").trim();
}

function ensurePeriod(text: string): string {
  return /[.!?:]$/.test(text) ? text : `${text}.`;
}

/** What went wrong, in a user's words, and what to do about it. */
function describe(error: unknown): { what: string; hint: string } {
  if (error instanceof UsageError) return { what: error.message, hint: error.hint };
  if (error instanceof InterruptedError || error instanceof APIUserAbortError) {
    return { what: "Interrupted", hint: "" };
  }
  if (error instanceof ModelNotSupportedError) {
    return {
      what: `Unknown agent "${error.model}"`,
      hint: `Valid agents: ${error.models.join(", ")} (see \`robocoders models\`).`,
    };
  }
  if (error instanceof InvalidArgumentError)
    return { what: error.message, hint: "Run with --help for usage." };
  if (error instanceof WrongBaseURLError) {
    return {
      what: error.message,
      hint: "Fix --base-url or ROBOCODERS_BASE_URL; nothing cached was changed.",
    };
  }
  if (error instanceof CacheWriteError) {
    return {
      what: error.message,
      hint: "Make the folder writable, or choose another one with ROBOCODERS_CACHE_DIR.",
    };
  }
  if (error instanceof AuthenticationError) {
    return {
      what: `Authentication failed: ${error.message}`,
      // The message may already say how to log in.
      hint: /robocoders login/.test(error.message)
        ? ""
        : "Run `robocoders login` for a new token, or `robocoders login --token <jwt>` to use your own.",
    };
  }
  if (error instanceof ValidationError) {
    const details = error.issues.map((issue) => issue.msg).filter((msg) => msg !== "");
    const message =
      details.length > 0 && !details.every((d) => error.message.includes(d))
        ? `${error.message} (${details.join("; ")})`
        : error.message;
    // The message already names the request and the status ("POST /chat was rejected as invalid (422)…").
    return { what: message, hint: "Check the prompt, agent and session." };
  }
  if (error instanceof RateLimitError) {
    const wait = error.retryAfterMs === undefined ? "" : ` after ${Math.ceil(error.retryAfterMs / 1000)} s`;
    return { what: error.message, hint: `Try again${wait}.` };
  }
  if (error instanceof ServerError) {
    return { what: error.message, hint: "Try again later." };
  }
  if (error instanceof APIError) {
    const status = error.status ?? 0;
    if (status === 404) {
      return {
        what: error.message,
        hint: "The session may have expired: chat without -c/--session to start a new one.",
      };
    }
    return { what: error.message, hint: "" };
  }
  if (error instanceof APITimeoutError) {
    // The flag is in seconds: say the limit in seconds.
    const seconds = `${Number((error.timeoutMs / 1000).toFixed(3))} s`;
    return error.kind === "total"
      ? {
          what: `The call took longer than its time limit of ${seconds}`,
          hint: "Raise --timeout or try again.",
        }
      : { what: `No data from the service for ${seconds}`, hint: "Try again." };
  }
  if (error instanceof APIConnectionError) {
    return {
      what: `Could not reach the service: ${error.message}`,
      hint: "Check your network, --base-url and --proxy.",
    };
  }
  if (error instanceof StreamError) {
    return { what: `The response stream broke off: ${error.message}`, hint: "Try again." };
  }
  if (error instanceof StoreUnavailableError) return { what: error.message, hint: "" };
  if (error instanceof FileWriteError) return { what: error.message, hint: error.hint };
  if (error instanceof Error)
    return { what: `Unexpected error: ${error.message}`, hint: "Run with --verbose for details." };
  return { what: `Unexpected error: ${String(error)}`, hint: "Run with --verbose for details." };
}

/**
 * The single line printed on stderr for an error: `robocoders: <what failed>. <what to do>`, without
 * newlines, with tokens and Bearer credentials redacted (plus any `secrets` given).
 */
export function errorLine(error: unknown, secrets: Iterable<string> = []): string {
  const { what, hint } = describe(error);
  const text = hint === "" ? ensurePeriod(oneLine(what)) : `${ensurePeriod(oneLine(what))} ${hint}`;
  return `robocoders: ${redact(text, secrets)}`;
}
