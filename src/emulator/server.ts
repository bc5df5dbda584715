/**
 * The emulator's HTTP server: plain `node:http`, so every byte of the `/chat` body, every chunk
 * boundary and every way of ending a connection is under control. This module only wires the parts
 * together: {@link EmulatorState} (what an instance remembers), {@link handleApiRequest} (the API),
 * {@link handleAdminRequest} (the admin API) and the request log.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { InvalidArgumentError } from "../core/errors.js";
import { loadTranscripts } from "../core/transcript.js";
import { isLoopbackHost } from "../server/bind.js";
import { ADMIN_PREFIX, handleAdminRequest } from "./admin.js";
import type { GuardSettings } from "./admin-guard.js";
import { handleApiRequest } from "./api.js";
import { replier } from "./replies.js";
import type { RequestTrace } from "./request-log.js";
import { EmulatorState } from "./state.js";
import type { Emulator, EmulatorOptions, FaultRule } from "./types.js";

/** Binds `server` to `port` on `host`; rejects with the listen error (e.g. `EADDRINUSE`). */
async function listen(
  server: ReturnType<typeof createServer>,
  port: number,
  host: string,
): Promise<{ url: string; host: string; port: number }> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = server.address();
  if (bound === null || typeof bound === "string")
    throw new Error("the emulator is not listening on a TCP port");
  const urlHost = bound.family === "IPv6" || host.includes(":") ? `[${bound.address}]` : bound.address;
  return { url: `http://${urlHost}:${bound.port}`, host: bound.address, port: bound.port };
}

/** Whether a request path belongs to the admin API. */
function isAdminPath(path: string): boolean {
  return path === ADMIN_PREFIX || path.startsWith(`${ADMIN_PREFIX}/`);
}

/** The admin guard's settings, or `undefined` when the admin API is off. */
function adminSettings(options: EmulatorOptions, host: string): GuardSettings | undefined {
  if (options.admin === undefined || options.admin === false) return undefined;
  const token = options.admin === true ? undefined : options.admin.token;
  if (token !== undefined && token.trim() === "")
    throw new InvalidArgumentError("The admin token must not be empty");
  const loopback = isLoopbackHost(host);
  if (!loopback && token === undefined) {
    throw new InvalidArgumentError(
      `Refusing to serve the admin API on ${host} without a token: anyone who can reach this address could ` +
        "change the emulator. Give admin: { token } or listen on 127.0.0.1.",
    );
  }
  return { loopback, token };
}

/**
 * Starts an emulator of the Robocoders AI API. Prints nothing; resolves once it listens.
 *
 * @throws {FaultSpecError} when `options.faults` holds a spec that does not parse.
 * @throws {InvalidArgumentError} for the admin API on a non-loopback host without a token, or a `replay`
 *   path that is missing or holds an invalid transcript line.
 * @throws the listen error (a Node.js system error such as `EADDRINUSE` or `EACCES`) when the port cannot be bound.
 * @example
 * const emulator = await startEmulator();
 * // ... point a client at emulator.url ...
 * await emulator.close();
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? "127.0.0.1";
  const admin = adminSettings(options, host);
  const replay = typeof options.replay === "string" ? await loadTranscripts(options.replay) : options.replay;
  const state = new EmulatorState(options, replay);
  const lifetime = new AbortController();
  const sockets = new Set<Socket>();
  const onRequest = options.onRequest;

  const handle = async (req: IncomingMessage, res: ServerResponse, trace: RequestTrace): Promise<void> => {
    const target = req.url ?? "/";
    const queryAt = target.indexOf("?");
    const path = queryAt === -1 ? target : target.slice(0, queryAt);
    if (admin !== undefined && isAdminPath(path)) {
      const query = new URLSearchParams(queryAt === -1 ? "" : target.slice(queryAt + 1));
      await handleAdminRequest(state, admin, req, res, path, query);
      return;
    }
    await handleApiRequest(
      { state, lifetime: lifetime.signal, admin: admin !== undefined },
      req,
      res,
      path,
      trace,
    );
  };

  const server = createServer((req, res) => {
    const started = performance.now();
    const trace: RequestTrace = { faults: [] };
    if (onRequest !== undefined) {
      res.once("close", () => {
        // After the stream's own close handler has settled the chat record's outcome.
        setImmediate(() =>
          onRequest({
            method: req.method ?? "",
            path: (req.url ?? "/").split("?")[0] ?? "/",
            status: res.headersSent ? res.statusCode : 0,
            faults: [...trace.faults],
            durationMs: performance.now() - started,
            admin: admin !== undefined && isAdminPath((req.url ?? "/").split("?")[0] ?? "/"),
            ...(trace.chat === undefined ? {} : { outcome: trace.chat.outcome }),
          }),
        );
      });
    }
    handle(req, res, trace).catch((error: unknown) => {
      if (!res.headersSent) {
        replier(res, (status) => state.countStatus("other", status)).send(
          500,
          "Internal Server Error",
          "text/plain; charset=utf-8",
        );
      } else {
        res.destroy(error instanceof Error ? error : undefined);
      }
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("clientError", (_error, socket: Socket) => {
    socket.destroy();
  });

  const address = await listen(server, options.port ?? 0, host);
  let closing: Promise<void> | undefined;

  return {
    ...address,
    adminUrl: admin === undefined ? undefined : `${address.url}${ADMIN_PREFIX}`,
    stats: state.stats,
    chats: state.chats,
    mintToken: async (mintOptions) => (await state.mintToken(mintOptions)).token,
    setFaults: (faults) => state.faults.set(faults),
    addFault(fault: FaultRule | string): void {
      state.faults.add(fault);
    },
    clearFaults: () => state.faults.clear(),
    setVerbose(verbose: boolean): void {
      state.verbose = verbose;
    },
    setLatency(latencyMs: number): void {
      if (!Number.isFinite(latencyMs) || latencyMs < 0)
        throw new InvalidArgumentError("latencyMs must be a non-negative number");
      state.latencyMs = latencyMs;
    },
    revokeTokens: () => state.tokens.revokeAll(),
    createSession: () => state.createSession(),
    hasSession: (sid: string) => state.sessions.has(sid),
    forgetSession: (sid: string) => state.sessions.delete(sid),
    reset: () => state.reset(),
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        lifetime.abort();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
