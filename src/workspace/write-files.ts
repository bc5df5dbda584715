/**
 * Writing the agent's files under a folder of the user's (Node only), refusing every way out of it.
 *
 * {@link writeUnder} creates the missing folders one at a time and refuses a path whose folder or file
 * already exists as a symbolic link (even one pointing inside), or as something that is not a folder or
 * a regular file. The file is written to a temporary name beside it and renamed over the old one, so a
 * hard link to a file elsewhere is replaced, never written through. The chosen folder itself may be or
 * sit under a symbolic link: that is the user's choice.
 */
import { randomBytes } from "node:crypto";
import { constants, promises as fs } from "node:fs";
import * as nodePath from "node:path";
import { ensureDir } from "../internal/fs.js";
import { errorCode } from "../internal/values.js";
import { type OutputPathResult, toOutputPath, type WorkspacePathOptions } from "./paths.js";

/** A file written. */
export interface WriteAccepted {
  ok: true;
  /** The relative output path: `app/main.py`. */
  relative: string;
  /** Where it was written on disk (absolute, under the real path of the folder). */
  path: string;
  /** Bytes written (UTF-8). */
  bytes: number;
}

/** A file refused: nothing was written. */
export interface WriteRefused {
  ok: false;
  /** The relative output path when the path rule accepted it. */
  relative?: string;
  /** Why, in a sentence fit for a warning. */
  reason: string;
}

/** The outcome of {@link writeUnder} and {@link saveWorkspaceFile}. */
export type WriteResult = WriteAccepted | WriteRefused;

function badSegment(segment: string): boolean {
  return (
    segment === "" ||
    segment === "." ||
    segment === ".." ||
    /[/\\\0]/.test(segment) ||
    /^[A-Za-z]:$/.test(segment)
  );
}

async function lstatOrUndefined(path: string) {
  try {
    return await fs.lstat(path);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * Writes `content` (UTF-8) to `dir/relative`, where `relative` is a `/`-separated relative path such as
 * {@link toOutputPath} returns. Creates `dir` and the folders below it as needed. Resolves to a
 * {@link WriteRefused} (nothing written) for a path with an empty, `.` or `..` segment, a symbolic link
 * on the way or at the file, or a folder or file of the wrong type; rejects only on I/O errors
 * (permissions, full disk).
 */
export async function writeUnder(dir: string, relative: string, content: string): Promise<WriteResult> {
  const segments = relative.split("/");
  if (relative === "" || segments.some(badSegment)) {
    return { ok: false, reason: `"${relative}" is not a plain relative path` };
  }
  const refuse = (reason: string): WriteRefused => ({ ok: false, relative, reason });
  await ensureDir(dir, 0o777);
  let current = await fs.realpath(dir);
  const shown: string[] = [];
  for (const segment of segments.slice(0, -1)) {
    current = nodePath.join(current, segment);
    shown.push(segment);
    let stat = await lstatOrUndefined(current);
    if (stat === undefined) {
      try {
        await fs.mkdir(current);
      } catch (error) {
        if (errorCode(error) !== "EEXIST") throw error;
      }
      stat = await fs.lstat(current);
    }
    if (stat.isSymbolicLink()) return refuse(`${shown.join("/")} is a symbolic link`);
    if (!stat.isDirectory()) return refuse(`${shown.join("/")} exists and is not a folder`);
  }
  const name = segments[segments.length - 1] ?? "";
  const target = nodePath.join(current, name);
  const existing = await lstatOrUndefined(target);
  if (existing?.isSymbolicLink() === true) return refuse(`${relative} is a symbolic link`);
  if (existing !== undefined && !existing.isFile()) return refuse(`${relative} exists and is not a file`);

  const temporary = nodePath.join(current, `.${name}.${randomBytes(6).toString("hex")}.tmp`);
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);
  const data = Buffer.from(content, "utf8");
  const handle = await fs.open(temporary, flags, existing === undefined ? 0o666 : existing.mode & 0o777);
  try {
    await handle.writeFile(data);
  } catch (error) {
    await handle.close();
    await fs.rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await fs.rename(temporary, target);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error;
  }
  return { ok: true, relative, path: target, bytes: data.length };
}

/**
 * Maps a workspace path by the output path rule ({@link toOutputPath}) and writes `content` there under
 * `dir` ({@link writeUnder}). Resolves to a {@link WriteRefused} with the reason when either refuses.
 */
export async function saveWorkspaceFile(
  dir: string,
  workspacePath: string,
  content: string,
  options: WorkspacePathOptions = {},
): Promise<WriteResult> {
  const mapped: OutputPathResult = toOutputPath(workspacePath, options);
  if (!mapped.ok) return { ok: false, reason: mapped.reason };
  return writeUnder(dir, mapped.relative, content);
}
