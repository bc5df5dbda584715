/**
 * The default transport (`node:http` with a keep-alive agent) at its edges, against a hand-driven upstream:
 * idle timeouts before the headers and inside the body, connection reuse, aborts and early exits that close
 * the connection at once, a cut body; and that a chat through `dist/` never loads undici.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Robocoders } from "../../src/client/index.js";
import type { RobocodersOptions } from "../../src/client/types.js";
import {
  APIConnectionError,
  APITimeoutError,
  APIUserAbortError,
  StreamError,
} from "../../src/core/errors.js";
import type { RobocodersEvent } from "../../src/core/events.js";
import { startEmulator } from "../../src/emulator/index.js";
import { cliEnv, ensureBuilt, ROOT, tempDir } from "../cli/helpers.js";
import { runRecordingModules } from "../support.js";
import { isolateEnv, rejection } from "./helpers.js";

/** One NDJSON event line as the service writes it. */
const line = (n: number) => `${JSON.stringify({ type: "message", message: `part ${n} ` })}\n`;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A hand-driven upstream: each `/chat` request goes to `handler`; counts connections and their closes. */
interface Upstream {
  url: string;
  handler: Handler;
  connections: Socket[];
  /** Resolves when connection number `index` (0-based) is closed. */
  closed(index: number): Promise<void>;
  close(): Promise<void>;
}

async function upstream(): Promise<Upstream> {
  const connections: Socket[] = [];
  const closes: Promise<void>[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => state.handler(req, res));
  });
  server.on("connection", (socket: Socket) => {
    connections.push(socket);
    closes.push(new Promise((resolve) => socket.once("close", () => resolve())));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const state: Upstream = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    handler: (_req, res) => res.end(),
    connections,
    closed: (index) => closes[index] ?? Promise.reject(new Error(`no connection ${index}`)),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return state;
}

/** Starts an NDJSON response. */
function stream(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "application/x-ndjson" });
}

let up: Upstream;
let restoreEnv: () => void;
const clients: Robocoders[] = [];

function client(options: RobocodersOptions = {}): Robocoders {
  const created = new Robocoders({
    baseURL: up.url,
    accessToken: "test-token",
    cacheDir: false,
    maxContinues: 0,
    maxRetries: 0,
    ...options,
  });
  clients.push(created);
  return created;
}

async function collect(events: AsyncIterable<RobocodersEvent>, into: RobocodersEvent[]): Promise<void> {
  for await (const event of events) into.push(event);
}

beforeEach(async () => {
  restoreEnv = isolateEnv();
  up = await upstream();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((each) => each.close()));
  await up.close();
  restoreEnv();
});

describe("default transport", () => {
  it("reuses one keep-alive connection for sequential requests", async () => {
    up.handler = (_req, res) => {
      stream(res);
      res.end(line(1) + line(2));
    };
    const c = client();
    expect(await c.chat("a", { sid: "s" }).finalText()).toBe("part 1 part 2 ");
    expect(await c.chat("b", { sid: "s" }).finalText()).toBe("part 1 part 2 ");
    expect(await c.chat("c", { sid: "s" }).finalText()).toBe("part 1 part 2 ");
    expect(up.connections.length).toBe(1);
  });

  it("close() closes the pooled connections", async () => {
    up.handler = (_req, res) => {
      stream(res);
      res.end(line(1));
    };
    const c = client();
    await c.chat("a", { sid: "s" }).finalText();
    expect(up.connections[0]?.destroyed).toBe(false);
    await c.close();
    await up.closed(0);
  });

  it("an idle timeout before the headers is an idle APITimeoutError", async () => {
    up.handler = () => undefined; // never answers
    const error = await rejection(client({ idleTimeout: 200 }).chat("a", { sid: "s" }).finalText());
    expect(error).toBeInstanceOf(APITimeoutError);
    expect((error as APITimeoutError).kind).toBe("idle");
    await up.closed(0);
  });

  it("a silence inside the body is an idle APITimeoutError after the events before it", async () => {
    up.handler = (_req, res) => {
      stream(res);
      res.write(line(1) + line(2));
    };
    const events: RobocodersEvent[] = [];
    const error = await rejection(collect(client({ idleTimeout: 200 }).chat("a", { sid: "s" }), events));
    expect(error).toBeInstanceOf(APITimeoutError);
    expect((error as APITimeoutError).kind).toBe("idle");
    expect(events.map((event) => event.raw.message)).toEqual(["part 1 ", "part 2 "]);
    await up.closed(0);
  });

  it("the idle timeout does not outlive a finished response on a pooled connection", async () => {
    up.handler = (_req, res) => {
      stream(res);
      res.end(line(1));
    };
    const c = client({ idleTimeout: 100 });
    await c.chat("a", { sid: "s" }).finalText();
    // Longer than the idle timeout on the now idle connection: the next request must still reuse it.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await c.chat("b", { sid: "s" }).finalText()).toBe("part 1 ");
    expect(up.connections.length).toBe(1);
  });

  it("an abort mid-body is an APIUserAbortError and closes the connection", async () => {
    up.handler = (_req, res) => {
      stream(res);
      res.write(line(1));
    };
    const controller = new AbortController();
    const chat = client().chat("a", { sid: "s", signal: controller.signal });
    const error = await rejection(
      (async () => {
        for await (const _event of chat) controller.abort();
      })(),
    );
    expect(error).toBeInstanceOf(APIUserAbortError);
    await up.closed(0);
  });

  it("leaving for-await early destroys the connection at once, and the next request opens another", async () => {
    up.handler = (_req, res) => {
      stream(res);
      res.write(line(1));
    };
    const c = client();
    for await (const _event of c.chat("a", { sid: "s" })) break;
    await up.closed(0);
    up.handler = (_req, res) => {
      stream(res);
      res.end(line(7));
    };
    expect(await c.chat("b", { sid: "s" }).finalText()).toBe("part 7 ");
    expect(up.connections.length).toBe(2);
  });

  it("a connection cut mid-line is a StreamError after every whole event", async () => {
    up.handler = (_req, res) => {
      stream(res);
      res.write(`${line(1)}${line(2)}{"type": "mess`, () => res.socket?.destroy());
    };
    const events: RobocodersEvent[] = [];
    const error = await rejection(collect(client().chat("a", { sid: "s" }), events));
    expect(error).toBeInstanceOf(StreamError);
    expect((error as StreamError).code).toBe("stream_truncated");
    expect((error as StreamError).eventsDelivered).toBe(2);
    expect(events.length).toBe(2);
  });

  it("a connection reset before the response is a retried APIConnectionError", async () => {
    up.handler = (req) => req.socket.destroy();
    const error = await rejection(
      client({ maxRetries: 1, retryDelay: 1 }).chat("a", { sid: "s" }).finalText(),
    );
    expect(error).toBeInstanceOf(APIConnectionError);
    expect(up.connections.length).toBe(2);
  });

  it("a large error body is read up to the limit and the connection is dropped, not reused", async () => {
    up.handler = (_req, res) => {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end("x".repeat(1024 * 1024));
    };
    const c = client();
    const error = await rejection(c.chat("a", { sid: "s" }).finalText());
    expect((error as { status?: number }).status).toBe(500);
    await up.closed(0);
  });
});

describe("undici stays unloaded on the default path", () => {
  /** The modules a child running `script` resolved; the run must succeed and print the answer. */
  async function loadedModules(script: string | string[], env: Record<string, string>): Promise<string> {
    const result = await runRecordingModules(script, cliEnv(env));
    expect(result.stderr).toBe("");
    expect(result.stdout.length).toBeGreaterThan(0);
    expect(result.status).toBe(0);
    return result.loaded;
  }

  it("a warm-cache chat through dist/ (library and CLI) never loads undici; a proxy does", async () => {
    ensureBuilt();
    const emulator = await startEmulator({ host: "127.0.0.1", port: 0 });
    const cache = tempDir();
    try {
      const env = { ROBOCODERS_BASE_URL: emulator.url, ROBOCODERS_CACHE_DIR: cache.path };
      const library = `import { Robocoders } from ${JSON.stringify(join(ROOT, "dist", "index.js"))};
const client = new Robocoders();
process.stdout.write(await client.chat("Write a Python script that adds two numbers").finalText());
await client.close();\n`;
      // Cold: fills the cache (token and session).
      expect(await loadedModules(library, env)).toContain("/dist/client/robocoders.js");
      const warm = await loadedModules(library, env);
      expect(warm).toContain("/dist/client/node-wire.js");
      expect(warm).not.toContain("/node_modules/undici/");
      expect(warm).not.toContain("/dist/client/undici-wire.js");

      const viaCli = await loadedModules(
        [join(ROOT, "dist", "cli", "main.js"), "chat", "Write a Python script that adds two numbers"],
        env,
      );
      expect(viaCli).toContain("/dist/client/node-wire.js");
      expect(viaCli).not.toContain("/node_modules/undici/");

      // The hook does see undici when a proxy setting selects it (ROBOCODERS_PROXY pointing at nothing
      // would fail the chat, so use NO_PROXY to bypass the proxy for the emulator).
      const proxied = await loadedModules(library, {
        ...env,
        HTTP_PROXY: "http://127.0.0.1:9",
        NO_PROXY: "127.0.0.1",
      });
      expect(proxied).toContain("/node_modules/undici/");
    } finally {
      cache.remove();
      await emulator.close();
    }
  }, 120_000);
});
