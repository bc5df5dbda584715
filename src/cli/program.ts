/**
 * The command tree of `robocoders`. Only commander, picocolors and small pure modules load here; every
 * command loads what it needs (client, HTML parser, emulator, gateway) with `import()` when it runs, so
 * `--help` and `--version` stay fast.
 */
import { Command, CommanderError, Help, InvalidArgumentError, Option } from "commander";
import { DEFAULT_AGENT } from "../client/types.js";
import { redact } from "../core/logger.js";
import { addKeysCommand } from "./commands/keys.js";
import { registerUiCommand } from "./commands/ui.js";
import type { CliIO, GlobalOptions } from "./context.js";
import { processIO } from "./context.js";
import { ExitCode, errorLine, exitCodeFor, UsageError } from "./exit-codes.js";
import { packageVersion } from "./version.js";

function parsePositiveInteger(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError("Expected a positive integer.");
  return n;
}

function parseTimeout(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError("Expected a number of seconds (0: no total limit).");
  return n;
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError("Expected a whole number ≥ 0.");
  }
  return n;
}

function parsePort(value: string): number {
  const n = parseCount(value);
  if (n > 65_535) throw new InvalidArgumentError("Expected a port between 0 and 65535.");
  return n;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** A global option, by its attribute name (`--base-url` is `baseUrl`, `--no-color` is `color`). */
type GlobalName = "baseUrl" | "proxy" | "timeout" | "verbose" | "color";

/** What a command that talks to the API honours: every global option but `--version`. */
const NETWORK: readonly GlobalName[] = ["baseUrl", "proxy", "timeout", "verbose", "color"];

/**
 * The global options each command honours (by its path below `robocoders`): its `--help` lists only these.
 * A command missing here lists them all; a command group (`session`, `config`, `keys`) lists none.
 */
export const HONOURED_GLOBALS: Readonly<Record<string, readonly GlobalName[]>> = {
  chat: NETWORK,
  models: ["color"],
  login: NETWORK,
  logout: ["baseUrl"],
  status: ["baseUrl", "color"],
  session: [],
  "session new": ["baseUrl", "proxy", "timeout", "verbose"],
  "session show": ["baseUrl"],
  "session list": ["color"],
  "session use": [],
  "session name": [],
  "session forget": [],
  config: [],
  "config path": [],
  "config list": ["baseUrl", "color"],
  "config get": ["baseUrl", "color"],
  "config set": [],
  "config unset": [],
  completion: [],
  "get-code": NETWORK,
  emulate: ["color"],
  serve: NETWORK,
  keys: [],
  "keys add": ["color"],
  "keys list": ["color"],
  "keys revoke": ["color"],
  mcp: ["baseUrl", "proxy", "timeout", "verbose"],
  demo: ["timeout", "verbose", "color"],
  ui: NETWORK,
};

/** A command's path below the program, e.g. `session new`. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent != null; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

const EXIT_CODES_HELP = `
Exit codes:
  0    success
  1    unexpected error
  2    usage error (bad flag or value, unknown agent)
  3    authentication failed (run \`robocoders login\`)
  4    request rejected by the service (404, 422, 429, other 4xx)
  5    network, server (5xx), timeout or broken stream
  130  interrupted (Ctrl-C)

Environment:
  ROBOCODERS_BASE_URL, ROBOCODERS_ACCESS_TOKEN, ROBOCODERS_CACHE_DIR, ROBOCODERS_PROXY,
  HTTPS_PROXY/HTTP_PROXY/NO_PROXY, ROBOCODERS_LOG, NO_COLOR, ROBOCODERS_AGENT,
  ROBOCODERS_AUTO_CONTINUE, ROBOCODERS_COLOR, ROBOCODERS_CONFIG_DIR`;

/** Builds the `robocoders` program. Actions write to `io` and throw on failure. */
export function createProgram(io: CliIO, version: string): Command {
  const program = new Command("robocoders");
  program
    .description("Chat with the Robocoders AI coding agents from a terminal or a pipe.")
    .version(version, "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .option(
      "--base-url <url>",
      "API base URL (default: $ROBOCODERS_BASE_URL, the base-url setting, or https://api.robocoders.ai)",
    )
    .option("--proxy <url>", "proxy for every request (default: $ROBOCODERS_PROXY, $HTTPS_PROXY)")
    .option(
      "--timeout <seconds>",
      "total time limit of one call, 0 for none (default: 600; the idle limit still applies)",
      parseTimeout,
    )
    .option("--verbose", "log every HTTP request on stderr (token redacted) and show stack traces")
    .option("--no-color", "disable colours (also: NO_COLOR=1, or the color setting)")
    .configureHelp({
      showGlobalOptions: true,
      sortSubcommands: false,
      // A subcommand's help lists only the global options it honours (never --version).
      visibleGlobalOptions(this: Help, command: Command) {
        const honoured = HONOURED_GLOBALS[commandPath(command)];
        return Help.prototype.visibleGlobalOptions
          .call(this, command)
          .filter(
            (option) =>
              option.long !== "--version" &&
              (honoured === undefined || (honoured as readonly string[]).includes(option.attributeName())),
          );
      },
    })
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .addHelpText("after", EXIT_CODES_HELP);

  const globals = (command: Command): GlobalOptions => command.optsWithGlobals<GlobalOptions>();

  program
    .command("chat")
    .description("send a prompt (arguments, else piped stdin) or start a conversation on a terminal")
    .argument("[prompt...]", "the prompt; read from stdin when omitted and stdin is not a terminal")
    .option(
      "-a, --agent <name>",
      `agent or alias (see \`robocoders models\`; default: the agent setting, else ${DEFAULT_AGENT})`,
    )
    .option(
      "-c, --continue [session]",
      "continue the last session, or the session with this name or id (from `session list`)",
    )
    .option("--session <session>", "talk in this session: a name, an id or its start (default: a new one)")
    .addOption(new Option("--new-session", "start a new session (the default)").hideHelp())
    .option("--raw", "print exactly the provider's text (gpt4free's), nothing added")
    .option("--json", "print one JSON object per event (the typed event, raw fields included)")
    .option(
      "--max-continues <n>",
      "automatic `continue` prompts after a question (default: the auto-continue setting, else 1)",
      parseCount,
    )
    .option("--no-auto-continue", "never send `continue` automatically")
    .option("--show-files", "print each file the agent writes (highlighted) and each change as a diff")
    .option(
      "--output <dir>",
      "save every file the agent writes or edits under dir (/workspace/a/b.py → dir/a/b.py)",
    )
    .option(
      "--record <file>",
      "append each /chat request and response to a transcript (JSON Lines, token redacted)",
    )
    .addHelpText(
      "after",
      `
Sessions: each chat with a prompt starts a new session; -c continues the last one (-c <name> a named
one), --session picks one by name or id. A conversation (no prompt, on a terminal) keeps one session
until /new. Every session used is listed by \`robocoders session list\`.

Output: on a terminal, agent messages as Markdown and actions (commands, files, delegations) as compact
lines; otherwise the provider's texts, separated by blank lines and ending in a newline (--raw: exactly
the provider's text, as gpt4free prints it). --show-files prints new files in full and changes as diffs;
--output saves the files (paths outside the workspace, through "..", or through a symbolic link in dir
are refused with a warning). In a conversation: /new starts a fresh session, /files lists the files,
/exit or Ctrl-D leaves, Ctrl-C stops the current answer or clears a half-typed line.

Settings: -a, --base-url, --max-continues/--no-auto-continue and --no-color win over the environment
(ROBOCODERS_AGENT, ROBOCODERS_BASE_URL, ROBOCODERS_AUTO_CONTINUE, NO_COLOR/ROBOCODERS_COLOR), which wins
over the settings file (\`robocoders config\`).

Examples:
  $ robocoders chat "Write a Python script that adds two numbers"
  $ robocoders chat -c "Now add a --verbose flag"
  $ robocoders chat --show-files --output ./app "Write a todo app in Flask"
  $ robocoders chat -c readme-work "Now add a licence"
  $ echo "Build a todo app in React" | robocoders chat -a FrontEndAgent > answer.txt
  $ robocoders chat --json "hello" | jq -r .kind
  $ robocoders chat          # interactive`,
    )
    .action(async (words: string[], opts, command: Command) => {
      const { runChat } = await import("./commands/chat.js");
      await runChat(words, opts, globals(command), io);
    });

  program
    .command("models")
    .description("list the agents, each with a one-line description")
    .option("--json", "print a JSON array")
    .action(async (opts, command: Command) => {
      const { runModels } = await import("./commands/models.js");
      runModels(opts, globals(command), io);
    });

  program
    .command("login")
    .description("store a token (checked to be an unexpired JWT) or fetch a new one from /auth")
    .option("--token <jwt>", "the token to store; `-` reads it from stdin")
    .action(async (opts, command: Command) => {
      const { runLogin } = await import("./commands/account.js");
      await runLogin(opts, globals(command), io);
    });

  program
    .command("logout")
    .description("remove the cached token and session")
    .action(async (_opts, command: Command) => {
      const { runLogout } = await import("./commands/account.js");
      await runLogout(globals(command), io);
    });

  program
    .command("status")
    .description("show the cache file, the token's source and expiry (never the token), and the session")
    .option("--json", "print a JSON object")
    .action(async (opts, command: Command) => {
      const { runStatus } = await import("./commands/account.js");
      await runStatus(opts, globals(command), io);
    });

  const session = program.command("session").description("manage the cached session");
  session
    .command("new")
    .description("create a new session, cache it, and print its id")
    .action(async (_opts, command: Command) => {
      const { runSessionNew } = await import("./commands/account.js");
      await runSessionNew(globals(command), io);
    });
  session
    .command("show")
    .description("print the cached session id")
    .option("--json", "print a JSON object")
    .action(async (opts, command: Command) => {
      const { runSessionShow } = await import("./commands/account.js");
      await runSessionShow(opts, globals(command), io);
    });

  session
    .command("list")
    .description(
      "list the sessions this machine used (* marks the cached one, which the next chat continues)",
    )
    .option("--json", "print a JSON array")
    .option("--names", "print only names and ids, one per line (for shell completion)")
    .action(async (opts, command: Command) => {
      const { runSessionList } = await import("./commands/sessions.js");
      await runSessionList(opts, globals(command), io);
    });
  session
    .command("use")
    .description("make a session the cached one, which the next chat continues")
    .argument("<session>", "session name or id (or the start of an id)")
    .action(async (ref: string, _opts, command: Command) => {
      const { runSessionUse } = await import("./commands/sessions.js");
      await runSessionUse(ref, globals(command), io);
    });
  session
    .command("name")
    .description("give a session a name to use with `session use` and `session forget`")
    .argument("<session>", "session name or id (or the start of an id)")
    .argument("<name>", "the new name: letters, digits, '.', '_' or '-'")
    .action(async (ref: string, name: string, _opts, command: Command) => {
      const { runSessionName } = await import("./commands/sessions.js");
      await runSessionName(ref, name, globals(command), io);
    });
  session
    .command("forget")
    .description("remove a session from the list (and from the cache when it is the cached one)")
    .argument("<session>", "session name or id (or the start of an id)")
    .action(async (ref: string, _opts, command: Command) => {
      const { runSessionForget } = await import("./commands/sessions.js");
      await runSessionForget(ref, globals(command), io);
    });

  const config = program
    .command("config")
    .description("show or change the settings file (precedence: flag > environment > file > default)");
  config
    .command("path")
    .description("print the settings file's path")
    .action(async () => {
      const { runConfigPath } = await import("./commands/config.js");
      runConfigPath(io);
    });
  config
    .command("list")
    .description("print every setting, its value and where it comes from")
    .option("--json", "print a JSON array")
    .action(async (opts, command: Command) => {
      const { runConfigList } = await import("./commands/config.js");
      runConfigList(opts, globals(command), io);
    });
  config
    .command("get")
    .description("print the value of a setting in effect")
    .argument("<key>", "agent, base-url, auto-continue or color")
    .action(async (key: string, _opts, command: Command) => {
      const { runConfigGet } = await import("./commands/config.js");
      runConfigGet(key, globals(command), io);
    });
  config
    .command("set")
    .description("store a setting in the settings file")
    .argument("<key>", "agent, base-url, auto-continue or color")
    .argument("<value>", "the value")
    .action(async (key: string, value: string) => {
      const { runConfigSet } = await import("./commands/config.js");
      await runConfigSet(key, value, io);
    });
  config
    .command("unset")
    .description("remove a setting from the settings file")
    .argument("<key>", "agent, base-url, auto-continue or color")
    .action(async (key: string) => {
      const { runConfigUnset } = await import("./commands/config.js");
      await runConfigUnset(key, io);
    });

  program
    .command("completion")
    .description("print a shell completion script (bash, zsh or fish)")
    .argument("<shell>", "bash, zsh or fish")
    .addHelpText(
      "after",
      `
Install:
  bash  echo 'source <(robocoders completion bash)' >> ~/.bashrc
  zsh   echo 'source <(robocoders completion zsh)' >> ~/.zshrc
  fish  robocoders completion fish > ~/.config/fish/completions/robocoders.fish`,
    )
    .action(async (shell: string) => {
      const { completionScript, SHELLS } = await import("./completion.js");
      if (!(SHELLS as readonly string[]).includes(shell)) {
        throw new UsageError(`Unknown shell "${shell}": choose bash, zsh or fish`);
      }
      io.stdout.write(completionScript(shell as (typeof SHELLS)[number], program));
    });

  program
    .command("get-code")
    .description("add a GitHub user as collaborator on the session's code repository and print its URL")
    .argument("<github-username>", "the GitHub user to invite")
    .option("--session <sid>", "the session (default: the cached one)")
    .option("--json", "print the JSON result")
    .option("--open", "also open the repository in the browser (the URL is printed either way)")
    .action(async (username: string, opts, command: Command) => {
      const { runGetCode } = await import("./commands/account.js");
      await runGetCode(username, opts, globals(command), io);
    });

  program
    .command("emulate")
    .description("run the offline emulator of the Robocoders API (prints its URL)")
    .option("--host <host>", "interface to bind", "127.0.0.1")
    .option("--port <port>", "port to bind (0: a free one)", parsePort, 8787)
    .option("--verbose-events", "include observations and agent_state_changed events in streams")
    .option("--latency <ms>", "pause between events, in ms", parseCount, 0)
    .option(
      "--fault <spec>",
      "inject a fault on every request, e.g. 'status=503, count=1' (repeatable)",
      collect,
    )
    .option("--log", "print one line per request on stderr (method, path, status, faults, duration)")
    .option("--replay <path>", "answer /chat from recorded transcripts (a .jsonl file or a folder of them)")
    .option("--no-admin", "turn off the admin API under /__emulator/ (on by default on loopback)")
    .addOption(
      new Option(
        "--admin-token <token>",
        "require this token for the admin API (also turns it on off loopback)",
      ).env("ROBOCODERS_EMULATOR_ADMIN_TOKEN"),
    )
    .action(async (opts, command: Command) => {
      const { runEmulate } = await import("./commands/emulate.js");
      await runEmulate(opts, globals(command), io);
    });

  program
    .command("serve")
    .description("run the OpenAI-compatible gateway (prints its URL)")
    .option("--host <host>", "interface to bind", "127.0.0.1")
    .option("--port <port>", "port to bind (0: a free one)", parsePort, 1337)
    .option(
      "--api-key-file <path>",
      "read the key callers must send (Bearer or x-api-key) from a file (recommended, with ROBOCODERS_SERVER_API_KEY)",
    )
    .addOption(
      new Option(
        "--api-key <key>",
        "key callers must send as Bearer or x-api-key (visible in `ps`: prefer --api-key-file or the environment)",
      ).env("ROBOCODERS_SERVER_API_KEY"),
    )
    .option("--force", "allow a non-loopback host without an API key")
    .option(
      "--allowed-host <name>",
      "accept this name in the Host header besides loopback names (repeatable)",
      collect,
    )
    .option(
      "--cors-origin <origin>",
      "let web pages from this origin call the gateway, e.g. http://localhost:3000 ('*' needs an API key; repeatable)",
      collect,
    )
    .option(
      "--keep-alive <seconds>",
      "SSE comment after this much silence, 0 for none (default: 15)",
      parseCount,
    )
    .option(
      "--max-answer-bytes <n>",
      "largest non-streamed answer; past it 502 (default: 16777216)",
      parsePositiveInteger,
    )
    .option(
      "--max-concurrency <n>",
      "most chat completions running at once; past it 429 (default: 256)",
      parsePositiveInteger,
    )
    .option(
      "--grace <seconds>",
      "on SIGTERM: how long /health says draining and running answers may finish (default: 10)",
      parseCount,
    )
    .addOption(
      new Option("--text <mode>", "answer text: separated agent messages, or the reference client's text")
        .choices(["separated", "reference"])
        .default("separated"),
    )
    .addOption(
      new Option(
        "--store <url>",
        "state shared by several instances: memory (default), redis://host:port or rediss://… (see docs/deployment.md)",
      ).env("ROBOCODERS_STORE"),
    )
    .addOption(
      new Option("--store-prefix <prefix>", "prefix of every key in the store (default: robocoders:)").env(
        "ROBOCODERS_STORE_PREFIX",
      ),
    )
    .option("--store-keys", "callers must present a key added with `robocoders keys add` (or --api-key)")
    .option("--rate-limit <n/unit>", "chat completions per caller, e.g. 60/min (units: s, min, h)")
    .action(async (opts, command: Command) => {
      const { runServe } = await import("./commands/serve.js");
      const keySource = command.getOptionValueSource("apiKey");
      await runServe({ ...opts, apiKeyFromCli: keySource === "cli" }, globals(command), io);
    });

  addKeysCommand(program, io);

  program
    .command("mcp")
    .description("serve the agents as MCP tools over stdio (for Claude Desktop, Cursor, VS Code…)")
    .option(
      "--max-continues <n>",
      "automatic `continue` prompts for calls with auto_continue (default: 1)",
      parseCount,
    )
    .action(async (opts, command: Command) =>
      (await import("./commands/mcp.js")).runMcp(opts, globals(command), io),
    );

  program
    .command("demo")
    .description("run a whole conversation against the bundled emulator, offline")
    .option("-a, --agent <name>", "agent or alias", DEFAULT_AGENT)
    .option("--prompt <text>", "the first prompt")
    .option("--latency <ms>", "pause between events, in ms (default: 40 on a terminal, else 0)", parseCount)
    .action(async (opts, command: Command) => {
      const { runDemo } = await import("./commands/demo.js");
      await runDemo(opts, globals(command), io);
    });

  registerUiCommand(program, io);
  return program;
}

/**
 * Runs the CLI with `argv` (as `process.argv`) and returns the exit code. Errors become one line on stderr
 * (plus the stack with `--verbose`); nothing is thrown.
 */
export async function run(argv: string[], io: CliIO = processIO()): Promise<number> {
  const program = createProgram(io, packageVersion());
  try {
    await program.parseAsync(argv);
    return ExitCode.Ok;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    const code = exitCodeFor(error);
    const line = errorLine(error);
    io.stderr.write(`${line}\n`);
    const verbose = argv.includes("--verbose");
    if (verbose && code !== ExitCode.Interrupted && error instanceof Error && error.stack !== undefined) {
      io.stderr.write(`${redact(error.stack)}\n`);
    }
    return code;
  }
}
