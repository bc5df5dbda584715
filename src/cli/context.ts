/**
 * What every command shares: the global options, colour decisions, the I/O streams, and the factory of
 * the client (loaded lazily so that `--help` and `--version` never load the HTTP stack or the HTML parser).
 */
import pc from "picocolors";
import type { RobocodersClient, RobocodersOptions } from "../client/types.js";
import { type ConfigFile, configPath, readConfigFile, resolveSetting } from "./config.js";
import type { Palette } from "./render.js";
import { plainPalette } from "./render.js";
import { createVerboseLogger, createWarningLogger } from "./verbose-logger.js";

/** Options accepted by every command (see `robocoders --help`). */
export interface GlobalOptions {
  /** `--base-url <url>`: API base URL. Default: `ROBOCODERS_BASE_URL`, else `https://api.robocoders.ai`. */
  baseUrl?: string;
  /** `--proxy <url>`: proxy for every request. Default: `ROBOCODERS_PROXY`, `HTTPS_PROXY`, `HTTP_PROXY`. */
  proxy?: string;
  /** `--timeout <seconds>`: total time limit of one call; 0 for none. Default: 600. */
  timeout?: number;
  /** `--verbose`: log each HTTP request on stderr and show stack traces of errors. Default: false. */
  verbose?: boolean;
  /** `--no-color` sets this to false. Default: true (colours when the stream is a terminal). */
  color?: boolean;
}

/** The streams and environment a command runs with (the process's by default). */
export interface CliIO {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
}

/** The process's streams and environment. */
export function processIO(): CliIO {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/** The settings file read once per process (per path): see {@link settingsFile}. */
let loaded: { path: string; file: ConfigFile; warned: boolean } | undefined;

/**
 * The settings file (`config.json`, see `./config.ts`), read once per process. A corrupt file counts as
 * empty; with `warn`, its warning is written there once.
 */
export function settingsFile(env: NodeJS.ProcessEnv, warn?: NodeJS.WritableStream): ConfigFile {
  const path = configPath(env);
  if (loaded?.path !== path) loaded = { path, file: readConfigFile(env), warned: false };
  if (warn !== undefined && loaded.file.warning !== undefined && !loaded.warned) {
    loaded.warned = true;
    warn.write(`robocoders: warning: ${loaded.file.warning}\n`);
  }
  return loaded.file;
}

/**
 * Whether to colour output written to `stream`, by the `color` setting (flag > environment > file >
 * default): `--no-color` means `never`; then a non-empty `NO_COLOR` `never`, a non-empty `FORCE_COLOR` other
 * than `0` `always`, `ROBOCODERS_COLOR`; then the file's `color`; `auto` (the default) colours when the
 * stream is a terminal and `TERM` is not `dumb`.
 */
export function colorEnabled(
  stream: { isTTY?: boolean },
  env: NodeJS.ProcessEnv,
  flag: boolean | undefined,
  file: ConfigFile = { values: {} },
): boolean {
  const { value } = resolveSetting("color", flag === false ? "never" : undefined, env, file);
  if (value === "never") return false;
  if (value === "always") return true;
  return stream.isTTY === true && env.TERM !== "dumb";
}

/** The palette for a stream: picocolors' colours when {@link colorEnabled} (settings file included), else identity functions. */
export function paletteFor(
  stream: { isTTY?: boolean },
  env: NodeJS.ProcessEnv,
  flag: boolean | undefined,
): Palette {
  return colorEnabled(stream, env, flag, settingsFile(env)) ? pc.createColors(true) : plainPalette;
}

/** Extra client options a command may set. */
export type ClientOverrides = Partial<Omit<RobocodersOptions, "logger" | "logLevel">>;

/**
 * Creates the client for the global options; the base URL is the `base-url` setting (flag > environment >
 * settings file > default). `--verbose` installs a logger printing each request on
 * stderr at `debug` level; `ROBOCODERS_LOG` keeps the client's own logger; otherwise warnings (a cache
 * that cannot be written, a corrupt one replaced) are printed once each on stderr.
 */
export async function createClient(
  globals: GlobalOptions,
  io: CliIO,
  overrides: ClientOverrides = {},
  hooks: { beforeLog?: () => void; secrets?: () => Iterable<string> } = {},
): Promise<RobocodersClient> {
  const { Robocoders } = await import("../client/index.js");
  const options: RobocodersOptions = { ...overrides };
  const baseUrl = resolveSetting("base-url", globals.baseUrl, io.env, settingsFile(io.env, io.stderr));
  // The client reads ROBOCODERS_BASE_URL itself; the flag and the file are passed on.
  if (baseUrl.source === "flag" || baseUrl.source === "file") options.baseURL = baseUrl.value;
  if (globals.proxy !== undefined) options.proxy = globals.proxy;
  // 0: no total limit (the longest timer Node keeps); the idle limit still applies.
  if (globals.timeout !== undefined) {
    options.timeout = globals.timeout === 0 ? 2_147_483_647 : Math.round(globals.timeout * 1000);
  }
  if (globals.verbose === true) {
    const envToken = io.env.ROBOCODERS_ACCESS_TOKEN;
    options.logLevel = "debug";
    options.logger = createVerboseLogger({
      stream: io.stderr,
      palette: paletteFor(io.stderr, io.env, globals.color),
      beforeWrite: hooks.beforeLog,
      secrets: () => [...(envToken ? [envToken] : []), ...(hooks.secrets?.() ?? [])],
    });
  } else if ((io.env.ROBOCODERS_LOG ?? "").trim() === "") {
    options.logLevel = "warn";
    options.logger = createWarningLogger({
      stream: io.stderr,
      palette: paletteFor(io.stderr, io.env, globals.color),
      beforeWrite: hooks.beforeLog,
    });
  }
  return new Robocoders(options);
}

/** Writes a chunk and waits for the stream to accept more when it is full. */
export function writeChunk(stream: NodeJS.WritableStream, chunk: string): Promise<void> | undefined {
  if (stream.write(chunk)) return undefined;
  return new Promise((resolve) => stream.once("drain", () => resolve()));
}

/** Reads all of a stream as UTF-8 text. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
}
