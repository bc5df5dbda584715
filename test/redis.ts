/**
 * A real `redis-server` (Debian's package; `.ci/run` installs it) for the tests: started on a free loopback
 * port with persistence off, stopped, killed or restarted on the same port by the test.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";

/** The binary: `REDIS_SERVER`, else `redis-server` on the PATH. */
const BINARY = process.env.REDIS_SERVER ?? "redis-server";

/** A running test server. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Whether the process is running. */
  readonly running: boolean;
  /** Stops it (SIGTERM) and waits for the exit. */
  stop(): Promise<void>;
  /** Kills it (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /** Freezes it (SIGSTOP): connected, but answering nothing. `resume()` undoes it. */
  freeze(): void;
  /** Resumes a frozen server (SIGCONT). */
  resume(): void;
  /** Starts it again on the same port (empty: persistence is off). */
  start(): Promise<void>;
  /** Stops it and starts it again. */
  restart(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (free when asked; the caller binds it soon after). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function launch(port: number, dir: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      BINARY,
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        dir,
        "--daemonize",
        "no",
        "--loglevel",
        "notice",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (output.includes("Ready to accept connections")) {
        child.stdout?.off("data", onData);
        child.off("exit", onExit);
        child.stdout?.resume();
        resolve(child);
      }
    };
    const onExit = (code: number | null) =>
      reject(new Error(`redis-server exited (${code}) before it was ready:\n${output.slice(-2000)}`));
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    child.once("exit", onExit);
    child.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "ENOENT"
          ? new Error(
              `${BINARY} not found: install Debian's redis-server package (apt-get install redis-server; .ci/run does it)`,
            )
          : error,
      ),
    );
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** Starts a server on a free loopback port (retrying when another process took the port meanwhile). */
export async function startRedis(): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), "robocoders-redis-"));
  let child: ChildProcess | undefined;
  let port = 0;
  for (let attempt = 0; child === undefined; attempt++) {
    port = await freePort();
    try {
      child = await launch(port, dir);
    } catch (error) {
      if (attempt >= 4 || (error instanceof Error && error.message.includes("not found"))) throw error;
    }
  }
  const onExit = () => child?.kill("SIGKILL");
  process.once("exit", onExit);
  const halt = async (signal: NodeJS.Signals) => {
    const running = child;
    child = undefined;
    if (running === undefined) return;
    running.kill("SIGCONT");
    running.kill(signal);
    await exited(running);
  };
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    get running() {
      return child !== undefined;
    },
    stop: () => halt("SIGTERM"),
    kill: () => halt("SIGKILL"),
    freeze: () => child?.kill("SIGSTOP"),
    resume: () => child?.kill("SIGCONT"),
    start: async () => {
      if (child !== undefined) return;
      child = await launch(port, dir);
    },
    restart: async () => {
      await server.stop();
      await server.start();
    },
  };
  afterCleanup.set(server, async () => {
    process.off("exit", onExit);
    await halt("SIGTERM");
    await rm(dir, { recursive: true, force: true });
  });
  return server;
}

const afterCleanup = new Map<RedisServer, () => Promise<void>>();

/** Stops a server for good and removes its directory. */
export async function disposeRedis(server: RedisServer): Promise<void> {
  await afterCleanup.get(server)?.();
  afterCleanup.delete(server);
}

/** One server for the test file: started before its tests, stopped after them. */
export function useRedis(): () => RedisServer {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    if (server !== undefined) await disposeRedis(server);
  });
  return () => {
    if (server === undefined) throw new Error("useRedis(): the server is not started yet");
    return server;
  };
}
