/** `robocoders emulate`: runs the API emulator until Ctrl-C or SIGTERM. */
import { errorCode } from "../../internal/values.js";
import type { CliIO, GlobalOptions } from "../context.js";
import { paletteFor } from "../context.js";
import { UsageError } from "../exit-codes.js";

/** Options of `robocoders emulate`. */
export interface EmulateOptions {
  /** `--host <host>`. Default: `127.0.0.1`. */
  host: string;
  /** `--port <port>`. Default: 8787 (0 picks a free port). */
  port: number;
  /** `--verbose-events`: streams include observations and `agent_state_changed`. Default: false. */
  verboseEvents?: boolean;
  /** `--latency <ms>`: pause between events. Default: 0. */
  latency?: number;
  /** `--fault <spec>`: instance-wide fault rules (repeatable). Default: none. */
  fault?: string[];
  /** `--log`: one line per request on stderr. Default: false. */
  log?: boolean;
  /** `--replay <path>`: answer `/chat` from the transcripts in this file or folder. Default: none. */
  replay?: string;
  /** `--no-admin` sets this to false (no admin API). Default: true. */
  admin?: boolean;
  /** `--admin-token <token>` (or `ROBOCODERS_EMULATOR_ADMIN_TOKEN`): the admin API's token. Default: none. */
  adminToken?: string;
}

/**
 * The admin API setting for the options: off with `--no-admin`; with a token when one is given; on
 * without one only on a loopback host (elsewhere anyone who can reach the port could drive it).
 */
export function adminSetting(
  opts: Pick<EmulateOptions, "admin" | "adminToken">,
  loopback: boolean,
): boolean | { token: string } {
  if (opts.admin === false) return false;
  const token = opts.adminToken?.trim();
  if (token !== undefined && token !== "") return { token };
  return loopback;
}

/** Resolves when the process gets SIGINT or SIGTERM. */
export function untilStopped(): Promise<string> {
  return new Promise((resolve) => {
    let stopping = false;
    // The handlers stay installed while the command shuts down: removing them would hand a second signal to
    // Node's default (or to another module's exit hook that re-raises it) and kill the process mid-cleanup.
    // A second Ctrl-C forces the exit.
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) process.exit(130);
      stopping = true;
      resolve(signal);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}

/** A listen failure (`EADDRINUSE`, `EACCES`, ...) in a user's words, or `undefined` for other errors. */
export function listenFailure(error: unknown, host: string, port: number): UsageError | undefined {
  const code = errorCode(error);
  const where = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  switch (code) {
    case "EADDRINUSE":
      return new UsageError(
        `Cannot listen on ${where}: the port is already in use`,
        "Stop the program using it, or pick another port with --port (0 picks a free one).",
      );
    case "EACCES":
    case "EPERM":
      return new UsageError(
        `Cannot listen on ${where}: permission denied`,
        "Ports below 1024 need privileges; pick another port with --port.",
      );
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new UsageError(
        `Cannot listen on ${where}: no such local address`,
        "Pick an address of this machine with --host (default 127.0.0.1).",
      );
    default:
      return undefined;
  }
}

/** Runs `robocoders emulate`. */
export async function runEmulate(opts: EmulateOptions, globals: GlobalOptions, io: CliIO): Promise<void> {
  const { FaultSpecError, formatRequestLogLine, parseFaultSpec, startEmulator } = await import(
    "../../emulator/index.js"
  );
  const { isLoopbackHost } = await import("../../server/bind.js");
  const { loadTranscripts } = await import("../../core/transcript.js");
  const { InvalidArgumentError } = await import("../../core/errors.js");
  const faults = opts.fault ?? [];
  for (const spec of faults) {
    try {
      parseFaultSpec(spec);
    } catch (error) {
      if (!(error instanceof FaultSpecError)) throw error;
      throw new UsageError(
        `Invalid --fault ${JSON.stringify(spec)}: ${error.message}`,
        "Fault specs are described in docs/emulator.md, e.g. --fault 'status=503, count=1'.",
      );
    }
  }
  if (opts.adminToken !== undefined && opts.adminToken.trim() === "")
    throw new UsageError("--admin-token must not be empty");
  const admin = adminSetting(opts, isLoopbackHost(opts.host));
  let replay: Awaited<ReturnType<typeof loadTranscripts>> | undefined;
  if (opts.replay !== undefined) {
    try {
      replay = await loadTranscripts(opts.replay);
    } catch (error) {
      if (!(error instanceof InvalidArgumentError)) throw error;
      throw new UsageError(
        `Invalid --replay: ${error.message}`,
        "Pass a transcript written by `robocoders chat --record`.",
      );
    }
  }
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  try {
    emulator = await startEmulator({
      host: opts.host,
      port: opts.port,
      verbose: opts.verboseEvents === true,
      latencyMs: opts.latency ?? 0,
      admin,
      ...(replay === undefined ? {} : { replay }),
      ...(faults.length > 0 ? { faults } : {}),
      ...(opts.log === true
        ? { onRequest: (entry) => void io.stderr.write(`${formatRequestLogLine(entry)}\n`) }
        : {}),
    });
  } catch (error) {
    throw listenFailure(error, opts.host, opts.port) ?? error;
  }
  const c = paletteFor(io.stderr, io.env, globals.color);
  io.stdout.write(`${emulator.url}\n`);
  const adminLine =
    emulator.adminUrl !== undefined
      ? `  Admin API: ${emulator.adminUrl}/stats, /chats, /faults, ... (see /openapi.json)\n`
      : opts.admin === false
        ? ""
        : `  Admin API off: ${opts.host} is not a loopback address; give --admin-token to turn it on.\n`;
  io.stderr.write(
    `${c.green("✔")} Robocoders emulator listening on ${c.bold(emulator.url)}\n` +
      c.dim(`  Use it with: ROBOCODERS_BASE_URL=${emulator.url} robocoders chat "hello"\n`) +
      (replay === undefined
        ? ""
        : c.dim(`  Replaying ${replay.length} recorded /chat exchange(s) from ${opts.replay}\n`)) +
      (adminLine === "" ? "" : c.dim(adminLine)) +
      c.dim("  Press Ctrl-C to stop.\n"),
  );
  await untilStopped();
  await emulator.close();
  io.stderr.write(c.dim("Emulator stopped.\n"));
}
