/**
 * What every command shares: the global options, colour decisions, the I/O streams, and the factory of
 * the client (loaded lazily so that `--help` and `--version` never load the HTTP stack or the HTML parser).
 */
import pc from "picocolors";
import type { RobocodersClient, RobocodersOptions } from "../client/types.js";
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

/**
 * Whether to colour output written to `stream`: never with `--no-color` or a non-empty `NO_COLOR`; always
 * with a non-empty `FORCE_COLOR` other than `0`; otherwise when the stream is a terminal and `TERM` is not `dumb`.
 */
export function colorEnabled(
  stream: { isTTY?: boolean },
  env: NodeJS.ProcessEnv,
  flag: boolean | undefined,
): boolean {
  if (flag === false) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "" && env.FORCE_COLOR !== "0") return true;
  return stream.isTTY === true && env.TERM !== "dumb";
}

/** The palette for a stream: picocolors' colours when {@link colorEnabled}, else identity functions. */
export function paletteFor(
  stream: { isTTY?: boolean },
  env: NodeJS.ProcessEnv,
  flag: boolean | undefined,
): Palette {
  return colorEnabled(stream, env, flag) ? pc.createColors(true) : plainPalette;
}

/** Extra client options a command may set. */
export type ClientOverrides = Partial<Omit<RobocodersOptions, "logger" | "logLevel">>;

/**
 * Creates the client for the global options. `--verbose` installs a logger printing each request on
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
  if (globals.baseUrl !== undefined) options.baseURL = globals.baseUrl;
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
