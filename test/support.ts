/** Helpers shared by the end-to-end tests of every part. */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { vi } from "vitest";
import type { Logger } from "../src/core/logger.js";
import type { ChatRecord, Emulator } from "../src/emulator/types.js";

/**
 * Waits until `check()` holds, polling every 10 ms (servers notice aborts and closes asynchronously);
 * fails the test after `timeoutMs`.
 */
export async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  await vi.waitFor(
    () => {
      if (!check()) throw new Error(`condition not met within ${timeoutMs} ms: ${check.toString()}`);
    },
    { timeout: timeoutMs, interval: 10 },
  );
}

/**
 * The text a faithful client delivers for these `/chat` records: the text of every real event the
 * emulator sent, in order (what `.text()`, the CLI and the gateway must reproduce).
 */
export function sentText(records: readonly ChatRecord[]): string {
  return records.flatMap((record) => record.texts).join("");
}

/**
 * What the Python reference client yields for these `/chat` records: the text of every line the emulator
 * wrote (`args.content` if non-empty, else `message`), injected ones included.
 */
export function referenceText(records: readonly ChatRecord[]): string {
  return records.flatMap((record) => record.lines.map((line) => line.text)).join("");
}

/** The `/chat` records of one session, in order; throws when the emulator saw none. */
export function sessionChats(emulator: Emulator, sid: string | null | undefined): ChatRecord[] {
  if (sid === null || sid === undefined) throw new Error("no session id");
  const records = emulator.chats.filter((record) => record.sid === sid);
  if (records.length === 0) throw new Error(`the emulator saw no chat for ${sid}`);
  return records;
}

/** A log record captured by {@link recordingLogger}. */
export interface LogRecord {
  level: string;
  message: string;
  fields: Record<string, unknown> | undefined;
}

/** A logger that keeps every record; `text()` is all of them as JSON, for "never contains" checks. */
export function recordingLogger(): Logger & { records: LogRecord[]; text(): string } {
  const records: LogRecord[] = [];
  const push = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    records.push({ level, message, fields });
  };
  return {
    records,
    text: () => JSON.stringify(records),
    error: push("error"),
    warn: push("warn"),
    info: push("info"),
    debug: push("debug"),
  };
}

/** What a child process did. */
export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options of {@link runProcess}. */
export interface RunProcessOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Past this the child is killed (SIGKILL) and the promise rejects with its output so far. Default 60 s. */
  timeoutMs?: number;
}

/** Runs `command` to completion without standard input, collecting its output as text. */
export function runProcess(
  command: string,
  args: readonly string[],
  { cwd, env, timeoutMs = 60_000 }: RunProcessOptions = {},
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (data: string) => {
      stdout += data;
    });
    child.stderr.setEncoding("utf8").on("data", (data: string) => {
      stderr += data;
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${command} ${args.join(" ")} ran longer than ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** What {@link runRecordingModules} reports. */
export interface RecordedRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** The URL of every module the child resolved, one per line. */
  loaded: string;
}

/**
 * Runs Node in a child process that records every module it resolves (a `module.register` resolve hook):
 * `script` is ESM source to run, or the arguments of `node` (a file and its arguments), run in `cwd`.
 * Asynchronous, so a server in this process (the emulator) can answer the child.
 */
export async function runRecordingModules(
  script: string | readonly string[],
  env: NodeJS.ProcessEnv,
  cwd?: string,
): Promise<RecordedRun> {
  const dir = await mkdtemp(join(tmpdir(), "robocoders-modules-"));
  try {
    const log = join(dir, "loaded.txt");
    await writeFile(log, "");
    await writeFile(
      join(dir, "hooks.mjs"),
      `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, result.url + "\\n");
  return result;
}\n`,
    );
    await writeFile(
      join(dir, "register.mjs"),
      `import { register } from "node:module";\nregister("./hooks.mjs", import.meta.url);\n`,
    );
    let args: readonly string[];
    if (typeof script === "string") {
      await writeFile(join(dir, "main.mjs"), script);
      args = [join(dir, "main.mjs")];
    } else {
      args = script;
    }
    const { code, stdout, stderr } = await runProcess(
      process.execPath,
      ["--import", join(dir, "register.mjs"), ...args],
      { env, cwd },
    );
    return { status: code, stdout, stderr, loaded: await readFile(log, "utf8") };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
