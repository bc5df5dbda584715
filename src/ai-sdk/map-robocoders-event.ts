import type { JSONObject } from "@ai-sdk/provider";
import { type RobocodersEvent, referenceText } from "../core/events.js";
import { toJSONObject } from "./json-value.js";

/**
 * Which events make up the text of a response:
 * - `"messages"`: what the agent says to the user — the content of agent `message` actions, the closing
 *   words of `finish`/`reject` (e.g. "All done! What's next on the agenda?") and the message of non-error
 *   control frames. Commands, file operations, delegations, browsing and observations are left out of the
 *   text and reported as activity only.
 * - `"reference"`: the reference client's rule, exactly as the library's `RobocodersAPI` yields it: for every
 *   event `args.content` if non-empty, else `message` — so display strings such as
 *   "Running command: ls" are part of the text.
 */
export type RobocodersTextMode = "messages" | "reference";

/** One event that is not plain agent talk, as reported in `providerMetadata.robocoders.activity`. */
export interface RobocodersActivity extends JSONObject {
  /** `action`, `observation` or `control`. */
  kind: "action" | "observation" | "control";
  /** The action or observation name (`run`, `write`, `browse`, `delegate`…); `error` or `message` for control frames. */
  type: string;
  /** The server's display string, e.g. "Running command: ls". */
  message: string;
  /** The event's per-session id, when numbered. */
  id?: number;
  /** The raw timestamp (naive ISO-8601 UTC). */
  timestamp?: string;
  /** `agent`, `user` or `environment`. */
  source?: string;
  /** For observations: the id of the action it answers. */
  cause?: number;
  /** For actions: the arguments as sent (e.g. `command`, `path`, `content`, `url`, `thought`). */
  args?: JSONObject;
  /** For observations: the output (e.g. a command's stdout). */
  content?: string;
  /** For observations: the extras as sent (e.g. `exit_code`), without base64 `screenshot`s. */
  extras?: JSONObject;
}

/** What one event contributes to a response. */
export interface MappedRobocodersEvent {
  /** Text to append to the response, or `undefined`. */
  text: string | undefined;
  /** The event as activity, or `undefined` for plain agent talk. */
  activity: RobocodersActivity | undefined;
}

function isAgentMessage(event: RobocodersEvent): boolean {
  return event.kind === "action" && event.action === "message" && event.source !== "user";
}

function messagesModeText(event: RobocodersEvent): string | undefined {
  if (event.kind === "action") {
    if (isAgentMessage(event) || event.action === "finish" || event.action === "reject") {
      return referenceText(event.raw);
    }
    return undefined;
  }
  if (event.kind === "control" && !event.error && event.message !== "") return event.message;
  return undefined;
}

/** The event as an activity record (large base64 screenshots dropped). */
export function toActivity(event: RobocodersEvent): RobocodersActivity {
  let kind: RobocodersActivity["kind"];
  let type: string;
  switch (event.kind) {
    case "action":
    case "unknown_action":
      kind = "action";
      type = event.action;
      break;
    case "observation":
    case "unknown_observation":
      kind = "observation";
      type = event.observation;
      break;
    case "control":
      kind = "control";
      type = event.error ? "error" : "message";
      break;
  }
  const activity: RobocodersActivity = { kind, type, message: event.message };
  if (event.id !== undefined) activity.id = event.id;
  if (event.timestamp !== undefined) activity.timestamp = event.timestamp;
  if (event.source !== undefined) activity.source = event.source;
  if (event.cause !== undefined) activity.cause = event.cause;
  if (event.kind === "action" || event.kind === "unknown_action") activity.args = toJSONObject(event.args);
  if (event.kind === "observation" || event.kind === "unknown_observation") {
    activity.content = event.content;
    const { screenshot: _screenshot, ...extras } = event.extras;
    activity.extras = toJSONObject(extras);
  }
  return activity;
}

/**
 * Splits an event into its text (by `textMode`) and its activity record. Agent `message` actions are text
 * only; every other event is activity (and, by the mode, may also contribute text).
 */
export function mapRobocodersEvent(
  event: RobocodersEvent,
  textMode: RobocodersTextMode,
): MappedRobocodersEvent {
  const text = textMode === "reference" ? referenceText(event.raw) : messagesModeText(event);
  return {
    text: text === "" ? undefined : text,
    activity: isAgentMessage(event) ? undefined : toActivity(event),
  };
}
