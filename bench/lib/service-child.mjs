/**
 * A benchmark service in its own process, so its CPU time is its own: `emulator` (the API emulator) or
 * `gateway|floor <upstreamURL> <cacheDir> [maxContinues]` (the OpenAI-compatible gateway in front of it,
 * or a bare SSE pass-through over the same client; the gateway's shared store from `BENCH_GATEWAY_STORE`).
 * Prints
 * `{"url": ...}` on stdout once listening, then answers `cpu` lines on stdin with
 * `{"cpuMs": ...}` (CPU time of this process so far) and exits on `exit`.
 */
import { createServer } from "node:http";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createInterface } from "node:readline";

const [kind, upstream, cacheDir, latencyOrContinues] = process.argv.slice(2);
// The emulator's 4th argument is its latency; a gateway's or floor's is how many automatic "continue"s
// it sends when the agent waits for a reply (default 0).
const latency = latencyOrContinues;
const maxContinues = Number(latencyOrContinues ?? 0);
let close;
let url;
if (kind === "emulator") {
  const { startEmulator } = await import("../../dist/emulator/index.js");
  const emulator = await startEmulator({ port: 0, latencyMs: Number(latency ?? 0) });
  url = emulator.url;
  close = () => emulator.close();
} else if (kind === "gateway") {
  const { startServer } = await import("../../dist/server/index.js");
  const server = await startServer({
    port: 0,
    logLevel: "off",
    apiKey: false,
    clientOptions: { baseURL: upstream, cacheDir: cacheDir === "false" ? false : cacheDir, maxContinues },
    maxConcurrency: 100_000,
    // BENCH_GATEWAY_STORE: the gateway's shared store (e.g. redis://127.0.0.1:6379), as --store.
    ...(process.env.BENCH_GATEWAY_STORE ? { sharedStore: process.env.BENCH_GATEWAY_STORE } : {}),
    ...(process.env.BENCH_GATEWAY_STORE_PREFIX
      ? { storePrefix: process.env.BENCH_GATEWAY_STORE_PREFIX }
      : {}),
  });
  url = server.url;
  close = () => server.close(0);
} else if (kind === "floor") {
  // The floor: a bare node:http SSE pass-through over the same client, no checks, no affinity, no logging.
  const { Robocoders } = await import("../../dist/index.js");
  const client = new Robocoders({
    baseURL: upstream,
    cacheDir: cacheDir === "false" ? false : cacheDir,
    maxContinues,
    logLevel: "off",
  });
  const server = createServer(async (req, res) => {
    if (req.url === "/health") {
      res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
      return;
    }
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    const controller = new AbortController();
    res.on("close", () => controller.abort());
    res.writeHead(200, { "content-type": "text/event-stream" });
    try {
      const stream = client.chat(body.messages.at(-1).content, {
        newSession: true,
        persistSession: false,
        signal: controller.signal,
      });
      for await (const text of stream.text()) {
        res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: text } }] })}\n\n`);
      }
      res.end("data: [DONE]\n\n");
    } catch {
      res.destroy();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await client.close();
  };
} else {
  throw new Error(`unknown service ${kind}`);
}
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
process.stdout.write(JSON.stringify({ url }) + "\n");
for await (const line of createInterface({ input: process.stdin })) {
  if (line === "cpu") {
    const u = process.cpuUsage();
    process.stdout.write(JSON.stringify({ cpuMs: (u.user + u.system) / 1000 }) + "\n");
  } else if (line === "mem") {
    globalThis.gc?.();
    const m = process.memoryUsage();
    // Open TCP sockets (clients' and upstream), to check the streams being measured are really open.
    const sockets = process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap").length;
    process.stdout.write(JSON.stringify({ rss: m.rss, heap: m.heapUsed + m.external, sockets }) + "\n");
  } else if (line === "eld") {
    process.stdout.write(
      JSON.stringify({ p99Ms: delay.percentile(99) / 1e6, maxMs: delay.max / 1e6 }) + "\n",
    );
    delay.reset();
  } else if (line === "exit") {
    break;
  }
}
await close();
process.exit(0);
