/**
 * Running the gateway on a Node HTTP server: binding, the loopback safety check and graceful shutdown.
 */
import { createServer } from "node:http";
import { getRequestListener } from "@hono/node-server";
import { InvalidArgumentError } from "../core/errors.js";
import { isMemoryStore, openStore, STORE_ENV } from "../store/open.js";
import { createApp, type GatewayApp } from "./app.js";
import { InsecureBindError, isLoopbackHost } from "./bind.js";
import {
  API_KEY_ENV,
  DEFAULT_HOST,
  DEFAULT_PORT,
  DEFAULT_SHUTDOWN_GRACE_MS,
  type ServerOptions,
} from "./options.js";

/** A running gateway. */
export interface RunningServer {
  /** The base URL, e.g. `http://127.0.0.1:1337` (the OpenAI base URL is this plus `/v1`). */
  readonly url: string;
  /** The bound host. */
  readonly host: string;
  /** The bound port (the real one when `port: 0` was asked). */
  readonly port: number;
  /** The app serving the requests. */
  readonly app: GatewayApp;
  /**
   * Shuts down gracefully: for up to `graceMs` (default: the `shutdownGraceMs` option, 10 s) the listener
   * stays open, `/health` answers 503 `{"status": "draining"}`, new chat completions get 503
   * `shutting_down` and running ones (streams included) may finish — the whole grace with `hold: true`,
   * else until none runs; then the rest are cut, every connection is closed, and the client the gateway
   * created too. Idempotent.
   */
  close(graceMs?: number, options?: { hold?: boolean }): Promise<void>;
}

/**
 * Starts the gateway: `createApp(options)` on a Node HTTP server bound to `host:port`.
 * @throws InsecureBindError for a non-loopback host without API key and without `force`.
 * @throws InvalidArgumentError for an invalid port.
 * @throws the listen error (e.g. `EADDRINUSE`) when the port cannot be bound.
 * @throws StoreUnavailableError when the store given by URL cannot be reached.
 */
export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const host = options.host ?? DEFAULT_HOST;
  const port = options.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new InvalidArgumentError(`port must be an integer between 0 and 65535, got ${port}`);
  }
  const apiKey = options.apiKey === undefined ? (process.env[API_KEY_ENV] ?? false) : options.apiKey;
  const keyed = (apiKey !== false && apiKey !== "") || options.storeKeys === true;
  if (!isLoopbackHost(host) && !keyed && options.force !== true) {
    throw new InsecureBindError(host);
  }
  const graceDefault = options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;

  // A store given by URL is opened (and checked) before listening, and closed with the server.
  const given = options.sharedStore ?? process.env[STORE_ENV];
  const ownsStore = typeof given === "string" && !isMemoryStore(given);
  const sharedStore =
    typeof given === "string"
      ? isMemoryStore(given)
        ? undefined
        : await openStore(given, {
            ...(options.storePrefix !== undefined ? { prefix: options.storePrefix } : {}),
            ...(options.logger !== undefined ? { logger: options.logger } : {}),
          })
      : given;
  const { sharedStore: _given, storePrefix: _prefix, ...rest } = options;
  let app: GatewayApp;
  try {
    app = createApp({
      ...rest,
      ...(sharedStore !== undefined ? { sharedStore } : {}),
      apiKey,
      checkHost: options.checkHost ?? isLoopbackHost(host),
    });
  } catch (error) {
    if (ownsStore) await sharedStore?.close();
    throw error;
  }
  if (ownsStore && sharedStore !== undefined) app.onClose(() => sharedStore.close());
  const server = createServer(getRequestListener(app.fetch, { hostname: host }));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    await app.close();
    throw error;
  }
  const address = server.address();
  if (address === null || typeof address === "string") {
    await app.close();
    throw new InvalidArgumentError(`The gateway is not bound to a TCP port (host ${host})`);
  }
  const urlHost = address.address.includes(":") ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  const close = (graceMs = graceDefault, closeOptions: { hold?: boolean } = {}): Promise<void> => {
    closing ??= (async () => {
      // The listener stays open through the grace: /health answers 503 "draining" and new completions
      // 503 "shutting_down", so load balancers see the shutdown; running completions may finish.
      await app.drain(graceMs, closeOptions);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Cancelled streams write their final error event; then every connection goes.
      await new Promise((resolve) => setTimeout(resolve, 50));
      server.closeAllConnections();
      await closed;
      await app.close();
      // Installed until the end, so a second signal ends the grace instead of killing the process.
      removeSignalHandlers();
    })();
    return closing;
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (closing !== undefined) app.endGrace();
    else void close(graceDefault, { hold: signal === "SIGTERM" });
  };
  const removeSignalHandlers = () => {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  };
  if (options.handleSignals === true) {
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  }

  return { url: `http://${urlHost}:${address.port}`, host: address.address, port: address.port, app, close };
}
