/**
 * The workspace of one session as the event stream reveals it: the files the agent wrote or edited, with
 * every version and its diff against the version before, and the commands it ran, with their exit codes
 * and outputs. One model for the terminal, the web page and the MCP resources. Pure and browser-safe.
 *
 * Feed it every event of a session in order ({@link WorkspaceTracker.apply}); each call says what
 * changed. Actions are paired with their observations by `cause` (the action's `id`); an observation
 * without `cause` goes to the oldest unanswered action of its kind (same path or command when the
 * observation names one). An event whose `id` was seen before is ignored, so a replayed stream adds
 * nothing twice.
 */
import type {
  FileAction,
  ObservationEvent,
  RobocodersEvent,
  RunAction,
  RunIPythonAction,
} from "../core/events.js";
import { type UnifiedDiffOptions, unifiedDiff } from "./diff.js";
import { contentAfter, utf8Length } from "./edits.js";
import {
  normalizeWorkspacePath,
  type OutputPathResult,
  toOutputPath,
  type WorkspacePathOptions,
} from "./paths.js";

/** Where a change stands: sent by the agent, confirmed by its observation, or answered by an error. */
export type ChangeStatus = "pending" | "done" | "failed";

/** One version of a file: what one `write` or `edit` action made of it. */
export interface FileVersion {
  /** 1 for the first version of the file, then 2, 3… (failed versions included). */
  number: number;
  /** The action that made it. */
  kind: "write" | "edit";
  /** The whole content after the change; `undefined` when it cannot be known (see `edits.ts`). */
  content: string | undefined;
  /** The content before (the previous version, or what a `read` showed); `undefined` when unknown. */
  previous: string | undefined;
  /** True when nothing was known of the file before this version. */
  created: boolean;
  /** `content`'s size in UTF-8 bytes; `undefined` with `content`. */
  size: number | undefined;
  /**
   * The unified diff from `previous` (`/dev/null` when `created`) to `content`; `undefined` when either
   * is unknown or the change is too large to diff (see {@link UnifiedDiffOptions.maxEdits}).
   */
  diff: string | undefined;
  /** `pending` until its observation arrives; `failed` when answered by an `error` observation. */
  status: ChangeStatus;
  /** The error observation's text when `failed`. */
  error?: string;
  /** The `write`/`edit` action that made this version. */
  action: FileAction;
  /** The observation that answered the action, once it arrived. */
  observation?: ObservationEvent;
}

/** A file the agent wrote or edited in the session. */
export interface TrackedFile {
  /** The workspace path, normalized (see {@link normalizeWorkspacePath}): `/workspace/app/main.py`. */
  path: string;
  /** Where the file goes under an output folder, or why it may not (see {@link toOutputPath}). */
  output: OutputPathResult;
  /** The latest known content (failed versions skipped); `undefined` when unknown. */
  content: string | undefined;
  /** `content`'s size in UTF-8 bytes. */
  size: number | undefined;
  /** Every version, oldest first. */
  versions: FileVersion[];
}

/** A shell command or IPython cell the agent ran. */
export interface TrackedCommand {
  /** The action's event id, when the server numbered it. */
  id?: number;
  /** `run` (shell) or `run_ipython` (Python cell). */
  kind: "run" | "run_ipython";
  /** The command line, or the cell's code. */
  command: string;
  /** The agent's thought before running it (`""` when none). */
  thought: string;
  /** True for a command started in the background. */
  background: boolean;
  /** `running` until the observation; `done` (exit 0 or no exit code) or `failed` (other exit codes, errors). */
  status: "running" | "done" | "failed";
  /** The exit code the observation reported. */
  exitCode?: number;
  /** The output the observation carried (`""` while running). */
  output: string;
  /** The `run`/`run_ipython` action. */
  action: RunAction | RunIPythonAction;
  /** The observation that answered it, once it arrived. */
  observation?: ObservationEvent;
}

/**
 * What one event changed; `undefined` from {@link WorkspaceTracker.apply} when it changed nothing. The
 * records are the tracker's live objects: later events update them in place (copy what you keep).
 */
export type WorkspaceUpdate =
  | { type: "file"; file: TrackedFile; version: FileVersion }
  | { type: "command"; command: TrackedCommand };

/** Options of {@link WorkspaceTracker}. */
export interface WorkspaceTrackerOptions extends WorkspacePathOptions {
  /** Options of the diffs made for each version (context lines, size limit). Default: jsdiff's defaults here. */
  diff?: Omit<UnifiedDiffOptions, "created">;
}

type Pending =
  | { type: "file"; file: TrackedFile; version: FileVersion }
  | { type: "command"; command: TrackedCommand };

/** Tracks the files and commands of one session from its events. */
export class WorkspaceTracker {
  private readonly options: WorkspaceTrackerOptions;
  private readonly fileMap = new Map<string, TrackedFile>();
  private readonly commandList: TrackedCommand[] = [];
  /** What a `read` showed of files not yet written. */
  private readonly readContent = new Map<string, string>();
  /** Whole-file `read` actions waiting for their observation, by id. */
  private readonly pendingReads = new Map<number, string>();
  /** Actions waiting for their observation, by event id. */
  private readonly pendingById = new Map<number, Pending>();
  private readonly seenIds = new Set<string>();

  /** Tracks paths under `options.root` (default `/workspace`). Throws an `InvalidArgumentError` for a relative root. */
  constructor(options: WorkspaceTrackerOptions = {}) {
    this.options = options;
    normalizeWorkspacePath("/", options);
  }

  /** The files written or edited so far, in the order they were first written. */
  files(): TrackedFile[] {
    return [...this.fileMap.values()];
  }

  /** One file by its workspace path (any spelling that normalizes to the same path). */
  file(path: string): TrackedFile | undefined {
    return this.fileMap.get(normalizeWorkspacePath(path, this.options));
  }

  /** The commands run so far, in order. */
  commands(): TrackedCommand[] {
    return [...this.commandList];
  }

  /**
   * Records what a file held before the events this tracker sees (an earlier call in the same session,
   * say): its first write or edit is then diffed against `content` instead of counting as created, and an
   * edit of it can be worked out. Ignored for a file already written or edited here. Never throws for any
   * `path`.
   */
  remember(path: string, content: string): void {
    const key = normalizeWorkspacePath(path, this.options);
    if (!this.fileMap.has(key)) this.readContent.set(key, content);
  }

  /** Feeds one event; returns what it changed, or `undefined`. Never throws. */
  apply(event: RobocodersEvent): WorkspaceUpdate | undefined {
    if (event.id !== undefined) {
      const key = `${event.kind}:${event.id}`;
      if (this.seenIds.has(key)) return undefined;
      this.seenIds.add(key);
    }
    if (event.kind === "action") {
      if ("unknown" in event) return undefined;
      switch (event.action) {
        case "write":
        case "edit":
          return this.fileAction(event);
        case "run":
        case "run_ipython":
          return this.commandAction(event);
        case "read":
          if (event.id !== undefined && event.args.start <= 1 && event.args.end === -1) {
            this.pendingReads.set(event.id, normalizeWorkspacePath(event.args.path, this.options));
          }
          return undefined;
        default:
          return undefined;
      }
    }
    if (event.kind === "observation") return this.observation(event);
    return undefined;
  }

  private fileAction(action: FileAction): WorkspaceUpdate {
    const path = normalizeWorkspacePath(action.args.path, this.options);
    let file = this.fileMap.get(path);
    if (file === undefined) {
      file = {
        path,
        output: toOutputPath(action.args.path, this.options),
        content: undefined,
        size: undefined,
        versions: [],
      };
      this.fileMap.set(path, file);
    }
    const known = file.versions.length > 0 || this.readContent.has(path);
    const previous = file.versions.length > 0 ? file.content : this.readContent.get(path);
    const kind = action.action === "write" ? "write" : "edit";
    const content = contentAfter(kind, action.args, previous);
    const version: FileVersion = {
      number: file.versions.length + 1,
      kind,
      content,
      previous,
      created: !known,
      size: undefined,
      diff: undefined,
      status: "pending",
      action,
    };
    this.settle(file, version);
    file.versions.push(version);
    this.refresh(file);
    if (action.id !== undefined) this.pendingById.set(action.id, { type: "file", file, version });
    return { type: "file", file, version };
  }

  private commandAction(action: RunAction | RunIPythonAction): WorkspaceUpdate {
    const command: TrackedCommand = {
      kind: action.action,
      command: action.action === "run" ? action.args.command : action.args.code,
      thought: action.args.thought,
      background: action.action === "run" && action.args.background === true,
      status: "running",
      output: "",
      action,
    };
    if (action.id !== undefined) {
      command.id = action.id;
      this.pendingById.set(action.id, { type: "command", command });
    }
    this.commandList.push(command);
    return { type: "command", command };
  }

  private observation(event: ObservationEvent): WorkspaceUpdate | undefined {
    if (event.observation === "read" && event.cause !== undefined) {
      const path = this.pendingReads.get(event.cause);
      this.pendingReads.delete(event.cause);
      if (path !== undefined && !this.fileMap.has(path)) this.readContent.set(path, event.content);
      return undefined;
    }
    const pending = this.answered(event);
    if (pending === undefined) return undefined;
    if (event.cause !== undefined) this.pendingById.delete(event.cause);
    else this.forget(pending);
    if (pending.type === "command") {
      const { command } = pending;
      command.observation = event;
      command.output = event.content;
      if (event.observation === "error") {
        command.status = "failed";
        return { type: "command", command };
      }
      const code = event.extras.exit_code;
      if (typeof code === "number" && Number.isFinite(code)) command.exitCode = code;
      command.status = command.exitCode === undefined || command.exitCode === 0 ? "done" : "failed";
      return pending;
    }
    const { file, version } = pending;
    version.observation = event;
    if (event.observation === "error") {
      version.status = "failed";
      version.error = event.content !== "" ? event.content : event.message;
    } else {
      version.status = "done";
      const newContent = event.extras.new_content;
      if (typeof newContent === "string" && newContent !== version.content) {
        version.content = newContent;
        const oldContent = event.extras.old_content;
        if (
          version.previous === undefined &&
          typeof oldContent === "string" &&
          event.extras.prev_exist !== false
        ) {
          version.previous = oldContent;
          version.created = false;
        }
        this.settle(file, version);
      }
    }
    this.refresh(file);
    return pending;
  }

  /** The unanswered action an observation answers, or `undefined`. */
  private answered(event: ObservationEvent): Pending | undefined {
    if (event.cause !== undefined) {
      const pending = this.pendingById.get(event.cause);
      if (pending === undefined) return undefined;
      if (event.observation === "error") return pending;
      if (pending.type === "command") return event.observation === pending.command.kind ? pending : undefined;
      return event.observation === "write" || event.observation === "edit" ? pending : undefined;
    }
    switch (event.observation) {
      case "run":
      case "run_ipython": {
        const running = this.commandList.filter(
          (c) => c.status === "running" && c.kind === event.observation,
        );
        const named = typeof event.extras.command === "string" ? event.extras.command : undefined;
        const command = running.find((c) => named !== undefined && c.command === named) ?? running[0];
        return command === undefined ? undefined : { type: "command", command };
      }
      case "write":
      case "edit": {
        const named = typeof event.extras.path === "string" ? event.extras.path : undefined;
        const candidates = named === undefined ? this.files() : [this.file(named)];
        for (const file of candidates) {
          const version = file?.versions.find((v) => v.status === "pending");
          if (file !== undefined && version !== undefined) return { type: "file", file, version };
        }
        return undefined;
      }
      default:
        return undefined;
    }
  }

  /** Drops a pending entry answered without `cause` from the id index. */
  private forget(pending: Pending): void {
    const id = pending.type === "command" ? pending.command.action.id : pending.version.action.id;
    if (id !== undefined) this.pendingById.delete(id);
  }

  /** Sets a version's size and diff from its content. */
  private settle(file: TrackedFile, version: FileVersion): void {
    const { content, previous } = version;
    version.size = content === undefined ? undefined : utf8Length(content);
    version.diff =
      content === undefined || (previous === undefined && !version.created)
        ? undefined
        : unifiedDiff(file.output.ok ? file.output.relative : file.path, previous ?? "", content, {
            ...this.options.diff,
            created: version.created,
          });
  }

  /** The file's latest content: that of its last version that did not fail. */
  private refresh(file: TrackedFile): void {
    const last = [...file.versions].reverse().find((v) => v.status !== "failed");
    file.content = last === undefined ? this.readContent.get(file.path) : last.content;
    file.size = file.content === undefined ? undefined : utf8Length(file.content);
  }
}
