/**
 * Helpers of the CLI end-to-end tests: the built CLI run as a child process (plain pipes, or a
 * pseudo-terminal through util-linux `script`), against an emulator started in the test process.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** The built CLI. */
export const CLI = join(ROOT, "dist", "cli", "main.js");

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) {
      newest = Math.max(newest, statSync(path).mtimeMs);
    }
  }
  return newest;
}

function sleepSync(ms: number) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Builds `dist/` with `npm run build` unless it is newer than every source file (`npm test` builds first,
 * so this only builds in a bare `vitest run`). A lock folder keeps parallel test files from building twice.
 */
export function ensureBuilt(): void {
  const fresh = () => {
    try {
      return statSync(CLI).mtimeMs >= newestSource(join(ROOT, "src"));
    } catch {
      return false;
    }
  };
  if (fresh()) return;
  const lock = join(tmpdir(), "robocoders-cli-test-build.lock");
  for (let waited = 0; ; waited += 200) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (waited > 120_000) rmSync(lock, { recursive: true, force: true });
      sleepSync(200);
      if (fresh()) return;
    }
  }
  try {
    if (!fresh()) execFileSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: "pipe" });
  } finally {
    rmdirSync(lock);
  }
}

/** Whether util-linux `script` is installed (needed for the terminal tests). */
export const HAS_SCRIPT = spawnSync("script", ["--version"], { encoding: "utf8" }).status === 0;

/** A temporary folder, removed by the returned function. */
export function tempDir(prefix = "robocoders-cli-"): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** The environment of a CLI run: nothing inherited that could change its behaviour. */
export function cliEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/tmp",
  };
  // The tests' own (empty) settings folder (see vitest.config.ts), never the user's.
  if (process.env.ROBOCODERS_CONFIG_DIR !== undefined)
    env.ROBOCODERS_CONFIG_DIR = process.env.ROBOCODERS_CONFIG_DIR;
  if (process.env.SYSTEMROOT !== undefined) env.SYSTEMROOT = process.env.SYSTEMROOT;
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) env[key] = value;
  return env;
}

/** The outcome of a CLI run. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A running CLI process. */
export interface CliProcess {
  child: ReturnType<typeof spawn>;
  /** Resolves when stdout contains `text` (or rejects when the process ends first). */
  waitForStdout(text: string | RegExp): Promise<string>;
  /** Resolves when the process ends. */
  done: Promise<CliResult>;
}

/** Starts the CLI with `args`, `input` written to stdin (then closed), in a clean environment. */
export function startCli(
  args: string[],
  options: {
    env?: Record<string, string | undefined>;
    input?: string | Buffer;
    keepStdinOpen?: boolean;
  } = {},
): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], { env: cliEnv(options.env ?? {}), stdio: "pipe" });
  let stdout = "";
  let stderr = "";
  const watchers = new Set<() => void>();
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    for (const watcher of watchers) watcher();
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  if (options.input !== undefined) child.stdin.end(options.input);
  else if (options.keepStdinOpen !== true) child.stdin.end();
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      for (const watcher of watchers) watcher();
      resolve({ code, signal, stdout, stderr });
    });
  });
  let ended = false;
  void done.then(() => {
    ended = true;
  });
  const waitForStdout = (text: string | RegExp) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const found = typeof text === "string" ? stdout.includes(text) : text.test(stdout);
        if (found) {
          watchers.delete(check);
          resolve(stdout);
        } else if (ended || child.exitCode !== null) {
          watchers.delete(check);
          reject(
            new Error(
              `process ended before stdout showed ${String(text)}; stdout: ${stdout}; stderr: ${stderr}`,
            ),
          );
        }
      };
      watchers.add(check);
      check();
    });
  return { child, waitForStdout, done };
}

/** Runs the CLI to completion. */
export function runCli(
  args: string[],
  options: { env?: Record<string, string | undefined>; input?: string | Buffer } = {},
): Promise<CliResult> {
  return startCli(args, options).done;
}

function shellQuote(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** One step of a terminal session: wait until the screen shows `waitFor` (after the previous step), then type `send`. */
export interface TtyStep {
  waitFor: string | RegExp;
  send: string;
}

/**
 * Runs the CLI on a pseudo-terminal (`script -qfec`), so stdin, stdout and stderr are all a terminal.
 * `steps` are typed like a person would: each waits for its text to appear first. Returns everything the
 * terminal showed (stdout and stderr mixed) and the CLI's exit code (`script -e`).
 */
export function runCliInTty(
  args: string[],
  options: { env?: Record<string, string | undefined>; steps?: TtyStep[]; columns?: number } = {},
): Promise<{ code: number | null; output: string }> {
  const command = [
    `stty cols ${options.columns ?? 100} rows 40 2>/dev/null;`,
    "exec",
    shellQuote(process.execPath),
    shellQuote(CLI),
    ...args.map(shellQuote),
  ].join(" ");
  const child = spawn("script", ["-qfec", command, "/dev/null"], {
    env: cliEnv({ TERM: "xterm-256color", ...options.env }),
    stdio: "pipe",
  });
  let output = "";
  const steps = [...(options.steps ?? [])];
  let from = 0;
  const advance = () => {
    const step = steps[0];
    if (step === undefined) return;
    const screen = stripAnsi(output.slice(from));
    const found =
      typeof step.waitFor === "string" ? screen.includes(step.waitFor) : step.waitFor.test(screen);
    if (!found) return;
    steps.shift();
    from = output.length;
    child.stdin.write(step.send);
    advance();
  };
  const onData = (chunk: string) => {
    output += chunk;
    advance();
  };
  child.stdout.setEncoding("utf8").on("data", onData);
  child.stderr.setEncoding("utf8").on("data", onData);
  // `script` ends the session when its stdin ends: keep it open until the command exits.
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      child.stdin.destroy();
      resolve({ code, output });
    });
  });
}

/**
 * What a terminal would show, roughly: ANSI sequences removed, and on each line only what follows the
 * last carriage return (a spinner redraws its line with `\r`).
 */
export function stripAnsi(text: string): string {
  return text
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "")
    .replace(/\r+\n/g, "\n")
    .split("\n")
    .map((line) => line.slice(line.lastIndexOf("\r") + 1))
    .join("\n");
}

export { until } from "../support.js";

/**
 * The fixture of a CLI test file: one emulator on 127.0.0.1 for the file (the dist/ build made first),
 * a fresh cache folder for each `fresh()` call, faults cleared and folders removed after each test.
 */
export function cliFixture(): {
  readonly emulator: Emulator;
  fresh(): { cacheDir: string; env: Record<string, string> };
} {
  let emulator: Emulator | undefined;
  const dirs: Array<{ remove: () => void }> = [];
  beforeAll(async () => {
    ensureBuilt();
    emulator = await startEmulator({ host: "127.0.0.1", port: 0 });
  }, 180_000);
  afterAll(async () => {
    await emulator?.close();
  });
  afterEach(() => {
    emulator?.clearFaults();
    for (const dir of dirs.splice(0)) dir.remove();
  });
  return {
    get emulator(): Emulator {
      if (emulator === undefined) throw new Error("the emulator starts in beforeAll");
      return emulator;
    },
    fresh() {
      const dir = tempDir();
      dirs.push(dir);
      return {
        cacheDir: dir.path,
        env: { ROBOCODERS_BASE_URL: this.emulator.url, ROBOCODERS_CACHE_DIR: dir.path },
      };
    },
  };
}
