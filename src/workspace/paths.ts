/**
 * Where a file of the agent's workspace goes on this machine.
 *
 * The agent works in a Linux sandbox whose files live under a workspace root (`/workspace` by default).
 * {@link toOutputPath} maps a path the agent used to a path relative to a folder the user chose, by one
 * rule (the "output path rule"):
 *
 * 1. An absolute path must lie under the workspace root; the root is removed:
 *    `/workspace/app/main.py` → `app/main.py`.
 * 2. A relative path is taken as relative to the workspace root (the agent's working directory):
 *    `app/main.py` → `app/main.py`.
 * 3. Repeated slashes and `.` segments are dropped: `/workspace//app/./main.py` → `app/main.py`.
 * 4. Refused, never rewritten: an empty path or the root itself, a `..` segment anywhere, an absolute
 *    path outside the root, a backslash, a drive letter (`C:`), a NUL or other control character, and
 *    a segment that Windows cannot hold (`CON`, a trailing dot or space, `<>:"|?*`).
 *
 * Pure and browser-safe: no `node:` import. Writing is in `./write-files.ts`.
 */
import { InvalidArgumentError } from "../core/errors.js";

/** The agent's workspace root in the Robocoders sandbox. */
export const DEFAULT_WORKSPACE_ROOT = "/workspace";

/** A path the rule accepted. */
export interface OutputPathAccepted {
  ok: true;
  /** The relative output path, `/`-separated, never empty, no `.` or `..` segment: `app/main.py`. */
  relative: string;
  /** The same path as segments: `["app", "main.py"]`. */
  segments: string[];
}

/** A path the rule refused. */
export interface OutputPathRefused {
  ok: false;
  /** Why, in a sentence fit for a warning: `the path leaves the workspace through ".."`. */
  reason: string;
}

/** The outcome of {@link toOutputPath}. */
export type OutputPathResult = OutputPathAccepted | OutputPathRefused;

/** Options of {@link toOutputPath} and {@link normalizeWorkspacePath}. */
export interface WorkspacePathOptions {
  /** The agent's workspace root, an absolute POSIX path. Default: {@link DEFAULT_WORKSPACE_ROOT}. */
  root?: string;
}

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;
const CONTROL = /[\u0000-\u001f\u007f]/;
const WINDOWS_FORBIDDEN = /[<>:"|?*]/;

/** The segments of a POSIX path without empty and `.` segments (`..` is kept). */
function segmentsOf(path: string): string[] {
  return path.split("/").filter((s) => s !== "" && s !== ".");
}

/** The root as segments; throws on a root that is not absolute or holds `..`. */
function rootSegments(root: string): string[] {
  if (!root.startsWith("/")) throw new InvalidArgumentError(`The workspace root must be absolute: ${root}`);
  const segments = segmentsOf(root);
  if (segments.includes(".."))
    throw new InvalidArgumentError(`The workspace root must not contain "..": ${root}`);
  return segments;
}

/**
 * The workspace path written the canonical way, used as the key of a file: relative paths are put under
 * the root, repeated slashes and `.` segments dropped (`app//./x.py` → `/workspace/app/x.py`). `..` is
 * kept as it is (it is never resolved), so two spellings through `..` stay two files.
 */
export function normalizeWorkspacePath(path: string, options: WorkspacePathOptions = {}): string {
  const root = rootSegments(options.root ?? DEFAULT_WORKSPACE_ROOT);
  const segments = segmentsOf(path);
  const all = path.startsWith("/") ? segments : [...root, ...segments];
  return `/${all.join("/")}`;
}

/**
 * Maps a workspace path to a relative output path by the output path rule (see the module comment), or
 * says why it is refused. Never throws for any `path`; throws an `InvalidArgumentError` when
 * `options.root` is not an absolute path.
 */
export function toOutputPath(path: string, options: WorkspacePathOptions = {}): OutputPathResult {
  const root = rootSegments(options.root ?? DEFAULT_WORKSPACE_ROOT);
  const refuse = (reason: string): OutputPathRefused => ({ ok: false, reason });
  if (path === "") return refuse("the path is empty");
  if (CONTROL.test(path)) return refuse("the path contains a control character");
  if (path.includes("\\")) return refuse("the path contains a backslash");
  let segments = segmentsOf(path);
  if (segments.includes("..")) return refuse('the path leaves the workspace through ".."');
  if (path.startsWith("/")) {
    const inside = root.every((segment, i) => segments[i] === segment);
    if (!inside || segments.length < root.length) {
      return refuse(`the path is outside the workspace root ${rootLabel(root)}`);
    }
    segments = segments.slice(root.length);
  }
  if (segments.length === 0) return refuse("the path names the workspace root, not a file");
  const first = segments[0] ?? "";
  if (/^[A-Za-z]:/.test(first)) return refuse("the path starts with a drive letter");
  for (const segment of segments) {
    if (WINDOWS_FORBIDDEN.test(segment)) return refuse(`the name "${segment}" holds a reserved character`);
    if (WINDOWS_RESERVED.test(segment)) return refuse(`the name "${segment}" is reserved on Windows`);
    if (/[. ]$/.test(segment)) return refuse(`the name "${segment}" ends with a dot or a space`);
  }
  return { ok: true, relative: segments.join("/"), segments };
}

function rootLabel(root: string[]): string {
  return `/${root.join("/")}`;
}
