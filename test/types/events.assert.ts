/**
 * Type-level assertions on the published event types, compiled with `tsc --strict` against the built
 * package (`import … from "robocoders"` resolves to dist/ through the package's exports) by
 * types.test.ts. A line here fails the compilation when narrowing on `kind`, `action` or `observation`
 * stops giving the precise type; `@ts-expect-error` lines fail when something that must not compile does.
 */
import {
  type ActionEvent,
  type AgentState,
  type BrowseAction,
  type ControlEvent,
  type DelegateAction,
  type FileAction,
  type FileObservation,
  type FinishAction,
  type MessageAction,
  Robocoders,
  type RobocodersEvent,
  type RunAction,
  type RunIPythonAction,
  type RunObservation,
  type UnknownAction,
  type UnknownObservation,
} from "robocoders";

/** True when A and B are the same type (not merely assignable either way). */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Compiles only when T is `true`. */
function assert<T extends true>(): T | undefined {
  return undefined;
}

declare const event: RobocodersEvent;
declare function takesString(value: string): void;

// Narrowing on kind, then action: the precise action type, with typed args.
if (event.kind === "action" && event.action === "run") {
  assert<Equals<typeof event, RunAction>>();
  assert<Equals<typeof event.args.command, string>>();
  assert<Equals<typeof event.args.thought, string>>();
  assert<Equals<typeof event.args.background, boolean | undefined>>();
}
if (event.kind === "action" && event.action === "message") {
  assert<Equals<typeof event, MessageAction>>();
  assert<Equals<typeof event.args.content, string>>();
  assert<Equals<typeof event.args.wait_for_response, boolean>>();
}
if (event.kind === "action" && (event.action === "write" || event.action === "read")) {
  assert<Equals<typeof event, FileAction>>();
  assert<Equals<typeof event.args.path, string>>();
}
if (event.kind === "action" && event.action === "delegate") {
  assert<Equals<typeof event.args.agent, string>>();
}
if (event.kind === "action" && event.action === "finish") {
  assert<Equals<typeof event, FinishAction>>();
}

// A switch over the known actions narrows in each case and is exhaustive.
export function describeAction(action: ActionEvent): string {
  switch (action.action) {
    case "message":
      return action.args.content;
    case "run":
      return action.args.command;
    case "run_ipython":
      assert<Equals<typeof action, RunIPythonAction>>();
      return action.args.code;
    case "read":
    case "write":
    case "edit":
      return action.args.path;
    case "browse":
      assert<Equals<typeof action, BrowseAction>>();
      return action.args.url;
    case "browse_interactive":
      return action.args.browser_actions ?? "";
    case "delegate":
      assert<Equals<typeof action, DelegateAction>>();
      return action.args.agent;
    case "finish":
    case "reject":
      return action.args.thought;
    default:
      assert<Equals<typeof action, never>>();
      return action;
  }
}

// Observations narrow the same way.
if (event.kind === "observation" && event.observation === "run") {
  assert<Equals<typeof event, RunObservation>>();
  assert<Equals<typeof event.extras.exit_code, number | undefined>>();
}
if (event.kind === "observation" && event.observation === "write") {
  assert<Equals<typeof event, FileObservation>>();
}
if (event.kind === "observation" && event.observation === "agent_state_changed") {
  assert<Equals<typeof event.extras.agent_state, AgentState>>();
}

// Unknown actions and observations stay reachable, through kinds of their own.
if (event.kind === "unknown_action") {
  assert<Equals<typeof event, UnknownAction>>();
  assert<Equals<typeof event.action, string>>();
  assert<Equals<typeof event.args, Record<string, unknown>>>();
}
if (event.kind === "unknown_observation") {
  assert<Equals<typeof event, UnknownObservation>>();
  assert<Equals<typeof event.observation, string>>();
}
if (event.kind === "control") {
  assert<Equals<typeof event, ControlEvent>>();
  assert<Equals<typeof event.error, boolean>>();
}

// Every kind is covered.
export function kindOf(e: RobocodersEvent): string {
  switch (e.kind) {
    case "action":
    case "unknown_action":
      return e.action;
    case "observation":
    case "unknown_observation":
      return e.observation;
    case "control":
      return e.message;
    default:
      assert<Equals<typeof e, never>>();
      return e;
  }
}

// Mistakes that must not compile.
if (event.kind === "action" && event.action === "run") {
  // @ts-expect-error a run action has no `content` argument typed as string
  takesString(event.args.content);
  // @ts-expect-error `url` belongs to browse actions
  event.args.url.toUpperCase();
}
// @ts-expect-error there is no action "runn"
if (event.kind === "action" && event.action === "runn") event;

// The client example of the docs (docs/client.md), compiled as written.
export async function clientExample(): Promise<void> {
  const client = new Robocoders();
  try {
    const stream = client.chat("Build a React landing page", { agent: "FrontEndAgent" });
    for await (const event of stream) {
      if (event.kind === "action" && event.action === "run") console.log("$", event.args.command.trim());
      else if (event.kind === "action" && event.action === "message") console.log(event.args.content.trim());
    }
    console.log("session", stream.sid, "turns", stream.turns);
  } finally {
    await client.close();
  }
}
