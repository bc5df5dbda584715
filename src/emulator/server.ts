/**
 * The emulator's HTTP server: plain `node:http`, so every byte of the `/chat` body, every chunk
 * boundary and every way of ending a connection is under control. This module only wires the parts
 * together: {@link EmulatorState} (what an instance remembers) and {@link handleApiRequest} (the API).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { handleApiRequest } from "./api.js";
import { replier } from "./replies.js";
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

/**
 * Starts an emulator of the Robocoders AI API. Prints nothing; resolves once it listens.
 *
 * @throws {FaultSpecError} when `options.faults` holds a spec that does not parse.
 * @throws the listen error (a Node.js system error such as `EADDRINUSE` or `EACCES`) when the port cannot be bound.
 * @example
 * const emulator = await startEmulator();
 * // ... point a client at emulator.url ...
 * await emulator.close();
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const state = new EmulatorState(options);
  const lifetime = new AbortController();
  const sockets = new Set<Socket>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    await handleApiRequest({ state, lifetime: lifetime.signal }, req, res, path);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
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

  const address = await listen(server, options.port ?? 0, options.host ?? "127.0.0.1");
  let closing: Promise<void> | undefined;

  return {
    ...address,
    stats: state.stats,
    chats: state.chats,
    mintToken: (mintOptions) => state.mintToken(mintOptions),
    setFaults: (faults) => state.faults.set(faults),
    addFault(fault: FaultRule | string): void {
      state.faults.add(fault);
    },
    clearFaults: () => state.faults.clear(),
    setVerbose(verbose: boolean): void {
      state.verbose = verbose;
    },
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
