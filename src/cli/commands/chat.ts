/**
 * `robocoders chat [prompt...]`: one prompt from the arguments or piped stdin, or an interactive
 * conversation when stdin is a terminal. Each one-shot chat starts a new session (`-c` continues the last
 * one, `--session` picks one); a conversation keeps one session for its lifetime. Output: the provider's
 * texts separated by blank lines (stdout not a terminal), exactly the provider's text (`--raw`), rendered
 * events (a terminal), or one JSON object per event (`--json`). Piped output is written once per network
 * chunk, not once per event.
 */
import * as readline from "node:readline";
import { resolveAgent } from "../../client/agents.js";
import type { ChatOptions, RobocodersClient } from "../../client/types.js";
import { needsUserInput } from "../../core/events.js";
import { redact } from "../../core/logger.js";
import type { CliIO, GlobalOptions } from "../context.js";
import { createClient, paletteFor, readAll, writeChunk } from "../context.js";
import { errorLine, InterruptedError, UsageError } from "../exit-codes.js";
import { withInterrupt } from "../interrupt.js";
import type { Palette } from "../render.js";
import { eventJson, renderEvent } from "../render.js";
import type { Spinner } from "../spinner.js";
import { createSpinner } from "../spinner.js";

/** Options of `robocoders chat`. */
export interface ChatCommandOptions {
  /** `-a, --agent <name>`: agent or alias. Default: `GeneralCodingAgent`. */
  agent?: string;
  /** `--session <sid>`: talk in this session. Default: a new session. */
  session?: string;
  /** `-c, --continue`: talk in the last session (the cached current one). Default: a new session. */
  continue?: boolean;
  /** `--new-session` (hidden; a new session is the default). */
  newSession?: boolean;
  /** `--json`: one JSON object per event. Default: false. */
  json?: boolean;
  /** `--raw`: exactly the provider's text, nothing added. Default: false. */
  raw?: boolean;
  /** `--max-continues <n>`: automatic `continue` prompts. Default: 1. */
  maxContinues?: number;
  /** `--no-auto-continue` sets this to false (no automatic `continue`). Default: true. */
  autoContinue?: boolean;
  /** `--record <file>`: append each `/chat` exchange to this transcript file. Default: none. */
  record?: string;
}

/** Checks that the `--record` file can be appended to (creating it owner-only) and returns its full path. */
async function recordFile(file: string): Promise<string> {
  const { appendFile } = await import("node:fs/promises");
  const { resolve } = await import("node:path");
  const path = resolve(file);
  try {
    await appendFile(path, "", { mode: 0o600 });
  } catch (error) {
    const reason =
      error instanceof Error ? (((error as NodeJS.ErrnoException).code ?? error.message) as string) : "";
    throw new UsageError(
      `Cannot write the transcript file ${path} (${reason})`,
      "Pass a writable path to --record.",
    );
  }
  return path;
}

/**
 * How chat output is written: `text` (each text of the reference rule, separated by a blank line, ending in a
 * newline), `raw` (exactly the reference text), `tty` (rendered events) or `json` (one object per event).
 */
export type OutputMode = "text" | "raw" | "tty" | "json";

/** The output mode: `--json`, then `--raw`; otherwise `tty` when stdout is a terminal, else `text`. */
export function outputMode(
  flags: { json?: boolean | undefined; raw?: boolean | undefined },
  stdoutIsTTY: boolean | undefined,
): OutputMode {
  if (flags.json === true) return "json";
  if (flags.raw === true) return "raw";
  return stdoutIsTTY === true ? "tty" : "text";
}

/** How many bytes of output wait, at most, before they are written without waiting for the tick's end. */
const COALESCE_BYTES = 64 * 1024;

/**
 * Output gathered and written once per tick (all the events decoded from one network chunk arrive in the
 * same tick), or sooner past {@link COALESCE_BYTES}. `write` returns a promise while the stream is full,
 * so a slow reader slows the download instead of filling memory.
 */
export class CoalescedOutput {
  private parts: string[] = [];
  private size = 0;
  private scheduled = false;
  private draining: Promise<void> | undefined;
  /** The last two characters written, to separate texts. */
  tail = "";

  constructor(private readonly stream: NodeJS.WritableStream) {}

  write(text: string): Promise<void> | undefined {
    if (text === "") return this.draining;
    this.parts.push(text);
    this.size += text.length;
    this.tail = (this.tail + text).slice(-2);
    if (this.size >= COALESCE_BYTES) return this.flush();
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    }
    return this.draining;
  }

  /** Writes what is gathered; the promise (if any) resolves when the stream takes more. */
  flush(): Promise<void> | undefined {
    if (this.parts.length > 0) {
      const chunk = this.parts.length === 1 ? (this.parts[0] ?? "") : this.parts.join("");
      this.parts = [];
      this.size = 0;
      if (!this.stream.write(chunk) && this.draining === undefined) {
        this.draining = new Promise((resolve) =>
          this.stream.once("drain", () => {
            this.draining = undefined;
            resolve();
          }),
        );
      }
    }
    return this.draining;
  }
}

/** What goes before a text so that it starts after a blank line (nothing at the very start). */
export function separatorAfter(tail: string): string {
  if (tail === "" || tail.endsWith("\n\n")) return "";
  return tail.endsWith("\n") ? "\n" : "\n\n";
}

/** Everything one turn needs to print. */
export interface TurnPrinter {
  mode: OutputMode;
  io: CliIO;
  palette: Palette;
  spinner: Spinner;
}

/** Creates the printer for a mode on the given streams. */
export function createPrinter(mode: OutputMode, io: CliIO, globals: GlobalOptions): TurnPrinter {
  const errPalette = paletteFor(io.stderr, io.env, globals.color);
  return {
    mode,
    io,
    palette: paletteFor(io.stdout, io.env, globals.color),
    spinner: createSpinner(io.stderr, { colour: errPalette.cyan }),
  };
}

/**
 * Streams one chat call to the printer and returns the session id used. `raw` mode writes exactly the
 * chunks of `ChatStream.text()`; `text` the same chunks separated by blank lines and ending in a newline;
 * `json` one line per typed event; `tty` the rendering of {@link renderEvent}.
 */
export async function streamTurn(
  client: RobocodersClient,
  prompt: string,
  options: ChatOptions,
  printer: TurnPrinter,
): Promise<string | undefined> {
  const { io, spinner } = printer;
  const stream = client.chat(prompt, options);
  spinner.start(`${stream.agent} is thinking…`);
  const out = new CoalescedOutput(io.stdout);
  try {
    if (printer.mode === "raw" || printer.mode === "text") {
      const separate = printer.mode === "text";
      for await (const chunk of stream.text()) {
        spinner.stop();
        if (separate) {
          const separator = separatorAfter(out.tail);
          if (separator !== "") await out.write(separator);
        }
        await out.write(chunk);
      }
      if (separate && out.tail !== "" && !out.tail.endsWith("\n")) await out.write("\n");
      return stream.sid;
    }
    const columns = io.stdout.columns ?? 0;
    const width = columns > 0 ? columns : 100;
    let waiting = false;
    for await (const event of stream) {
      spinner.stop();
      if (printer.mode === "json") {
        await out.write(`${eventJson(event)}\n`);
        continue;
      }
      // The stream went on after the agent asked something: the client answered `continue` for us.
      if (waiting) await writeChunk(io.stdout, `${printer.palette.dim("↻ continue (sent automatically)")}\n`);
      waiting = needsUserInput(event);
      const text = renderEvent(event, { palette: printer.palette, width });
      if (text !== "") await writeChunk(io.stdout, text);
      const final = event.kind === "action" && (event.action === "finish" || event.action === "reject");
      if (!final) spinner.start("working…");
    }
    return stream.sid;
  } finally {
    spinner.stop();
    await out.flush();
  }
}

/**
 * The chat options for the command-line options: `--session` names the session, `-c` takes the cached
 * current one, and otherwise the call starts a new session (which becomes the current one, for `-c`).
 */
export function chatOptionsFrom(opts: ChatCommandOptions): ChatOptions {
  const options: ChatOptions = {};
  if (opts.agent !== undefined) options.agent = opts.agent;
  if (opts.session !== undefined) options.sid = opts.session;
  else if (opts.continue !== true) options.newSession = true;
  if (opts.autoContinue === false) options.maxContinues = 0;
  else if (opts.maxContinues !== undefined) options.maxContinues = opts.maxContinues;
  return options;
}

/** Runs `robocoders chat`. Throws on failure; the caller maps errors to exit codes. */
export async function runChat(
  words: string[],
  opts: ChatCommandOptions,
  globals: GlobalOptions,
  io: CliIO,
): Promise<void> {
  if (opts.session !== undefined && opts.continue === true) {
    throw new UsageError("-c/--continue and --session cannot be used together");
  }
  if (opts.newSession === true && (opts.session !== undefined || opts.continue === true)) {
    throw new UsageError("--new-session cannot be used with -c/--continue or --session");
  }
  if (opts.json === true && opts.raw === true) {
    throw new UsageError("--json and --raw cannot be used together");
  }
  // Unknown agents fail before anything is read or sent.
  const agent = resolveAgent(opts.agent);
  const chatOptions = { ...chatOptionsFrom(opts), agent };
  const printer = createPrinter(outputMode(opts, io.stdout.isTTY), io, globals);

  let prompt: string | undefined;
  if (words.length > 0) prompt = words.join(" ");
  else if (io.stdin.isTTY !== true) prompt = (await readAll(io.stdin)).replace(/\s+$/, "");
  if (prompt !== undefined && prompt.trim() === "") {
    throw new UsageError("The prompt is empty: give it as arguments or on stdin");
  }

  const overrides = opts.record === undefined ? {} : { record: await recordFile(opts.record) };
  const client = await createClient(globals, io, overrides, { beforeLog: () => printer.spinner.stop() });
  try {
    if (prompt !== undefined) {
      const text = prompt;
      await withInterrupt(async (signal) => {
        await streamTurn(client, text, { ...chatOptions, signal }, printer);
      });
      return;
    }
    await repl(client, chatOptions, printer, globals);
  } finally {
    await client.close();
  }
}

type Answer = { kind: "line"; text: string } | { kind: "eof" } | { kind: "interrupt" };

/**
 * Lines from a terminal, read by one readline interface for the whole conversation (so lines typed or
 * pasted ahead are kept). In raw mode Ctrl-C arrives as a key: it interrupts the running turn, or ends the
 * conversation at the prompt.
 */
class LineReader {
  private readonly rl: readline.Interface;
  private readonly queue: Answer[] = [];
  private waiter: ((answer: Answer) => void) | undefined;
  private interruptTurn: (() => void) | undefined;
  private closed = false;

  constructor(io: CliIO) {
    const output = io.stdout.isTTY === true ? io.stdout : io.stderr;
    this.rl = readline.createInterface({ input: io.stdin, output, terminal: true, historySize: 200 });
    this.rl.on("line", (text) => this.push({ kind: "line", text }));
    this.rl.on("close", () => {
      this.closed = true;
      this.push({ kind: "eof" });
    });
    this.rl.on("SIGINT", () => {
      if (this.interruptTurn !== undefined) this.interruptTurn();
      else if (this.rl.line !== "") {
        // As in a shell: Ctrl-C over a half-typed line clears it.
        this.rl.write(null, { ctrl: true, name: "e" });
        this.rl.write(null, { ctrl: true, name: "u" });
      } else this.push({ kind: "interrupt" });
    });
  }

  private push(answer: Answer) {
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter !== undefined) waiter(answer);
    else this.queue.push(answer);
  }

  /** The next line (showing the prompt when none is waiting), end of input, or an interrupt. */
  next(prompt: string): Promise<Answer> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.closed) return Promise.resolve({ kind: "eof" });
    this.rl.setPrompt(prompt);
    this.rl.prompt();
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /** Routes Ctrl-C to a running turn (see {@link withInterrupt}). */
  readonly interrupts = (interrupt: () => void): (() => void) => {
    this.interruptTurn = interrupt;
    return () => {
      this.interruptTurn = undefined;
    };
  };

  close() {
    this.rl.close();
  }
}

/** The interactive conversation: every turn goes to the same session; `/new`, `/exit`, Ctrl-D. */
async function repl(
  client: RobocodersClient,
  chatOptions: ChatOptions,
  printer: TurnPrinter,
  globals: GlobalOptions,
): Promise<void> {
  const { io } = printer;
  const c = paletteFor(io.stderr, io.env, globals.color);
  let sid = chatOptions.sid;
  let fresh = chatOptions.newSession === true;
  io.stderr.write(
    c.dim(
      `Chatting with ${chatOptions.agent ?? "GeneralCodingAgent"}. ` +
        "/new starts a fresh session, /exit or Ctrl-D leaves, Ctrl-C stops an answer.\n",
    ),
  );
  const reader = new LineReader(io);
  try {
    for (;;) {
      const answer = await reader.next(c.bold(c.cyan("› ")));
      if (answer.kind === "eof") {
        io.stderr.write("\n");
        return;
      }
      if (answer.kind === "interrupt") {
        io.stderr.write("\n");
        throw new InterruptedError();
      }
      const text = answer.text.trim();
      if (text === "") continue;
      if (text === "/exit" || text === "/quit") return;
      if (text === "/new") {
        sid = undefined;
        fresh = true;
        io.stderr.write(c.dim("The next message starts a fresh session.\n"));
        continue;
      }
      if (text === "/help") {
        io.stderr.write(
          c.dim(
            "/new: fresh session · /exit or Ctrl-D: leave · Ctrl-C: stop the current answer or clear the line\n",
          ),
        );
        continue;
      }
      if (/^\/[A-Za-z][\w-]*$/.test(text)) {
        // A mistyped command is not a message for the agent.
        io.stderr.write(`${c.yellow(`Unknown command ${text}.`)} ${c.dim("/help lists the commands.")}\n`);
        continue;
      }
      const turnOptions: ChatOptions = { ...chatOptions, newSession: fresh };
      if (sid !== undefined && !fresh) turnOptions.sid = sid;
      else delete turnOptions.sid;
      try {
        const used = await withInterrupt(
          (signal) => streamTurn(client, text, { ...turnOptions, signal }, printer),
          reader.interrupts,
        );
        if (used !== undefined) sid = used;
        fresh = false;
      } catch (error) {
        // A failed or interrupted turn ends that turn only; the conversation goes on.
        io.stderr.write(`${c.red(errorLine(error))}\n`);
        if (globals.verbose === true && error instanceof Error && error.stack !== undefined) {
          io.stderr.write(`${redact(error.stack)}\n`);
        }
      }
    }
  } finally {
    reader.close();
  }
}
