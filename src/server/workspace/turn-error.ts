/**
 * How a failed turn is reported in the timeline: the library's error mapped to a {@link TurnError}
 * with a message for people.
 */

import { RateLimitError, RobocodersError } from "../../core/errors.js";
import { redact } from "../../core/logger.js";
import type { TurnError } from "./timeline.js";

/** Maps an error thrown by a chat call to what the timeline shows. Never exposes secrets. */
export function turnError(error: unknown): TurnError {
  if (!(error instanceof RobocodersError)) {
    return { code: "internal_error", message: "The workspace failed to run the turn.", retryable: true };
  }
  const detail = redact(error.message);
  const result: TurnError = { code: error.code, message: detail, retryable: error.retryable };
  if (error.status !== undefined) result.status = error.status;
  switch (error.code) {
    case "rate_limited": {
      const wait = error instanceof RateLimitError ? error.retryAfterMs : undefined;
      if (wait !== undefined) result.retryAfterMs = wait;
      result.message =
        wait === undefined
          ? "The Robocoders API is rate limiting requests; try again in a moment."
          : `The Robocoders API is rate limiting requests; try again in ${Math.max(1, Math.ceil(wait / 1000))} s.`;
      result.retryable = true;
      break;
    }
    case "connection_failed":
      result.message = `The Robocoders API is unreachable: ${detail}`;
      result.retryable = true;
      break;
    case "timeout":
      result.message = `The Robocoders API did not answer in time: ${detail}`;
      result.retryable = true;
      break;
    case "stream_truncated":
      result.message = `The answer was cut off before it ended (everything received is shown above): ${detail}`;
      result.retryable = true;
      break;
    case "server_error":
      result.message = `The Robocoders API failed: ${detail}`;
      result.retryable = true;
      break;
    default:
      break;
  }
  return result;
}
