/**
 * The sessions an MCP server used during its life, each with its event timeline and its workspace (the
 * files written and edited, the commands run), so that clients can read what the agents did and produced
 * as MCP resources. In memory, bounded: the least recently used
 * sessions are forgotten past {@link SessionRegistryOptions.maxSessions}, and a timeline keeps its newest
 * events within {@link SessionRegistryOptions.maxTimelineBytes}.
 */
import type { AgentName } from "../client/types.js";
import type { RobocodersEvent } from "../core/events.js";
import { WorkspaceTracker, type WorkspaceUpdate } from "../workspace/index.js";

/** Default of {@link SessionRegistryOptions.maxSessions}. */
export const DEFAULT_MAX_SESSIONS = 100;
/** Default of {@link SessionRegistryOptions.maxTimelineBytes}: 32 MiB. */
export const DEFAULT_MAX_TIMELINE_BYTES = 32 * 1024 * 1024;

/** Options of a {@link SessionRegistry}. */
export interface SessionRegistryOptions {
  /** Sessions kept; past it the least recently used one is forgotten. Default: 100. */
  maxSessions?: number;
  /** Bytes of JSON Lines kept per timeline; past it the oldest events are dropped. Default: 32 MiB. */
  maxTimelineBytes?: number;
}

/** One session as the server knows it. */
export interface SessionRecord {
  /** The session id. */
  readonly sid: string;
  /** The agent of the latest call in this session. */
  agent: AgentName;
  /** When the server first used the session. */
  readonly firstUsed: Date;
  /** When the server last received an event of the session or started a call in it. */
  lastUsed: Date;
  /** The events received, one JSON object per line (each line without its `\n`), oldest first. */
  readonly timeline: string[];
  /** Bytes of {@link timeline}, line endings included. */
  timelineBytes: number;
  /** Events dropped from the start of the timeline to stay within the byte limit. */
  droppedEvents: number;
  /** The files and commands of the session, from every event received (dropped ones included). */
  readonly workspace: WorkspaceTracker;
  /** How many of the workspace's files have a known content (each is a resource). */
  filesListed: number;
}

/** What changed in a {@link SessionRegistry}: its list of resources (a session or a file appeared or went). */
export type RegistryListener = () => void;

/** The sessions used during a server's life. Shared by every MCP connection of one server. */
export class SessionRegistry {
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly listeners = new Set<RegistryListener>();
  private readonly maxSessions: number;
  private readonly maxTimelineBytes: number;

  constructor(options: SessionRegistryOptions = {}) {
    this.maxSessions = Math.max(1, options.maxSessions ?? DEFAULT_MAX_SESSIONS);
    this.maxTimelineBytes = Math.max(1, options.maxTimelineBytes ?? DEFAULT_MAX_TIMELINE_BYTES);
  }

  /** The session, or `undefined` when the server has not used it (or forgot it). */
  get(sid: string): SessionRecord | undefined {
    return this.sessions.get(sid);
  }

  /** Every session, most recently used first. */
  list(): SessionRecord[] {
    return [...this.sessions.values()].sort((a, b) => b.lastUsed.getTime() - a.lastUsed.getTime());
  }

  /** Records that a call uses the session with this agent; creates the record on first use. */
  use(sid: string, agent: AgentName): SessionRecord {
    const now = new Date();
    let record = this.sessions.get(sid);
    if (record !== undefined) {
      record.agent = agent;
      record.lastUsed = now;
      // Map order is the eviction order: the used session moves to the end.
      this.sessions.delete(sid);
      this.sessions.set(sid, record);
      return record;
    }
    record = {
      sid,
      agent,
      firstUsed: now,
      lastUsed: now,
      timeline: [],
      timelineBytes: 0,
      droppedEvents: 0,
      workspace: new WorkspaceTracker(),
      filesListed: 0,
    };
    this.sessions.set(sid, record);
    while (this.sessions.size > this.maxSessions) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    this.changed();
    return record;
  }

  /**
   * Appends an event to the session's timeline (the untouched server object, as one JSON line) and feeds
   * it to the session's workspace; returns what it changed there. A file whose content becomes known is a
   * new resource.
   */
  append(record: SessionRecord, event: RobocodersEvent): WorkspaceUpdate | undefined {
    const line = JSON.stringify(event.raw);
    const bytes = Buffer.byteLength(line, "utf8") + 1;
    record.timeline.push(line);
    record.timelineBytes += bytes;
    record.lastUsed = new Date();
    while (record.timelineBytes > this.maxTimelineBytes && record.timeline.length > 1) {
      const dropped = record.timeline.shift() ?? "";
      record.timelineBytes -= Buffer.byteLength(dropped, "utf8") + 1;
      record.droppedEvents += 1;
    }
    const update = record.workspace.apply(event);
    if (update?.type === "file") {
      const listed = record.workspace.files().filter((file) => file.content !== undefined).length;
      if (listed !== record.filesListed) {
        record.filesListed = listed;
        this.changed();
      }
    }
    return update;
  }

  /** Calls `listener` whenever the list of sessions changes; returns the function that unsubscribes. */
  onChange(listener: RegistryListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Tells the listeners that the list of resources changed. */
  changed(): void {
    for (const listener of this.listeners) listener();
  }
}
