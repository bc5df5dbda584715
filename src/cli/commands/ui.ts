/**
 * `robocoders ui`: the web workspace. Starts the gateway on loopback (the page at `/`, its API under
 * `/api`) and opens the browser on it; `--emulator` also starts the bundled emulator and points the
 * gateway at it, so everything works offline.
 *
 * Only commander loads with this module (it is registered when the program is built); the gateway, the
 * emulator and the browser opener are imported when the command runs.
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import type { RobocodersOptions } from "../../client/types.js";
import type { CliIO, GlobalOptions } from "../context.js";
import { paletteFor } from "../context.js";
import { UsageError } from "../exit-codes.js";
import { createVerboseLogger } from "../verbose-logger.js";
import { untilStopped } from "./emulate.js";

/** Default `--port` of `robocoders ui`. */
export const DEFAULT_UI_PORT = 1337;
/** Default `--latency` of the emulator started by `--emulator`, in ms: slow enough to watch the agent work. */
export const DEFAULT_UI_EMULATOR_LATENCY_MS = 120;

/** Options of `robocoders ui`. */
export interface UiOptions {
  /** `--host <host>`. Default: `127.0.0.1`. */
  host: string;
  /** `--port <port>`. Default: 1337 (0 picks a free port). */
  port: number;
  /** `--no-open` sets this to false. Default: true (the browser opens on the page). */
  open: boolean;
  /** `--emulator`: start the bundled emulator and use it. Default: false. */
  emulator?: boolean;
  /** `--latency <ms>`: pause between the emulator's events. Default: 120. */
  latency: number;
  /** `--api-key <key>`: key the page (and API callers) must present. Default: `ROBOCODERS_SERVER_API_KEY`, else none. */
  apiKey?: string;
}

function parseWhole(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError("Expected a whole number ≥ 0.");
  return n;
}

function parsePort(value: string): number {
  const n = parseWhole(value);
  if (n > 65_535) throw new InvalidArgumentError("Expected a port between 0 and 65535.");
  return n;
}

/** Adds `robocoders ui` to the program. */
export function registerUiCommand(program: Command, io: CliIO): void {
  program
    .command("ui")
    .description("open the web workspace: watch the agents work in a browser (the gateway on loopback)")
    .option("--host <host>", "interface to bind", "127.0.0.1")
    .option("--port <port>", "port to bind (0: a free one)", parsePort, DEFAULT_UI_PORT)
    .option("--emulator", "also start the bundled emulator and use it (offline)")
    .option(
      "--latency <ms>",
      "with --emulator: pause between events, in ms",
      parseWhole,
      DEFAULT_UI_EMULATOR_LATENCY_MS,
    )
    .option("--no-open", "do not open the browser")
    .addOption(
      new Option("--api-key <key>", "key the page must present (asked once, kept in the browser)").env(
        "ROBOCODERS_SERVER_API_KEY",
      ),
    )
    .addHelpText(
      "after",
      `
The browser is the one \`open\` finds for the system, or $BROWSER when set (BROWSER=none: open nothing).

Examples:
  $ robocoders ui --emulator      # offline demo
  $ robocoders ui --no-open --port 8080`,
    )
    .action(async (opts: UiOptions, command: Command) => {
      await runUi(opts, command.optsWithGlobals<GlobalOptions>(), io);
    });
}

/** Opens `url` in the user's browser: `$BROWSER` when set (`none` opens nothing), else the system's opener. */
export async function openBrowser(url: string, env: NodeJS.ProcessEnv): Promise<void> {
  const browser = env.BROWSER?.trim();
  if (browser === "none") return;
  if (browser !== undefined && browser !== "") {
    const { spawn } = await import("node:child_process");
    const child = spawn(browser, [url], { detached: true, stdio: "ignore", shell: false });
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", () => resolve());
      child.once("error", reject);
    });
    child.unref();
    return;
  }
  const { default: open } = await import("open");
  await open(url);
}

/** Runs `robocoders ui` until Ctrl-C or SIGTERM. */
export async function runUi(opts: UiOptions, globals: GlobalOptions, io: CliIO): Promise<void> {
  const { startServer } = await import("../../server/index.js");
  const palette = paletteFor(io.stderr, io.env, globals.color);
  const secrets = () => (opts.apiKey ? [opts.apiKey] : []);
  const clientOptions: RobocodersOptions = {};
  if (globals.baseUrl !== undefined) clientOptions.baseURL = globals.baseUrl;
  if (globals.proxy !== undefined) clientOptions.proxy = globals.proxy;
  if (globals.timeout !== undefined) clientOptions.timeout = Math.round(globals.timeout * 1000);
  if (globals.verbose === true) {
    clientOptions.logLevel = "debug";
    clientOptions.logger = createVerboseLogger({ stream: io.stderr, palette, secrets });
  }

  let emulator: { url: string; close(): Promise<void> } | undefined;
  if (opts.emulator === true) {
    const { startEmulator } = await import("../../emulator/index.js");
    emulator = await startEmulator({ port: 0, verbose: true, latencyMs: opts.latency });
    clientOptions.baseURL = emulator.url;
    // The emulator's tokens mean nothing elsewhere: keep them out of the real credential cache.
    clientOptions.cacheDir = false;
  }

  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({
      host: opts.host,
      port: opts.port,
      clientOptions,
      logger: createVerboseLogger({ stream: io.stderr, palette, secrets }),
      logLevel: globals.verbose === true ? "info" : "warn",
      ...(opts.apiKey !== undefined ? { apiKey: opts.apiKey } : {}),
    });
  } catch (error) {
    await emulator?.close();
    if (error instanceof Error && error.name === "InsecureBindError") throw new UsageError(error.message);
    throw error;
  }
  const url = `${server.url}/`;
  io.stdout.write(`${url}\n`);
  io.stderr.write(
    `${palette.green("✔")} Robocoders workspace on ${palette.bold(url)}\n` +
      (emulator !== undefined
        ? palette.dim(`  Agents: the bundled emulator (${emulator.url}), offline\n`)
        : "") +
      palette.dim(`  OpenAI-compatible API: ${server.url}/v1\n`) +
      palette.dim("  Press Ctrl-C to stop.\n"),
  );
  if (opts.open) {
    try {
      await openBrowser(url, io.env);
    } catch (error) {
      io.stderr.write(
        palette.yellow(
          `Could not open a browser (${error instanceof Error ? error.message : String(error)}); open ${url}\n`,
        ),
      );
    }
  }
  await untilStopped();
  io.stderr.write(palette.dim("Shutting down…\n"));
  await server.close();
  await emulator?.close();
}
