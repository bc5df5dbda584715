/**
 * Gateway on Redis: the latency a shared store adds to each chat completion. Two gateways in their own
 * processes in front of one emulator, one with the memory store (the default) and one with `--store
 * redis://…` on a local redis-server (persistence off); requests alternate between them, one at a time, so
 * both see the same machine. Each conversation is two completions: a new one (concurrency slot, session
 * owner, conversation point) and a follow-up (slot, claim of the point, point of the answer). Reports the
 * whole completion time, p50 and p99, of both and the difference.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Agent, fetch } from "undici";
import { startService } from "./lib/service.mjs";
import { percentile, round } from "./lib/stats.mjs";

/** A free loopback port. @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts redis-server on a free loopback port, persistence off; resolves once it accepts connections.
 * @returns {Promise<{ url: string, close(): Promise<void> }>}
 */
async function startRedis() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "robocoders-bench-redis-"));
  const child = spawn(
    process.env.REDIS_SERVER ?? "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  await new Promise((resolve, reject) => {
    let out = "";
    child.once("error", (error) => reject(new Error(`redis-server could not start: ${error.message}`)));
    child.once("exit", (code) => reject(new Error(`redis-server exited (${code}): ${out.slice(-500)}`)));
    child.stdout.setEncoding("utf8").on("data", (chunk) => {
      out += chunk;
      if (out.includes("Ready to accept connections")) resolve(undefined);
    });
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        child.removeAllListeners("exit");
        child.once("exit", () => {
          rmSync(dir, { recursive: true, force: true });
          resolve(undefined);
        });
        child.kill("SIGTERM");
      }),
  };
}

/**
 * One non-streamed completion; resolves to its answer and the time it took, in ms.
 * @param {string} url
 * @param {Array<{ role: string, content: string }>} messages
 * @param {Agent} dispatcher
 */
async function completion(url, messages, dispatcher) {
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "GeneralCodingAgent", messages }),
    dispatcher,
  });
  const body = /** @type {any} */ (await res.json());
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`gateway answered ${res.status}: ${JSON.stringify(body)}`);
  return {
    ms,
    text: String(body.choices?.[0]?.message?.content ?? ""),
    sid: res.headers.get("x-robocoders-session"),
  };
}

/**
 * A two-turn conversation: resolves to the times of both completions; throws unless the follow-up
 * continued the first turn's session.
 * @param {string} url
 * @param {number} n
 * @param {Agent} dispatcher
 */
async function conversation(url, n, dispatcher) {
  const history = [{ role: "user", content: `Write a Python function number ${n}` }];
  const first = await completion(url, history, dispatcher);
  history.push({ role: "assistant", content: first.text }, { role: "user", content: "Add a test" });
  const second = await completion(url, history, dispatcher);
  if (second.sid !== first.sid) throw new Error(`the follow-up of conversation ${n} started a new session`);
  return [first.ms, second.ms];
}

/** Runs the benchmark; resolves to `{rows, details}`. */
export async function benchGatewayStore({ conversations = 200 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "robocoders-bench-store-"));
  const redis = await startRedis();
  const emulator = await startService(["emulator"]);
  /** @type {Array<Awaited<ReturnType<typeof startService>>>} */
  const gateways = [];
  const dispatcher = new Agent({ connections: 8, keepAliveTimeout: 10_000 });
  try {
    const memory = await startService(["gateway", emulator.url, join(dir, "memory")]);
    gateways.push(memory);
    const shared = await startService(["gateway", emulator.url, join(dir, "redis")], {
      ...process.env,
      BENCH_GATEWAY_STORE: redis.url,
      BENCH_GATEWAY_STORE_PREFIX: "bench:",
    });
    gateways.push(shared);
    // Warm up both (tokens, connections, JIT).
    for (let i = 0; i < 20; i++) {
      await conversation(memory.url, -i, dispatcher);
      await conversation(shared.url, -i, dispatcher);
    }
    /** @type {number[]} */
    const m = [];
    /** @type {number[]} */
    const r = [];
    for (let i = 0; i < conversations; i++) {
      // Alternate which goes first, so neither always follows the other.
      if (i % 2 === 0) {
        m.push(...(await conversation(memory.url, i, dispatcher)));
        r.push(...(await conversation(shared.url, i, dispatcher)));
      } else {
        r.push(...(await conversation(shared.url, i, dispatcher)));
        m.push(...(await conversation(memory.url, i, dispatcher)));
      }
    }
    const p50m = percentile(m, 50);
    const p99m = percentile(m, 99);
    const p50r = percentile(r, 50);
    const p99r = percentile(r, 99);
    return {
      rows: [
        {
          figure: `gateway on Redis: completion time p50, ${m.length} completions (memory -> redis)`,
          value: `${round(p50m, 2)} -> ${round(p50r, 2)} ms (+${round(p50r - p50m, 2)} ms)`,
          target: "(reported)",
          met: null,
        },
        {
          figure: `gateway on Redis: completion time p99, ${m.length} completions (memory -> redis)`,
          value: `${round(p99m, 2)} -> ${round(p99r, 2)} ms (+${round(p99r - p99m, 2)} ms)`,
          target: "(reported)",
          met: null,
        },
      ],
      details: {
        conversations,
        completions: m.length,
        memoryMs: { p50: round(p50m, 2), p99: round(p99m, 2) },
        redisMs: { p50: round(p50r, 2), p99: round(p99r, 2) },
        addedMs: { p50: round(p50r - p50m, 2), p99: round(p99r - p99m, 2) },
      },
    };
  } finally {
    await Promise.all(gateways.map((gateway) => gateway.close()));
    await emulator.close();
    await redis.close();
    await dispatcher.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
