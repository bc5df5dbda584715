/**
 * Gateway at scale: N concurrent long-lived streams (the emulator's `latencyMs` makes each answer sparse:
 * one event every few seconds), through the gateway and through the floor — a bare node:http SSE
 * pass-through over the same client, without checks, affinity or logging. Each runs in its own process
 * (started with --expose-gc), the emulator in a third, this process only drives.
 *
 * Per target and N (1,000 and 5,000 open streams): memory per open stream after a GC, over the idle
 * baseline — RSS, and the V8 heap in use plus external memory —, `/health` latency p99 and the event-loop delay p99 (`monitorEventLoopDelay`) while the
 * streams are open, and the time to the first text chunk. Then 100 simultaneous new conversations on an
 * idle target: time to the first text chunk, p50/p99.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { startService } from "./lib/service.mjs";
import { percentile, round } from "./lib/stats.mjs";

const LATENCY_MS = 8000;
const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Opens one stream; resolves `{ttfc, close}` once the first text chunk arrived (or rejects).
 * @param {string} base
 * @param {Agent} agent
 * @param {string} content
 * @returns {Promise<{ ttfc: number, close(): void }>}
 */
function openStream(base, agent, content) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const body = JSON.stringify({
      model: "GeneralCodingAgent",
      stream: true,
      messages: [{ role: "user", content }],
    });
    const req = request(
      `${base}/v1/chat/completions`,
      {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`status ${res.statusCode}`));
          res.resume();
          return;
        }
        let done = false;
        res.setEncoding("utf8");
        res.on("data", (chunk) => {
          if (!done && /"content":"[^"]/.test(chunk)) {
            done = true;
            resolve({ ttfc: performance.now() - t0, close: () => req.destroy() });
          }
        });
        res.on("error", () => undefined);
        res.on("end", () => {
          if (!done) reject(new Error("stream ended before any text"));
        });
      },
    );
    req.on("error", (error) => reject(error));
    req.end(body);
  });
}

/**
 * /health latency p99 over `count` sequential requests.
 * @param {string} base
 * @param {Agent} agent
 */
async function healthP99(base, agent, count = 100) {
  const times = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await new Promise((resolve, reject) => {
      const req = request(`${base}/health`, { agent }, (res) => {
        res.resume();
        res.on("end", resolve);
      });
      req.on("error", reject);
      req.end();
    });
    times.push(performance.now() - t0);
    await sleep(10);
  }
  return percentile(times, 99);
}

/**
 * @param {string} kind
 * @param {string} emulatorUrl
 * @param {number} n
 * @param {string} dir
 */
async function measure(kind, emulatorUrl, n, dir) {
  // One automatic "continue": the agent's first turn is a quick question, the work turn after it is the
  // long, sparse stream (an event every LATENCY_MS) that keeps the connection open while it is measured.
  const service = await startService([kind, emulatorUrl, join(dir, `${kind}-${n}`), "1"], process.env, [
    "--expose-gc",
  ]);
  const agent = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
  const healthAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  const open = [];
  try {
    // Warm up (token, code paths), then the idle baseline.
    const warm = await Promise.all(
      Array.from({ length: 20 }, () => openStream(service.url, agent, "warm up")),
    );
    for (const s of warm) s.close();
    await sleep(300);
    const mem0 = await service.memory();
    const ttfc = [];
    for (let i = 0; i < n; i += 250) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(250, n - i) }, (_, j) =>
          openStream(service.url, agent, `stream ${i + j}`),
        ),
      );
      for (const s of batch) {
        open.push(s);
        ttfc.push(s.ttfc);
      }
    }
    await service.eventLoopDelay(); // reset
    const health = await healthP99(service.url, healthAgent);
    const eld = await service.eventLoopDelay();
    const mem1 = await service.memory();
    return {
      rssPerStreamKB: (mem1.rss - mem0.rss) / n / 1024,
      // RSS moves in the allocator's large steps; the heap in use (plus buffers) is what the code holds.
      heapPerStreamKB: (mem1.heap - mem0.heap) / n / 1024,
      openSockets: mem1.sockets - mem0.sockets,
      healthP99Ms: health,
      eventLoopP99Ms: eld.p99Ms,
      ttfcP50Ms: percentile(ttfc, 50),
      ttfcP99Ms: percentile(ttfc, 99),
    };
  } finally {
    for (const s of open) s.close();
    agent.destroy();
    healthAgent.destroy();
    await service.close();
  }
}

/**
 * @param {string} kind
 * @param {string} emulatorUrl
 * @param {string} dir
 */
async function newConversations(kind, emulatorUrl, dir) {
  const service = await startService([kind, emulatorUrl, join(dir, `${kind}-new`)]);
  const agent = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
  try {
    for (const s of await Promise.all(
      Array.from({ length: 10 }, () => openStream(service.url, agent, "warm")),
    ))
      s.close();
    const streams = await Promise.all(
      Array.from({ length: 100 }, (_, i) => openStream(service.url, agent, `new ${i}`)),
    );
    for (const s of streams) s.close();
    const t = streams.map((s) => s.ttfc);
    return { p50: percentile(t, 50), p99: percentile(t, 99) };
  } finally {
    agent.destroy();
    await service.close();
  }
}

/** Runs the scale benchmark; resolves to `{rows, details}`. */
export async function benchGatewayScale({ sizes = [1000, 5000] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "robocoders-bench-scale-"));
  const sparse = await startService(["emulator", "", "", String(LATENCY_MS)]);
  const quick = await startService(["emulator"]);
  /** @type {Record<string, any>} */
  const details = {};
  /** @type {any[]} */
  const rows = [];
  try {
    for (const n of sizes) {
      const floor = await measure("floor", sparse.url, n, dir);
      const gateway = await measure("gateway", sparse.url, n, dir);
      details[n] = { floor, gateway };
      const ratio = gateway.rssPerStreamKB / floor.rssPerStreamKB;
      rows.push(
        {
          figure: `gateway scale: RSS per open stream, ${n} streams (floor -> gateway)`,
          value: `${round(floor.rssPerStreamKB, 1)} -> ${round(gateway.rssPerStreamKB, 1)} KB (${round(ratio, 2)}x; sockets open ${floor.openSockets} -> ${gateway.openSockets})`,
          target: "<= 1.2x floor",
          // Each open stream holds two sockets (the caller's and upstream's): fewer means streams ended early.
          met: ratio <= 1.2 && Math.min(floor.openSockets, gateway.openSockets) >= 2 * n,
        },
        {
          figure: `gateway scale: heap + buffers per open stream, ${n} streams (floor -> gateway)`,
          value: `${round(floor.heapPerStreamKB, 1)} -> ${round(gateway.heapPerStreamKB, 1)} KB (${round(gateway.heapPerStreamKB / floor.heapPerStreamKB, 2)}x)`,
          target: "(reported)",
          met: null,
        },
        {
          figure: `gateway scale: /health p99 with ${n} open streams (floor -> gateway)`,
          value: `${round(floor.healthP99Ms, 1)} -> ${round(gateway.healthP99Ms, 1)} ms (event loop p99 ${round(floor.eventLoopP99Ms, 1)} -> ${round(gateway.eventLoopP99Ms, 1)} ms)`,
          target: n >= 5000 ? "< 50 ms" : "(reported)",
          met: n >= 5000 ? gateway.healthP99Ms < 50 : null,
        },
        {
          figure: `gateway scale: first text chunk p50/p99 while opening ${n} streams (floor -> gateway)`,
          value: `${round(floor.ttfcP50Ms, 0)}/${round(floor.ttfcP99Ms, 0)} -> ${round(gateway.ttfcP50Ms, 0)}/${round(gateway.ttfcP99Ms, 0)} ms`,
          target: "(reported)",
          met: null,
        },
      );
    }
    const floorNew = await newConversations("floor", quick.url, dir);
    const gatewayNew = await newConversations("gateway", quick.url, dir);
    details.newConversations = { floor: floorNew, gateway: gatewayNew };
    rows.push({
      figure:
        "gateway scale: 100 simultaneous new conversations, first text chunk p50/p99 (floor -> gateway)",
      value: `${round(floorNew.p50, 0)}/${round(floorNew.p99, 0)} -> ${round(gatewayNew.p50, 0)}/${round(gatewayNew.p99, 0)} ms`,
      target: "(reported)",
      met: null,
    });
    return { rows, details: { latencyMs: LATENCY_MS, ...details } };
  } finally {
    await sparse.close();
    await quick.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
