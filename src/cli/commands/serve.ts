/** `robocoders serve`: runs the OpenAI-compatible gateway until Ctrl-C or SIGTERM. */
import type { RobocodersOptions } from "../../client/types.js";
import type { CliIO, GlobalOptions } from "../context.js";
import { paletteFor } from "../context.js";
import { UsageError } from "../exit-codes.js";
import { createVerboseLogger } from "../verbose-logger.js";
import { untilStopped } from "./emulate.js";

/** Options of `robocoders serve`. */
export interface ServeOptions {
  /** `--host <host>`. Default: `127.0.0.1`. */
  host: string;
  /** `--port <port>`. Default: 1337 (0 picks a free port). */
  port: number;
  /** `--api-key <key>`: key callers must present. Default: `ROBOCODERS_SERVER_API_KEY`, else none. */
  apiKey?: string;
  /** `--force`: allow a non-loopback host without an API key. Default: false. */
  force?: boolean;
}

/** Runs `robocoders serve`. */
export async function runServe(opts: ServeOptions, globals: GlobalOptions, io: CliIO): Promise<void> {
  const { startServer } = await import("../../server/index.js");
  const clientOptions: RobocodersOptions = {};
  if (globals.baseUrl !== undefined) clientOptions.baseURL = globals.baseUrl;
  if (globals.proxy !== undefined) clientOptions.proxy = globals.proxy;
  if (globals.timeout !== undefined) clientOptions.timeout = Math.round(globals.timeout * 1000);
  const palette = paletteFor(io.stderr, io.env, globals.color);
  const secrets = () => (opts.apiKey ? [opts.apiKey] : []);
  if (globals.verbose === true) {
    clientOptions.logLevel = "debug";
    clientOptions.logger = createVerboseLogger({ stream: io.stderr, palette, secrets });
  }
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({
      host: opts.host,
      port: opts.port,
      force: opts.force === true,
      clientOptions,
      logger: createVerboseLogger({ stream: io.stderr, palette, secrets }),
      ...(opts.apiKey !== undefined ? { apiKey: opts.apiKey } : {}),
    });
  } catch (error) {
    if (error instanceof Error && error.name === "InsecureBindError") throw new UsageError(error.message);
    throw error;
  }
  io.stdout.write(`${server.url}\n`);
  io.stderr.write(
    `${palette.green("✔")} OpenAI-compatible gateway listening on ${palette.bold(server.url)}\n` +
      palette.dim(`  Base URL for OpenAI clients: ${server.url}/v1\n`) +
      palette.dim("  Press Ctrl-C to stop.\n"),
  );
  await untilStopped();
  io.stderr.write(palette.dim("Shutting down…\n"));
  await server.close();
}
