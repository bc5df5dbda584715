/**
 * `robocoders chat [prompt...]`: one prompt from the arguments or piped stdin, or an interactive
 * conversation when stdin is a terminal. Each one-shot chat starts a new session (`-c` continues the last
 * one, `--session` picks one); a conversation keeps one session for its lifetime. Output: the provider's
 * texts separated by blank lines (stdout not a terminal), exactly the provider's text (`--raw`), rendered
 * events with agent messages as Markdown (a terminal), or one JSON object per event (`--json`). Piped output
 * is written once per network chunk, not once per event. `--show-files` prints the agent's files and diffs,
 * `--output <dir>` saves them (see `../chat-files.ts`). The agent, base URL, automatic continues and colours
 * follow the settings (flag > environment > settings file > default); every session used is recorded in
 * the session list, and `-c`/`--session` take its names.
 */
import * as readline from "node:readline";
import { resolveAgent } from "../../client/agents.js";
import type { ChatOptions, RobocodersClient } from "../../client/types.js";
import { needsUserInput, type RobocodersEvent, referenceText } from "../../core/events.js";
import { redact } from "../../core/logger.js";
import { errorCode } from "../../internal/values.js";
import type { ChatFiles } from "../chat-files.js";
import { resolveSetting, SETTINGS } from "../config.js";
import type { CliIO, GlobalOptions } from "../context.js";
import { createClient, paletteFor, readAll, settingsFile, writeChunk } from "../context.js";
import { errorLine, InterruptedError, UsageError } from "../exit-codes.js";
import { withInterrupt } from "../interrupt.js";
import type { Palette } from "../render.js";
import { eventJson, formatBytes, renderEvent, renderThought } from "../render.js";
import type { Spinner } from "../spinner.js";
import { createSpinner } from "../spinner.js";
import { sanitizeTerminal } from "../terminal-text.js";

/** Options of `robocoders chat`. */
export interface ChatCommandOptions {
  /** `-a, --agent <name>`: agent or alias. Default: the `agent` setting, else `GeneralCodingAgent`. */
  agent?: string;
  /** `--session <session>`: talk in this session (a name, an id or the start of one). Default: a new session. */
  session?: string;
  /**
   * `-c, --continue [session]`: talk in the last session (the cached current one), or in the named
   * session when the word after `-c` is a session's name or id (otherwise that word starts the prompt).
   * Default: a new session.
   */
  continue?: boolean | string;
  /** `--new-session` (hidden; a new session is the default). */
  newSession?: boolean;
  /** `--json`: one JSON object per event. Default: false. */
  json?: boolean;
  /** `--raw`: exactly the provider's text, nothing added. Default: false. */
  raw?: boolean;
  /** `--max-continues <n>`: automatic `continue` prompts. Default: the `auto-continue` setting, else 1. */
  maxContinues?: number;
  /** `--no-auto-continue` sets this to false (no automatic `continue`). Default: true. */
  autoContinue?: boolean;
  /** `--record <file>`: append each `/chat` exchange to this transcript file. Default: none. */
  record?: string;
  /** `--show-files`: print each file the agent writes, and diffs of files seen before. Default: false. */
  showFiles?: boolean;
  /** `--output <dir>`: save every file the agent writes or edits under this folder. Default: none. */
  output?: string;
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
  /** The last text written, or the last characters written when that text is shorter than two. */
  private last = "";

  constructor(private readonly stream: NodeJS.WritableStream) {}

  /**
   * The last two characters written, to separate texts. Computed when asked: slicing a text made by
   * concatenation (as `--json` lines are) would copy all of it once more.
   */
  get tail(): string {
    return this.last.slice(-2);
  }

  write(text: string): Promise<void> | undefined {
    if (text === "") return this.draining;
    this.parts.push(text);
    this.size += text.length;
    this.last = text.length >= 2 ? text : this.tail + text;
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
  /** Renders an agent message for the terminal (Markdown), in `tty` mode. Default: as it is. */
  markdown?: ((text: string, width: number) => string) | undefined;
  /** The files of the conversation, with `--show-files`, `--output` or in a conversation. */
  files?: ChatFiles | undefined;
  /** Called once a turn ends (done or not) with the session it used, when known, and its prompt. */
  onSession?: ((sid: string, prompt: string) => Promise<void>) | undefined;
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

/** The text of an agent message event (its content, else the server's message), or `undefined`. */
function messageText(event: RobocodersEvent): string | undefined {
  if (event.kind !== "action" || event.action !== "message") return undefined;
  return event.args.content !== "" ? event.args.content : event.message;
}

/**
 * Streams one chat call to the printer and returns the session id used. `raw` mode writes exactly the
 * chunks of `ChatStream.text()`; `text` the same chunks separated by blank lines and ending in a newline;
 * `json` one line per typed event; `tty` the rendering of {@link renderEvent}, agent messages as Markdown.
 * With {@link TurnPrinter.files}, every event also goes to the files (saved with `--output`), and with
 * `--show-files` a file view replaces the `write`/`edit` event's text (`text`) or line (`tty`).
 */
export async function streamTurn(
  client: RobocodersClient,
  prompt: string,
  options: ChatOptions,
  printer: TurnPrinter,
): Promise<string | undefined> {
  const { io, spinner, files } = printer;
  const stream = client.chat(prompt, options);
  spinner.start(`${stream.agent} is thinking…`);
  const out = new CoalescedOutput(io.stdout);
  try {
    if ((printer.mode === "raw" || printer.mode === "text") && files === undefined) {
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
    let first = true;
    for await (const event of stream) {
      spinner.stop();
      if (first && files !== undefined) await files.begin(stream.sid);
      first = false;
      const view = files === undefined ? undefined : await files.apply(event);
      if (printer.mode === "json") {
        await out.write(`${eventJson(event)}\n`);
        continue;
      }
      if (printer.mode === "raw" || printer.mode === "text") {
        // The reference text of each event, as `ChatStream.text()` gives it; a file view instead with --show-files.
        const text = view ?? referenceText(event.raw);
        if (text === undefined) continue;
        if (printer.mode === "text") {
          const separator = separatorAfter(out.tail);
          if (separator !== "") await out.write(separator);
        }
        await out.write(text);
        continue;
      }
      // The stream went on after the agent asked something: the client answered `continue` for us.
      if (waiting) await writeChunk(io.stdout, `${printer.palette.dim("↻ continue (sent automatically)")}\n`);
      waiting = needsUserInput(event);
      const message = printer.markdown === undefined ? undefined : messageText(event);
      let text: string;
      if (message !== undefined && printer.markdown !== undefined) text = printer.markdown(message, width);
      else if (view !== undefined && event.kind === "action") {
        const thought = "thought" in event.args ? event.args.thought : undefined;
        text = `${renderThought(thought, { palette: printer.palette, width })}${view}`;
      } else text = renderEvent(event, { palette: printer.palette, width });
      if (text !== "") await writeChunk(io.stdout, text);
      const final = event.kind === "action" && (event.action === "finish" || event.action === "reject");
      if (!final) spinner.start("working…");
    }
    if (printer.mode === "text" && out.tail !== "" && !out.tail.endsWith("\n")) await out.write("\n");
    return stream.sid;
  } finally {
    spinner.stop();
    await out.flush();
    const sid = stream.sid;
    await files?.end(sid);
    if (sid !== undefined && printer.onSession !== undefined) await printer.onSession(sid, prompt);
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

/**
 * The `-c`/`--session` choice with session names resolved through the session list: `--session` takes a
 * name, an id or the start of one; `-c <word>` continues the session that `<word>` names exactly (a name
 * or a whole id), and otherwise `<word>` is the first word of the prompt and `-c` continues the last session.
 */
async function resolveSessionChoice(
  words: string[],
  opts: ChatCommandOptions,
  io: CliIO,
): Promise<{ words: string[]; opts: ChatCommandOptions }> {
  if (opts.session === undefined && typeof opts.continue !== "string") return { words, opts };
  const { registryFor } = await import("./sessions.js");
  if (opts.session !== undefined) {
    const entry = await registryFor(io).find(opts.session);
    return { words, opts: { ...opts, session: entry?.sid ?? opts.session } };
  }
  if (typeof opts.continue !== "string") return { words, opts };
  const word = opts.continue;
  const entry = (await registryFor(io).list()).find((s) => s.name === word || s.sid === word);
  if (entry !== undefined) return { words, opts: { ...opts, continue: undefined, session: entry.sid } };
  return { words: [word, ...words], opts: { ...opts, continue: true } };
}

/**
 * Warns about an environment variable of the agent, auto-continue or colour setting whose value is invalid
 * (it is skipped, not fatal). The base URL's is the client's to check.
 */
function warnInvalidEnvironment(io: CliIO): void {
  for (const key of ["agent", "auto-continue", "color"] as const) {
    const name = SETTINGS[key].env;
    const value = io.env[name];
    if (value === undefined || value === "") continue;
    const parsed = SETTINGS[key].parse(value);
    if ("error" in parsed) io.stderr.write(`robocoders: warning: ${name} is ignored: ${parsed.error}\n`);
  }
}

/**
 * The `--output` folder, created when missing (level by level: Node's recursive mkdir loops forever where a
 * folder cannot be created under `/proc`). Returns its full path; a usage error when it is not a folder or
 * cannot be created.
 */
async function outputFolder(dir: string): Promise<string> {
  const { mkdir, stat } = await import("node:fs/promises");
  const { dirname, resolve } = await import("node:path");
  const path = resolve(dir);
  const missing: string[] = [];
  for (let current = path; ; current = dirname(current)) {
    try {
      if (!(await stat(current)).isDirectory()) {
        throw new UsageError(`--output ${path}: ${current} exists and is not a folder`);
      }
      break;
    } catch (error) {
      if (error instanceof UsageError) throw error;
      if (errorCode(error) !== "ENOENT" || dirname(current) === current) {
        throw new UsageError(`Cannot use --output ${path} (${errorCode(error) ?? String(error)})`);
      }
      missing.push(current);
    }
  }
  for (const folder of missing.reverse()) {
    try {
      await mkdir(folder);
    } catch (error) {
      if (errorCode(error) !== "EEXIST") {
        throw new UsageError(`Cannot create --output ${path} (${errorCode(error) ?? String(error)})`);
      }
    }
  }
  return path;
}

/** Runs `robocoders chat`. Throws on failure; the caller maps errors to exit codes. */
export async function runChat(
  givenWords: string[],
  givenOpts: ChatCommandOptions,
  globals: GlobalOptions,
  io: CliIO,
): Promise<void> {
  if (givenOpts.session !== undefined && givenOpts.continue !== undefined) {
    throw new UsageError("-c/--continue and --session cannot be used together");
  }
  if (
    givenOpts.newSession === true &&
    (givenOpts.session !== undefined || givenOpts.continue !== undefined)
  ) {
    throw new UsageError("--new-session cannot be used with -c/--continue or --session");
  }
  if (givenOpts.json === true && givenOpts.raw === true) {
    throw new UsageError("--json and --raw cannot be used together");
  }
  if (givenOpts.showFiles === true && (givenOpts.json === true || givenOpts.raw === true)) {
    throw new UsageError(
      `--show-files cannot be used with ${givenOpts.json === true ? "--json (its events carry the files)" : "--raw (it prints the provider's text only)"}`,
    );
  }
  const settings = settingsFile(io.env, io.stderr);
  warnInvalidEnvironment(io);
  // Unknown agents fail before anything is read or sent.
  const agent = resolveAgent(resolveSetting("agent", givenOpts.agent, io.env, settings).value);
  const autoFlag =
    givenOpts.autoContinue === false
      ? "0"
      : givenOpts.maxContinues === undefined
        ? undefined
        : String(givenOpts.maxContinues);
  const maxContinues = Number(resolveSetting("auto-continue", autoFlag, io.env, settings).value);
  const output = givenOpts.output === undefined ? undefined : await outputFolder(givenOpts.output);
  const { words, opts } = await resolveSessionChoice(givenWords, givenOpts, io);
  const chatOptions = { ...chatOptionsFrom({ ...opts, autoContinue: true, maxContinues }), agent };
  const printer = createPrinter(outputMode(opts, io.stdout.isTTY), io, globals);

  let prompt: string | undefined;
  if (words.length > 0) prompt = words.join(" ");
  else if (io.stdin.isTTY !== true) prompt = (await readAll(io.stdin)).replace(/\s+$/, "");
  if (prompt !== undefined && prompt.trim() === "") {
    throw new UsageError("The prompt is empty: give it as arguments or on stdin");
  }

  if (printer.mode === "tty") {
    const { renderMarkdown } = await import("../markdown.js");
    printer.markdown = (text, width) => renderMarkdown(text, { palette: printer.palette, width });
  }
  const newFiles = async (): Promise<ChatFiles | undefined> => {
    // A conversation keeps the files for `/files`; a one-shot chat only when asked to.
    if (prompt !== undefined && opts.showFiles !== true && output === undefined) return undefined;
    const { ChatFiles } = await import("../chat-files.js");
    const { defaultCacheDir } = await import("../../client/options.js");
    return new ChatFiles({
      cacheDir: defaultCacheDir(io.env),
      show: opts.showFiles === true,
      ...(output === undefined ? {} : { outputDir: output }),
      palette: printer.palette,
      warn: (line) => {
        printer.spinner.stop();
        io.stderr.write(
          `${paletteFor(io.stderr, io.env, globals.color).yellow(`robocoders: warning: ${line}`)}\n`,
        );
      },
    });
  };
  printer.files = await newFiles();

  const overrides = opts.record === undefined ? {} : { record: await recordFile(opts.record) };
  const client = await createClient(globals, io, overrides, { beforeLog: () => printer.spinner.stop() });
  printer.onSession = (sid, text) =>
    recordSession(io, globals, { sid, agent, prompt: text, baseUrl: client.baseURL });
  try {
    if (prompt !== undefined) {
      const text = prompt;
      try {
        await withInterrupt(async (signal) => {
          await streamTurn(client, text, { ...chatOptions, signal }, printer);
        });
      } finally {
        reportSaved(printer, globals);
      }
      return;
    }
    await repl(client, chatOptions, printer, globals, newFiles);
  } finally {
    await client.close();
  }
}

/**
 * Records a turn's session in the session list (`session list`). Best effort: a list that cannot be
 * written is reported with `--verbose` only, and never fails the chat.
 */
async function recordSession(
  io: CliIO,
  globals: GlobalOptions,
  use: { sid: string; agent: string; prompt: string; baseUrl: string },
): Promise<void> {
  try {
    const { registryFor } = await import("./sessions.js");
    await registryFor(io).record(use);
  } catch (error) {
    if (globals.verbose === true) {
      const reason = errorCode(error) ?? String(error);
      io.stderr.write(`robocoders: could not record the session in the session list (${reason})\n`);
    }
  }
}

/** Prints on stderr what the call saved with `--output` (and how many files it did not save). */
function reportSaved(printer: TurnPrinter, globals: GlobalOptions): void {
  const files = printer.files;
  if (files?.outputDir === undefined) return;
  const line = files.takeSummary();
  if (line === "") return;
  printer.spinner.stop();
  printer.io.stderr.write(`${paletteFor(printer.io.stderr, printer.io.env, globals.color).dim(line)}\n`);
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

/** `sid (name)` or `sid` for the banner and notices. */
async function sessionLabel(io: CliIO, sid: string): Promise<string> {
  try {
    const { registryFor } = await import("./sessions.js");
    const name = (await registryFor(io).list()).find((s) => s.sid === sid)?.name;
    return name === undefined ? sid : `${sid} (${name})`;
  } catch {
    return sid;
  }
}

const REPL_HELP =
  "/new: fresh session · /files: the files written so far · /files <name>: one file · " +
  "/files on|off: show each file as it is written · /exit or Ctrl-D: leave · " +
  "Ctrl-C: stop the current answer or clear the line\n";

/**
 * The interactive conversation: every turn goes to the same session; `/new`, `/files`, `/exit`, Ctrl-D.
 * The banner names the session (and its name in the session list) when one is continued, else says a
 * new one starts; a notice names each session created.
 */
async function repl(
  client: RobocodersClient,
  chatOptions: ChatOptions,
  printer: TurnPrinter,
  globals: GlobalOptions,
  newFiles: () => Promise<ChatFiles | undefined>,
): Promise<void> {
  const { io } = printer;
  const c = paletteFor(io.stderr, io.env, globals.color);
  let sid = chatOptions.sid;
  let fresh = chatOptions.newSession === true;
  if (sid === undefined && !fresh) {
    // -c: the cached session, named in the banner and kept for the whole conversation.
    sid = (await client.status()).sid;
    fresh = sid === undefined;
  }
  const agent = chatOptions.agent ?? "GeneralCodingAgent";
  const where = sid === undefined ? "a new session" : `session ${await sessionLabel(io, sid)}`;
  io.stderr.write(
    c.dim(
      `Chatting with ${agent} in ${where}. ` +
        "/new starts a fresh session, /help lists the commands, /exit or Ctrl-D leaves, Ctrl-C stops an answer.\n",
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
        const show = printer.files?.show === true;
        printer.files = await newFiles();
        if (printer.files !== undefined) printer.files.show = show;
        io.stderr.write(c.dim("The next message starts a fresh session.\n"));
        continue;
      }
      if (text === "/help") {
        io.stderr.write(c.dim(REPL_HELP));
        continue;
      }
      if (text === "/files" || text.startsWith("/files ")) {
        filesCommand(text.slice("/files".length).trim(), printer, c);
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
        if (used !== undefined && used !== sid) io.stderr.write(c.dim(`Session ${used}.\n`));
        if (used !== undefined) sid = used;
        fresh = false;
      } catch (error) {
        // A failed or interrupted turn ends that turn only; the conversation goes on.
        io.stderr.write(`${c.red(errorLine(error))}\n`);
        if (globals.verbose === true && error instanceof Error && error.stack !== undefined) {
          io.stderr.write(`${redact(error.stack)}\n`);
        }
      } finally {
        reportSaved(printer, globals);
      }
    }
  } finally {
    reader.close();
  }
}

/** `/files` (list), `/files on|off` (show each file as written), `/files <name>` (one file's content). */
function filesCommand(argument: string, printer: TurnPrinter, c: Palette): void {
  const { io, files } = printer;
  if (files === undefined) return;
  if (argument === "on" || argument === "off") {
    files.show = argument === "on";
    io.stderr.write(
      c.dim(
        files.show
          ? "Each file the agent writes is shown (new files in full, changes as diffs).\n"
          : "Files are no longer shown as they are written.\n",
      ),
    );
    return;
  }
  if (argument === "") {
    const list = files.list();
    if (list.length === 0) {
      io.stderr.write(c.dim("No files written in this session yet.\n"));
      return;
    }
    const lines = list.map(
      (f) =>
        `${c.yellow("✎")} ${c.bold(f.name)}${c.dim(
          ` (${f.size === undefined ? "content unknown" : formatBytes(f.size)}${
            f.versions > 1 ? `, ${f.versions} versions` : ""
          })`,
        )}`,
    );
    io.stdout.write(`${lines.join("\n")}\n`);
    return;
  }
  const view = files.view(argument);
  if (view === undefined) {
    io.stderr.write(
      `${c.yellow(`No file ${sanitizeTerminal(argument)} in this session.`)} ${c.dim("/files lists them.")}\n`,
    );
    return;
  }
  io.stdout.write(view);
}
