/**
 * The page's view of a conversation, built entry by entry from its timeline: rows (one per prompt, action
 * with its observation, stray observation, control frame and turn end), the status line, and the files
 * the agent changed. Pure: no DOM, so it is unit-tested in Node.
 */
import type {
  ActionEvent,
  ControlEvent,
  ObservationEvent,
  RobocodersEvent,
  UnknownAction,
  UnknownObservation,
} from "../../src/core/events.js";
import type { PromptEntry, TimelineEntry, TurnEndEntry } from "../../src/server/workspace/timeline.js";
import { type FileVersion, WorkspaceTracker } from "../../src/workspace/index.js";

interface RowBase {
  /** Stable key: the seq of the entry that made the row. */
  key: number;
  turn: number;
  /** When the server recorded the row's first entry (ms since the epoch). */
  time: number;
  /** Bumped on every change, so views re-render only changed rows. */
  version: number;
}

/** A prompt (the user's, or an automatic continue). */
export interface PromptRow extends RowBase {
  kind: "prompt";
  entry: PromptEntry;
}

/** An action, its observation once it came, and the file version it made (write/edit). */
export interface ActionRow extends RowBase {
  kind: "action";
  /** The action; an unknown one (`kind: "unknown_action"`) gets a generic row. */
  action: ActionEvent | UnknownAction;
  observation?: ObservationEvent | UnknownObservation;
  /** When the next event arrived (the action is over), ms since the epoch. */
  endTime?: number;
  /** For `write`/`edit`: the version of the file it made (with its diff against the one before). */
  fileVersion?: FileVersion;
}

/** An observation that answers no action shown (errors, unknown kinds). */
export interface ObservationRow extends RowBase {
  kind: "observation";
  observation: ObservationEvent | UnknownObservation;
}

/** A control frame (`{"error": true, "message": ...}`). */
export interface ControlRow extends RowBase {
  kind: "control";
  event: ControlEvent;
}

/** The end of a turn. */
export interface TurnEndRow extends RowBase {
  kind: "turn-end";
  entry: TurnEndEntry;
  /** When the turn began. */
  started: number | undefined;
}

/** One row of the timeline. */
export type Row = PromptRow | ActionRow | ObservationRow | ControlRow | TurnEndRow;

/** What the status line shows. */
export interface Status {
  /** A turn runs (a prompt came and its turn-end did not). */
  running: boolean;
  /** When the running turn began (ms). */
  turnStarted: number | undefined;
  /** The agent asked and waits for the user's answer. */
  waiting: boolean;
  /** The last `agent_state_changed` state, if any came. */
  agentState: string | undefined;
  /** The last turn's outcome. */
  lastOutcome: TurnEndEntry["outcome"] | undefined;
}

function timeOf(entry: TimelineEntry): number {
  const parsed = Date.parse(entry.time);
  return Number.isNaN(parsed) ? 0 : parsed;
}

const STATE_ONLY = new Set(["agent_state_changed"]);

/** A conversation's timeline, grown with {@link TimelineModel.push}. */
export class TimelineModel {
  /** The rows, oldest first. Row objects are updated in place (see `version`). */
  readonly rows: Row[] = [];
  /** Every entry received, oldest first. */
  readonly entries: TimelineEntry[] = [];
  /** The seq of the last entry received. */
  lastSeq = 0;
  readonly status: Status = {
    running: false,
    turnStarted: undefined,
    waiting: false,
    agentState: undefined,
    lastOutcome: undefined,
  };
  /** The files and commands of the session. */
  readonly workspace = new WorkspaceTracker();
  private readonly byEventId = new Map<number, ActionRow>();
  private lastAction: ActionRow | undefined;

  /** Adds entries (ignoring those already seen); returns whether anything changed. */
  pushAll(entries: readonly TimelineEntry[]): boolean {
    let changed = false;
    for (const entry of entries) changed = this.push(entry) || changed;
    return changed;
  }

  /** Adds one entry; `false` when it was seen before (a replay after a reconnection). */
  push(entry: TimelineEntry): boolean {
    if (entry.seq <= this.lastSeq) return false;
    this.lastSeq = entry.seq;
    this.entries.push(entry);
    const time = timeOf(entry);
    switch (entry.type) {
      case "prompt":
        this.closeLastAction(time);
        if (!this.status.running) this.status.turnStarted = time;
        this.status.running = true;
        this.status.waiting = false;
        this.rows.push({ kind: "prompt", key: entry.seq, turn: entry.turn, time, version: 0, entry });
        break;
      case "turn-end":
        this.closeLastAction(time);
        this.rows.push({
          kind: "turn-end",
          key: entry.seq,
          turn: entry.turn,
          time,
          version: 0,
          entry,
          started: this.status.turnStarted,
        });
        this.status.running = false;
        this.status.waiting = entry.outcome === "waiting";
        this.status.lastOutcome = entry.outcome;
        break;
      case "event":
        this.event(entry.event, entry.seq, entry.turn, time);
        break;
    }
    return true;
  }

  private closeLastAction(time: number): void {
    const last = this.lastAction;
    if (last !== undefined && last.endTime === undefined) {
      last.endTime = time;
      last.version += 1;
    }
  }

  private event(event: RobocodersEvent, seq: number, turn: number, time: number): void {
    const update = this.workspace.apply(event);
    if (event.kind === "action" || event.kind === "unknown_action") {
      this.closeLastAction(time);
      const row: ActionRow = { kind: "action", key: seq, turn, time, version: 0, action: event };
      if (update?.type === "file") row.fileVersion = update.version;
      if (event.id !== undefined) this.byEventId.set(event.id, row);
      this.rows.push(row);
      this.lastAction = row;
      if (event.source !== "user") this.status.waiting = false;
      return;
    }
    if (event.kind === "observation" || event.kind === "unknown_observation") {
      if (event.kind === "observation" && STATE_ONLY.has(event.observation)) {
        this.status.agentState = String(event.extras.agent_state ?? "");
        return;
      }
      const target = this.answered(event);
      if (target !== undefined) {
        target.observation = event;
        target.endTime ??= time;
        target.version += 1;
        return;
      }
      this.rows.push({ kind: "observation", key: seq, turn, time, version: 0, observation: event });
      return;
    }
    this.rows.push({ kind: "control", key: seq, turn, time, version: 0, event });
  }

  /** The action row an observation answers: by `cause`, else the last action of the same kind. */
  private answered(event: ObservationEvent | UnknownObservation): ActionRow | undefined {
    // Errors stay rows of their own, so they are seen where they happen.
    if (event.observation === "error") return undefined;
    if (event.cause !== undefined) {
      const row = this.byEventId.get(event.cause);
      if (row !== undefined && row.observation === undefined) return row;
    }
    const last = this.lastAction;
    if (last !== undefined && last.observation === undefined && last.action.action === event.observation)
      return last;
    return undefined;
  }
}

/** A short human duration: `850 ms`, `12 s`, `3 min 4 s`, `1 h 2 min`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** A byte count for people: `512 B`, `1.5 KiB`, `2.0 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
