import type { LanguageModelV3FinishReason } from "@ai-sdk/provider";
import { endsTurn, needsUserInput, type RobocodersEvent } from "../core/events.js";

/**
 * Tracks the event that ended the latest turn: an event that {@link endsTurn} becomes the candidate; a later
 * action that does not end the turn (the agent went on working, e.g. after an automatic `continue`) clears it.
 */
export function trackTurnEnd(
  current: RobocodersEvent | undefined,
  event: RobocodersEvent,
): RobocodersEvent | undefined {
  if (endsTurn(event)) return event;
  return event.kind === "action" ? undefined : current;
}

/**
 * Maps the event that ended the response to the AI SDK's finish reason. `raw` is the Robocoders reason:
 * - a message waiting for the user → `stop` (`awaiting_user_input`); `finish` → `stop` (`finish`);
 * - `reject` → `other` (`reject`);
 * - an `agent_state_changed` → by state: `finished`/`awaiting_user_input` → `stop`, `error` → `error`,
 *   anything else (`rejected`, `paused`, `stopped`) → `other`; `raw` is the state;
 * - an error control frame → `error` (`error`);
 * - no turn-ending event (the server closed the stream without one) → `other` (`undefined`).
 */
export function mapRobocodersFinishReason(event: RobocodersEvent | undefined): LanguageModelV3FinishReason {
  if (event === undefined) return { unified: "other", raw: undefined };
  if (needsUserInput(event)) return { unified: "stop", raw: "awaiting_user_input" };
  switch (event.kind) {
    case "action":
      if (event.action === "finish") return { unified: "stop", raw: "finish" };
      if (event.action === "reject") return { unified: "other", raw: "reject" };
      return { unified: "other", raw: event.action };
    case "observation": {
      if (event.observation !== "agent_state_changed") return { unified: "other", raw: event.observation };
      const state = String(event.extras.agent_state);
      if (state === "finished" || state === "awaiting_user_input") return { unified: "stop", raw: state };
      if (state === "error") return { unified: "error", raw: state };
      return { unified: "other", raw: state };
    }
    case "unknown_action":
      return { unified: "other", raw: event.action };
    case "unknown_observation":
      return { unified: "other", raw: event.observation };
    case "control":
      return event.error ? { unified: "error", raw: "error" } : { unified: "other", raw: undefined };
  }
}
