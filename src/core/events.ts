/**
 * Typed events of the `/chat` stream.
 *
 * The server sends one JSON object per line. {@link toEvent} narrows such an object leniently into a
 * discriminated union on `kind` (`action`, `observation`, `control`, and `unknown_action` /
 * `unknown_observation` for names this library does not know) and then on `action` or `observation`.
 * Unknown names have kinds of their own so that `kind === "action" && action === "run"` narrows to
 * {@link RunAction} exactly (a catch-all `action: string` in the same kind would stay in every narrowed
 * union). Every event keeps the object it came from in `raw`, so nothing the server sent is lost.
 */

import { isRecord } from "../internal/values.js";

/** A JSON object as decoded from one line of the stream. */
export type RawEvent = Record<string, unknown>;

/** Fields every event has. */
export interface EventBase {
  /** Per-session counter; absent when the server did not number the event. */
  id?: number;
  /** The raw timestamp string (naive ISO-8601 UTC); see {@link eventTime}. */
  timestamp?: string;
  /** `agent`, `user` or `environment` (an open set). */
  source?: string;
  /** The server's display string; `""` when absent. */
  message: string;
  /** Id of the event this one answers (observations). */
  cause?: number;
  /** The session id. */
  sid?: string;
  /** The decoded JSON object, untouched. */
  raw: RawEvent;
}

type Args = Record<string, unknown>;

interface ActionBase<A extends string, T extends object> extends EventBase {
  kind: "action";
  action: A;
  args: T & Args;
}

/** An agent message; `wait_for_response: true` hands the turn back to the user. */
export type MessageAction = ActionBase<
  "message",
  { content: string; wait_for_response: boolean; image_urls?: string[] | null; extras?: Args }
>;
/** A shell command. */
export type RunAction = ActionBase<
  "run",
  { command: string; thought: string; background?: boolean; is_confirmed?: string }
>;
/** Python code run in the agent's IPython kernel. */
export type RunIPythonAction = ActionBase<
  "run_ipython",
  { code: string; thought: string; kernel_init_code?: string }
>;
/** A file read, written or edited by the agent. */
export type FileAction = ActionBase<
  "read" | "write" | "edit",
  { path: string; content?: string; start: number; end: number; thought: string }
>;
/** A page opened by the agent. */
export type BrowseAction = ActionBase<"browse", { url: string; thought?: string }>;
/** Interactive browsing (`browser_actions`). */
export type BrowseInteractiveAction = ActionBase<
  "browse_interactive",
  { browser_actions?: string; thought?: string }
>;
/** The agent hands a sub-task to another agent. */
export type DelegateAction = ActionBase<"delegate", { agent: string; inputs: Args; thought: string }>;
/** The agent finished (`finish`) or gave up (`reject`). */
export type FinishAction = ActionBase<"finish" | "reject", { outputs: Args; thought: string }>;
/**
 * An action this library does not know (`kind: "unknown_action"`); `args` is kept as sent. Its own kind
 * keeps it out of the narrowing of known actions.
 */
export interface UnknownAction extends EventBase {
  kind: "unknown_action";
  /** The action's name as sent. */
  action: string;
  args: Args;
}

/** Every known action (`kind: "action"`). Narrow on `action`; unknown actions are {@link UnknownAction}. */
export type ActionEvent =
  | MessageAction
  | RunAction
  | RunIPythonAction
  | FileAction
  | BrowseAction
  | BrowseInteractiveAction
  | DelegateAction
  | FinishAction;

interface ObservationBase<O extends string, T extends object> extends EventBase {
  kind: "observation";
  observation: O;
  content: string;
  extras: T & Args;
}

/** Output of a shell command. */
export type RunObservation = ObservationBase<
  "run",
  { command_id?: number; command?: string; exit_code?: number }
>;
/** Output of an IPython cell. */
export type RunIPythonObservation = ObservationBase<"run_ipython", { code?: string }>;
/** Result of a file action. */
export type FileObservation = ObservationBase<"read" | "write" | "edit", { path?: string }>;
/** Result of a browse action. */
export type BrowseObservation = ObservationBase<
  "browse",
  { url?: string; screenshot?: string; status_code?: number; error?: boolean }
>;
/** An error reported by the environment. */
export type ErrorObservation = ObservationBase<"error", Args>;
/** A delegate's result. */
export type DelegateObservation = ObservationBase<"delegate", { outputs?: Args }>;
/** Known agent states; the set is open. */
export type AgentState =
  | "loading"
  | "init"
  | "running"
  | "awaiting_user_input"
  | "paused"
  | "stopped"
  | "finished"
  | "rejected"
  | "error"
  | (string & {});
/** The agent's state changed. */
export type AgentStateChangedObservation = ObservationBase<
  "agent_state_changed",
  { agent_state: AgentState }
>;
/** An observation this library does not know (`kind: "unknown_observation"`); `extras` kept as sent. */
export interface UnknownObservation extends EventBase {
  kind: "unknown_observation";
  /** The observation's name as sent. */
  observation: string;
  content: string;
  extras: Args;
}

/**
 * Every known observation (`kind: "observation"`). Narrow on `observation`; unknown observations are
 * {@link UnknownObservation}.
 */
export type ObservationEvent =
  | RunObservation
  | RunIPythonObservation
  | FileObservation
  | BrowseObservation
  | ErrorObservation
  | DelegateObservation
  | AgentStateChangedObservation;

/** An object with neither `action` nor `observation`, e.g. `{"error": true, "message": "..."}`. */
export interface ControlEvent extends EventBase {
  kind: "control";
  /** True when the frame reports an error. */
  error: boolean;
}

/**
 * Any event of the `/chat` stream: narrow on `kind`, then on `action` (kind `action`) or `observation`
 * (kind `observation`).
 */
export type RobocodersEvent =
  | ActionEvent
  | UnknownAction
  | ObservationEvent
  | UnknownObservation
  | ControlEvent;

const KNOWN_ACTIONS = new Set([
  "message",
  "run",
  "run_ipython",
  "read",
  "write",
  "edit",
  "browse",
  "browse_interactive",
  "delegate",
  "finish",
  "reject",
]);
const KNOWN_OBSERVATIONS = new Set([
  "run",
  "run_ipython",
  "read",
  "write",
  "edit",
  "browse",
  "error",
  "delegate",
  "agent_state_changed",
]);

const str = (value: unknown, fallback = ""): string => (typeof value === "string" ? value : fallback);
const int = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isFinite(value) ? value : undefined;

/**
 * A new event with the fields every event shares, in a fixed order (`kind` first; the caller adds the
 * kind's own fields and then `raw`), so that events of one kind share one object shape.
 */
function withBase(kind: RobocodersEvent["kind"], raw: RawEvent): Record<string, unknown> {
  const event: Record<string, unknown> = { kind, message: str(raw.message) };
  const id = int(raw.id);
  if (id !== undefined) event.id = id;
  if (typeof raw.timestamp === "string") event.timestamp = raw.timestamp;
  if (typeof raw.source === "string") event.source = raw.source;
  const cause = int(raw.cause);
  if (cause !== undefined) event.cause = cause;
  if (typeof raw.sid === "string") event.sid = raw.sid;
  return event;
}

/** Default values filled in for known actions, so typed fields are always present. */
function actionArgs(action: string, args: Args): Args {
  switch (action) {
    case "message":
      return {
        ...args,
        content: str(args.content),
        wait_for_response: args.wait_for_response === true,
      };
    case "run":
      return { ...args, command: str(args.command), thought: str(args.thought) };
    case "run_ipython":
      return { ...args, code: str(args.code), thought: str(args.thought) };
    case "read":
    case "write":
    case "edit":
      return {
        ...args,
        path: str(args.path),
        start: int(args.start) ?? 0,
        end: int(args.end) ?? -1,
        thought: str(args.thought),
      };
    case "browse":
      return { ...args, url: str(args.url) };
    case "delegate":
      return {
        ...args,
        agent: str(args.agent),
        inputs: isRecord(args.inputs) ? args.inputs : {},
        thought: str(args.thought),
      };
    case "finish":
    case "reject":
      return { ...args, outputs: isRecord(args.outputs) ? args.outputs : {}, thought: str(args.thought) };
    default:
      return args;
  }
}

/**
 * Narrow a decoded JSON object into a typed event. Never throws: unknown actions and observations get
 * the catch-all cases, objects with neither field become control frames.
 */
export function toEvent(raw: RawEvent): RobocodersEvent {
  // One object per event, its fields set in order: kind, the shared fields, the kind's own fields, raw.
  const { action, observation } = raw;
  if (typeof action === "string") {
    const args = isRecord(raw.args) ? raw.args : {};
    const known = KNOWN_ACTIONS.has(action);
    const event = withBase(known ? "action" : "unknown_action", raw);
    event.action = action;
    event.args = known ? actionArgs(action, args) : args;
    event.raw = raw;
    return event as unknown as ActionEvent | UnknownAction;
  }
  if (typeof observation === "string") {
    const extras = isRecord(raw.extras) ? raw.extras : {};
    const known = KNOWN_OBSERVATIONS.has(observation);
    const event = withBase(known ? "observation" : "unknown_observation", raw);
    event.observation = observation;
    event.content = str(raw.content);
    event.extras =
      known && observation === "agent_state_changed"
        ? { ...extras, agent_state: str(extras.agent_state) }
        : extras;
    event.raw = raw;
    return event as unknown as ObservationEvent | UnknownObservation;
  }
  const event = withBase("control", raw);
  event.error = raw.error === true;
  event.raw = raw;
  return event as unknown as ControlEvent;
}

/** True for an agent `message` with `wait_for_response: true`: the agent waits for the user. */
export function needsUserInput(event: RobocodersEvent): boolean {
  return event.kind === "action" && event.action === "message" && event.args.wait_for_response === true;
}

const TURN_ENDING_STATES = new Set([
  "awaiting_user_input",
  "finished",
  "rejected",
  "error",
  "paused",
  "stopped",
]);

/**
 * True when the event hands the turn back: a message waiting for the user, a `finish` or `reject`,
 * an error control frame, or a state change to awaiting_user_input/finished/rejected/error/paused/stopped.
 */
export function endsTurn(event: RobocodersEvent): boolean {
  if (needsUserInput(event)) return true;
  if (event.kind === "action") return event.action === "finish" || event.action === "reject";
  if (event.kind === "observation") {
    return (
      event.observation === "agent_state_changed" && TURN_ENDING_STATES.has(String(event.extras.agent_state))
    );
  }
  if (event.kind === "control") return event.error;
  return false;
}

/**
 * {@link endsTurn} on a decoded object, without building the typed event: an agent message waiting for the
 * user (the reference client's rule), a `finish` or `reject`, a state change to a turn-ending state, or an
 * error control frame.
 */
export function rawEndsTurn(raw: RawEvent): boolean {
  if (referenceWaitsForResponse(raw)) return true;
  const { action } = raw;
  if (typeof action === "string") return action === "finish" || action === "reject";
  if (raw.observation === "agent_state_changed") {
    return isRecord(raw.extras) && TURN_ENDING_STATES.has(String(raw.extras.agent_state));
  }
  if (typeof raw.observation === "string") return false;
  return raw.error === true;
}

/** The text to show for an event: a message action's content, otherwise the server's `message`. */
export function displayText(event: RobocodersEvent): string {
  if (event.kind === "action" && event.action === "message") {
    const content = event.args.content;
    if (typeof content === "string" && content !== "") return content;
  }
  return event.message;
}

/** Python truthiness of a JSON value. */
function truthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false) return false;
  if (typeof value === "number") return value !== 0 && !Number.isNaN(value);
  if (typeof value === "string") return value.length > 0;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "object") return Object.keys(value).length > 0;
  return true;
}

function asText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * The reference client's text rule, exactly: `raw.get("args", {}).get("content") or raw.get("message", "")`.
 * Returns `undefined` where the reference yields nothing (both falsy, or `args` present but not an object,
 * which makes the reference skip the line).
 */
export function referenceText(raw: RawEvent): string | undefined {
  let content: unknown;
  if ("args" in raw) {
    if (!isRecord(raw.args)) return undefined;
    content = raw.args.content;
  }
  if (truthy(content)) return asText(content);
  const message = raw.message;
  return truthy(message) ? asText(message) : undefined;
}

/** The reference client's continue rule: `action == "message"` and a truthy `args.wait_for_response`. */
export function referenceWaitsForResponse(raw: RawEvent): boolean {
  return raw.action === "message" && isRecord(raw.args) && truthy(raw.args.wait_for_response);
}

/** The event's timestamp as a `Date` (a timestamp without offset is UTC), or `undefined`. */
export function eventTime(event: EventBase): Date | undefined {
  if (event.timestamp === undefined) return undefined;
  const hasOffset = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(event.timestamp);
  const date = new Date(hasOffset ? event.timestamp : `${event.timestamp}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
