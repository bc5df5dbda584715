/**
 * The agent's files during `robocoders chat`: `--show-files` prints each file written (highlighted) and
 * each rewrite or edit of a file seen before in the conversation as a unified diff; `--output <dir>` saves
 * every file written or edited under a folder by the output path rule (see `../workspace/paths.ts`),
 * refusing every path that would land outside it. The files' last known content is kept per session in
 * the cache folder (`./file-snapshots.ts`), so a later chat in the session diffs against it. Loaded only
 * when files are shown, saved or listed (it pulls the diff and highlighting libraries).
 */
import type { RobocodersEvent } from "../core/events.js";
import { errorCode } from "../internal/values.js";
import { type FileVersion, type TrackedFile, WorkspaceTracker } from "../workspace/index.js";
import { saveWorkspaceFile } from "../workspace/write-files.js";
import { loadSnapshot, saveSnapshot } from "./file-snapshots.js";
import { renderFileContent, renderFileVersion } from "./file-view.js";
import type { Palette } from "./render.js";
import { formatBytes } from "./render.js";
import { sanitizeTerminal } from "./terminal-text.js";

/** What {@link ChatFiles} does with the agent's files. */
export interface ChatFilesOptions {
  /** Print each file change (`--show-files`). Default: false. */
  show?: boolean;
  /** Save each file under this folder (`--output`). Default: none. */
  outputDir?: string;
  /** Colours of the file views. Default: none. */
  palette?: Palette;
  /** Where warnings go (a refused or unsaved file). */
  warn: (line: string) => void;
  /** The cache folder holding the sessions' file snapshots. Default: none kept. */
  cacheDir?: string;
}

/** What a call saved, for the summary line. */
export interface SaveTally {
  saved: Set<string>;
  refused: Set<string>;
}

/** One file change, for the `/files` listing. */
export interface FileSummary {
  name: string;
  size: number | undefined;
  versions: number;
}

/**
 * The files of one conversation's session: a {@link WorkspaceTracker} fed with every event, file views
 * for `--show-files`, and saving for `--output`. A new session needs a new instance.
 */
export class ChatFiles {
  private readonly tracker = new WorkspaceTracker();
  /** What was last written to disk for each workspace path (to skip saving the same content twice). */
  private readonly written = new Map<string, string>();
  private readonly warned = new Set<string>();
  private tally: SaveTally = { saved: new Set(), refused: new Set() };
  /** The session whose snapshot was loaded, and what it held. */
  private session: { sid: string; snapshot: Map<string, string> } | undefined;
  show: boolean;

  constructor(private readonly options: ChatFilesOptions) {
    this.show = options.show === true;
  }

  /**
   * Called when a turn's session is known, before its first event: the first time, loads what earlier
   * chats in the session knew of its files, so their changes are diffs. Never throws.
   */
  async begin(sid: string | undefined): Promise<void> {
    if (sid === undefined || this.session !== undefined || this.options.cacheDir === undefined) return;
    const snapshot = await loadSnapshot(this.options.cacheDir, sid);
    this.session = { sid, snapshot };
    for (const [path, content] of snapshot) this.tracker.remember(path, content);
  }

  /** Called after each turn: keeps the files' latest known content for later chats in the session. Never throws. */
  async end(sid: string | undefined): Promise<void> {
    if (sid === undefined || this.options.cacheDir === undefined) return;
    if (this.session === undefined) this.session = { sid, snapshot: new Map() };
    if (this.session.sid !== sid) return;
    const { snapshot } = this.session;
    for (const file of this.tracker.files()) {
      if (file.content !== undefined) snapshot.set(file.path, file.content);
    }
    if (snapshot.size === 0) return;
    await saveSnapshot(this.options.cacheDir, sid, snapshot).catch(() => undefined);
  }

  /** The output folder, if files are saved. */
  get outputDir(): string | undefined {
    return this.options.outputDir;
  }

  /**
   * Feeds one event. Saves a file it changed (with `outputDir`) and returns the view to print in place
   * of the event's own line when files are shown and the event is a `write`/`edit` action; else `undefined`.
   */
  async apply(event: RobocodersEvent): Promise<string | undefined> {
    const update = this.tracker.apply(event);
    if (update?.type !== "file") return undefined;
    const { file, version } = update;
    if (this.options.outputDir !== undefined) await this.save(this.options.outputDir, file, version);
    if (!this.show || event.kind !== "action") return undefined;
    return renderFileVersion(file, version, this.viewOptions());
  }

  private viewOptions() {
    return this.options.palette === undefined ? {} : { palette: this.options.palette };
  }

  private warnOnce(key: string, line: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.options.warn(line);
  }

  private async save(dir: string, file: TrackedFile, version: FileVersion): Promise<void> {
    // The path as the agent gave it (`../x.py`), not the normalized one.
    const shown = sanitizeTerminal(version.action.args.path);
    if (!file.output.ok) {
      this.tally.refused.add(file.path);
      this.warnOnce(`refused:${file.path}`, `not saved: ${shown}: ${file.output.reason}`);
      return;
    }
    const content = version.status === "failed" ? undefined : version.content;
    if (content === undefined) {
      if (version.status !== "failed") {
        this.warnOnce(
          `unknown:${file.path}:${version.number}`,
          `not saved: ${shown}: its new content is not known (an edit of a file not seen in this session)`,
        );
      }
      return;
    }
    if (this.written.get(file.path) === content) return;
    let result: Awaited<ReturnType<typeof saveWorkspaceFile>>;
    try {
      result = await saveWorkspaceFile(dir, file.path, content);
    } catch (error) {
      const reason = errorCode(error) ?? String(error);
      this.tally.refused.add(file.path);
      this.warnOnce(`error:${file.path}`, `not saved: ${shown}: ${reason}`);
      return;
    }
    if (!result.ok) {
      this.tally.refused.add(file.path);
      this.warnOnce(`refused:${file.path}`, `not saved: ${shown}: ${sanitizeTerminal(result.reason)}`);
      return;
    }
    this.written.set(file.path, content);
    this.tally.saved.add(file.path);
    this.tally.refused.delete(file.path);
  }

  /**
   * The summary line of what was saved and not saved under the output folder since the last call (`""`
   * when nothing was), and starts a new tally.
   */
  takeSummary(): string {
    const tally = this.tally;
    this.tally = { saved: new Set(), refused: new Set() };
    return this.options.outputDir === undefined ? "" : saveSummary(this.options.outputDir, tally);
  }

  /** The files written or edited so far in the session, in order. */
  list(): FileSummary[] {
    return this.tracker.files().map((file) => ({
      name: file.output.ok ? file.output.relative : file.path,
      size: file.size,
      versions: file.versions.length,
    }));
  }

  /** The latest content of a file (by its workspace path or its relative name), highlighted; `undefined` when unknown. */
  view(name: string): string | undefined {
    const file =
      this.tracker.files().find((f) => f.output.ok && f.output.relative === name) ?? this.tracker.file(name);
    if (file === undefined) return undefined;
    const title = `${sanitizeTerminal(file.output.ok ? file.output.relative : file.path)}${
      file.size === undefined ? "" : ` (${formatBytes(file.size)})`
    }\n`;
    if (file.content === undefined) return `${title}  (the content is not known)\n`;
    return `${title}${renderFileContent(file.path, file.content, this.viewOptions())}`;
  }
}

/** The summary line of what a call saved under `dir`, or `""` when it wrote and refused nothing. */
export function saveSummary(dir: string, tally: SaveTally): string {
  const saved = tally.saved.size;
  const refused = tally.refused.size;
  if (saved === 0 && refused === 0) return "";
  const files = (n: number) => `${n} file${n === 1 ? "" : "s"}`;
  return `Saved ${files(saved)} under ${sanitizeTerminal(dir)}${refused > 0 ? `; ${files(refused)} not saved` : ""}.`;
}
