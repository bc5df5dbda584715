/**
 * How failures reach the model. Errors it can act on (rate limited, unknown session, service unreachable
 * or failing, a broken stream) become tool results with `isError: true` and a sentence saying what to do;
 * invalid arguments become JSON-RPC protocol errors (`InvalidParams`); a cancelled call is rethrown (the
 * SDK sends no response to a cancelled request). Pure: no I/O.
 */
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import {
  APIConnectionError,
  APITimeoutError,
  APIUserAbortError,
  AuthenticationError,
  InvalidArgumentError,
  isRobocodersError,
  ModelNotSupportedError,
  NotFoundError,
  RateLimitError,
  type RobocodersError,
  ServerError,
  StreamError,
  ValidationError,
} from "../core/errors.js";

/** What a failed tool call tells the model. */
export interface ToolFailure {
  /** One or two sentences: what happened and what to do next. */
  text: string;
  /** The library's error code (`rate_limited`, `not_found`, `connection_failed`…). */
  code: RobocodersError["code"];
  /** Seconds to wait before retrying, for a rate limit. */
  retryAfterSeconds?: number;
}

/** Context that makes a failure message precise. */
export interface FailureContext {
  /** The session the call used, if any. */
  session?: string | undefined;
  /** The base URL of the service. */
  baseURL: string;
}

/**
 * Turns an error thrown by a tool into what the model reads.
 * @throws McpError (`InvalidParams`) for invalid arguments (unknown agent, bad value).
 * @throws the error itself when the call was cancelled or the error is not the library's (a bug).
 */
export function toolFailure(error: unknown, context: FailureContext): ToolFailure {
  if (error instanceof ModelNotSupportedError || error instanceof InvalidArgumentError) {
    throw new McpError(ErrorCode.InvalidParams, error.message);
  }
  if (error instanceof APIUserAbortError || !isRobocodersError(error)) throw error;
  const code = error.code;
  if (error instanceof RateLimitError) {
    const seconds = error.retryAfterMs === undefined ? 60 : Math.max(1, Math.ceil(error.retryAfterMs / 1000));
    return {
      code,
      retryAfterSeconds: seconds,
      text:
        `Rate limited by the Robocoders service (HTTP 429). Wait ${seconds} second${seconds === 1 ? "" : "s"}, ` +
        "then call the tool again with the same arguments.",
    };
  }
  if (error instanceof NotFoundError) {
    const which = context.session === undefined ? "The session" : `Session ${context.session}`;
    return {
      code,
      text:
        `Unknown session: ${which} is not known to the Robocoders service (it may have expired). ` +
        "Start a new session with run_task without the session argument.",
    };
  }
  if (error instanceof APIConnectionError) {
    return {
      code,
      text:
        `The Robocoders service at ${context.baseURL} is unreachable (${error.message}). ` +
        "Check the network or the configured base URL, then try again.",
    };
  }
  if (error instanceof APITimeoutError) {
    return {
      code,
      text: `The agent took too long: ${error.message}. Try again, or split the task into smaller steps.`,
    };
  }
  if (error instanceof ServerError) {
    return {
      code,
      text: `The Robocoders service failed (HTTP ${error.status}). Try again in a minute.`,
    };
  }
  if (error instanceof AuthenticationError) {
    return {
      code,
      text:
        `The Robocoders service refused the credentials (HTTP ${error.status}). The server's user should run ` +
        "`robocoders login`; retrying will not help until then.",
    };
  }
  if (error instanceof ValidationError) {
    return { code, text: `The Robocoders service rejected the request: ${error.message}` };
  }
  if (error instanceof StreamError) {
    return {
      code,
      text:
        `The agent's event stream broke after ${error.eventsDelivered} events (${error.message}). ` +
        "What arrived is reported below; continue the session with answer_agent or run_task to resume.",
    };
  }
  return { code, text: `The Robocoders service call failed: ${error.message}` };
}
