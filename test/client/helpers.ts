/**
 * Shared fixtures of the client tests: an emulator on 127.0.0.1, temporary cache folders, a recording
 * logger, and clients with short retry delays.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach } from "vitest";
import { Robocoders } from "../../src/client/index.js";
import { cacheFileName } from "../../src/client/options.js";
import type { RobocodersOptions } from "../../src/client/types.js";
import { type Emulator, type EmulatorOptions, startEmulator } from "../../src/emulator/index.js";
import { referenceText } from "../support.js";

/** Environment variables the client reads; cleared for every test so the host's settings never leak in. */
export const CLIENT_ENV = [
  "ROBOCODERS_BASE_URL",
  "ROBOCODERS_ACCESS_TOKEN",
  "ROBOCODERS_CACHE_DIR",
  "ROBOCODERS_PROXY",
  "ROBOCODERS_LOG",
  "HTTPS_PROXY",
  "https_proxy",
  "HTTP_PROXY",
  "http_proxy",
  "NO_PROXY",
  "no_proxy",
] as const;

/** Clears {@link CLIENT_ENV}; returns a function restoring it. */
export function isolateEnv(): () => void {
  const saved = new Map<string, string | undefined>();
  for (const name of CLIENT_ENV) {
    saved.set(name, process.env[name]);
    delete process.env[name];
  }
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

/** One test's world: an emulator, a temp folder, and the clients to close. */
export interface World {
  emulator: Emulator;
  dir: string;
  cacheDir: string;
  /** The cache file of the emulator's base URL in {@link cacheDir}. */
  cacheFile: string;
  client(options?: RobocodersOptions): Robocoders;
  close(): Promise<void>;
}

/** Starts an emulator and makes a temporary cache folder. */
export async function world(options: EmulatorOptions = {}): Promise<World> {
  const emulator = await startEmulator(options);
  const dir = await mkdtemp(join(tmpdir(), "robocoders-test-"));
  const cacheDir = join(dir, "cache");
  const clients: Robocoders[] = [];
  return {
    emulator,
    dir,
    cacheDir,
    cacheFile: join(cacheDir, cacheFileName(emulator.url)),
    client(clientOptions: RobocodersOptions = {}) {
      const client = new Robocoders({ baseURL: emulator.url, cacheDir, retryDelay: 10, ...clientOptions });
      clients.push(client);
      return client;
    },
    async close() {
      await Promise.all(clients.map((client) => client.close()));
      await emulator.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Registers the per-test fixture of a client test file: the environment isolated and a fresh {@link world}
 * before each test, both undone after it. The returned `World` forwards to the current test's world.
 */
export function useWorld(): World {
  let current: World | undefined;
  let restoreEnv: (() => void) | undefined;
  beforeEach(async () => {
    restoreEnv = isolateEnv();
    current = await world();
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
    restoreEnv?.();
  });
  const now = (): World => {
    if (current === undefined) throw new Error("the world exists only inside a test");
    return current;
  };
  return {
    get emulator() {
      return now().emulator;
    },
    get dir() {
      return now().dir;
    },
    get cacheDir() {
      return now().cacheDir;
    },
    get cacheFile() {
      return now().cacheFile;
    },
    client: (options) => now().client(options),
    close: () => now().close(),
  };
}

/** What the reference client yields for the chat records from `from` on (see `referenceText`). */
export function referenceOutput(emulator: Emulator, from = 0): string {
  return referenceText(emulator.chats.slice(from));
}

/** Catches the rejection of `promise` (fails when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

export { type LogRecord, recordingLogger, until } from "../support.js";
