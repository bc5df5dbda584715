/** `robocoders serve`: runs the OpenAI-compatible gateway until Ctrl-C or SIGTERM. */
import { readFile } from "node:fs/promises";
import type { RobocodersOptions } from "../../client/types.js";
import { InvalidArgumentError } from "../../core/errors.js";
import { errorCode } from "../../internal/values.js";
import type { CliIO, GlobalOptions } from "../context.js";
import { paletteFor } from "../context.js";
import { UsageError } from "../exit-codes.js";
import { createVerboseLogger } from "../verbose-logger.js";

/** Options of `robocoders serve`. */
export interface ServeOptions {
  /** `--host <host>`. Default: `127.0.0.1`. */
  host: string;
  /** `--port <port>`. Default: 1337 (0 picks a free port). */
  port: number;
  /** `--api-key <key>`: key callers must present. Default: `ROBOCODERS_SERVER_API_KEY`, else none. */
  apiKey?: string;
  /** True when {@link apiKey} came from the command line (not the environment). */
  apiKeyFromCli?: boolean;
  /** `--api-key-file <path>`: read the key from a file (trailing whitespace dropped). */
  apiKeyFile?: string;
  /** `--force`: allow a non-loopback host without an API key. Default: false. */
  force?: boolean;
  /** `--allowed-host <name>` (repeatable): extra names accepted in the Host header. */
  allowedHost?: string[];
  /** `--cors-origin <origin>` (repeatable): origins allowed to call from a web page. */
  corsOrigin?: string[];
  /** `--keep-alive <seconds>`: SSE comment after this much silence (0: none). Default: 15. */
  keepAlive?: number;
  /** `--max-answer-bytes <n>`: cap of a non-streamed answer. Default: 16 MiB. */
  maxAnswerBytes?: number;
  /** `--max-concurrency <n>`: most chat completions running at once. Default: 256. */
  maxConcurrency?: number;
  /** `--grace <seconds>`: how long a shutdown lasts. Default: 10. */
  grace?: number;
  /** `--text <mode>`: `separated` (default) or `reference`. */
  text?: "separated" | "reference";
  /** `--store <url>`: `memory`, `redis://…`, `rediss://…`. Default: `ROBOCODERS_STORE`, else memory. */
  store?: string;
  /** `--store-prefix <prefix>`. Default: `ROBOCODERS_STORE_PREFIX`, else `robocoders:`. */
  storePrefix?: string;
  /** `--store-keys`: accept (and require) the keys of the store. Default: false. */
  storeKeys?: boolean;
  /** `--rate-limit <n/unit>`: chat completions per caller. Default: none. */
  rateLimit?: string;
}

/** The longest timer Node keeps: what `--timeout 0` (no total limit) becomes. */
export const NO_TIMEOUT_MS = 2_147_483_647;

/** The API key of `serve`: `--api-key-file`, else `--api-key` / `ROBOCODERS_SERVER_API_KEY`, else none. */
export async function resolveServeKey(opts: ServeOptions): Promise<string | undefined> {
  if (opts.apiKeyFile === undefined) return opts.apiKey === "" ? undefined : opts.apiKey;
  if (opts.apiKeyFromCli === true) throw new UsageError("Give either --api-key or --api-key-file, not both");
  let text: string;
  try {
    text = await readFile(opts.apiKeyFile, "utf8");
  } catch (error) {
    const reason = errorCode(error) ?? "unreadable";
    throw new UsageError(`Cannot read the API key file ${opts.apiKeyFile}: ${reason}`);
  }
  const key = text.replace(/^\uFEFF/, "").trim();
  if (key === "" || /\s/.test(key)) {
    throw new UsageError(`The API key file ${opts.apiKeyFile} must hold one key on one line`);
  }
  return key;
}

/** Runs `robocoders serve`. */
export async function runServe(opts: ServeOptions, globals: GlobalOptions, io: CliIO): Promise<void> {
  const { startServer } = await import("../../server/index.js");
  const { isMemoryStore } = await import("../../store/open.js");
  if (opts.storeKeys === true && isMemoryStore(opts.store)) {
    throw new UsageError(
      "--store-keys needs a shared store: pass --store redis://host:port or set ROBOCODERS_STORE",
    );
  }
  const clientOptions: RobocodersOptions = {};
  if (globals.baseUrl !== undefined) clientOptions.baseURL = globals.baseUrl;
  if (globals.proxy !== undefined) clientOptions.proxy = globals.proxy;
  // --timeout 0: no total limit (the idle limit still applies).
  if (globals.timeout !== undefined) {
    clientOptions.timeout = globals.timeout === 0 ? NO_TIMEOUT_MS : Math.round(globals.timeout * 1000);
  }
  const palette = paletteFor(io.stderr, io.env, globals.color);
  const apiKey = await resolveServeKey(opts);
  const secrets = () => (apiKey ? [apiKey] : []);
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
      apiKey: apiKey ?? false,
      allowedHosts: opts.allowedHost ?? [],
      corsOrigins: opts.corsOrigin ?? [],
      ...(opts.keepAlive !== undefined ? { keepAliveMs: Math.round(opts.keepAlive * 1000) } : {}),
      ...(opts.maxAnswerBytes !== undefined ? { maxAnswerBytes: opts.maxAnswerBytes } : {}),
      ...(opts.maxConcurrency !== undefined ? { maxConcurrency: opts.maxConcurrency } : {}),
      ...(opts.text !== undefined ? { textMode: opts.text } : {}),
      sharedStore: opts.store ?? "memory",
      ...(opts.storePrefix !== undefined ? { storePrefix: opts.storePrefix } : {}),
      storeKeys: opts.storeKeys === true,
      ...(opts.rateLimit !== undefined ? { rateLimit: opts.rateLimit } : {}),
    });
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new UsageError(error.message);
    throw error;
  }
  io.stdout.write(`${server.url}\n`);
  io.stderr.write(
    `${palette.green("✔")} OpenAI-compatible gateway listening on ${palette.bold(server.url)}\n` +
      palette.dim(`  Base URL for OpenAI clients: ${server.url}/v1\n`) +
      palette.dim("  Press Ctrl-C to stop.\n"),
  );
  // SIGTERM (a supervisor or load balancer stopping it): the whole grace, so /health reads "draining" long
  // enough to be seen. Ctrl-C: until the running completions are done, at most the grace. A second
  // signal ends the grace at once.
  const signal = await untilSignal(() => server.app.endGrace());
  const graceMs = Math.round((opts.grace ?? 10) * 1000);
  io.stderr.write(
    palette.dim(`Shutting down (${signal}): finishing running answers for up to ${graceMs / 1000} s…\n`),
  );
  await server.close(graceMs, { hold: signal === "SIGTERM" });
}

/** Resolves with the first SIGINT or SIGTERM; later ones call `again`. The handlers stay installed. */
function untilSignal(again: () => void): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let first = true;
    const onSignal = (signal: NodeJS.Signals) => {
      if (first) {
        first = false;
        resolve(signal);
      } else {
        again();
      }
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}
