/**
 * Gateway: 100 concurrent streams through the OpenAI-compatible gateway against the same streams read
 * directly from the emulator. The emulator and the gateway each run in their own process; this process
 * only drives the requests. Reports the time to the first text chunk (p50/p99) of both paths, the
 * difference, and the gateway's CPU time per MiB of upstream stream.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Agent, fetch } from "undici";

/** @typedef {{ ttfc: number | undefined, bytes: number, text: string }} StreamResult */
import { startService } from "./lib/service.mjs";
import { percentile, round } from "./lib/stats.mjs";

const PROMPT = "Write a Python function that adds two numbers";
const MiB = 1 << 20;

/**
 * Reads a streamed body split into frames at `separator`: its size, the text `textOf` finds in the frames,
 * and the time from `t0` to the first frame with text.
 * @param {import("undici").Response} res
 * @param {number} t0
 * @param {string} separator
 * @param {(frame: string) => string | undefined} textOf
 * @returns {Promise<StreamResult>}
 */
async function readStream(res, t0, separator, textOf) {
  const decoder = new TextDecoder();
  let buffer = "";
  /** @type {number | undefined} */
  let ttfc;
  let bytes = 0;
  let text = "";
  if (!res.body) throw new Error("no response body");
  for await (const chunk of res.body) {
    bytes += chunk.length;
    buffer += decoder.decode(chunk, { stream: true });
    const frames = buffer.split(separator);
    buffer = frames.pop() ?? "";
    for (const frame of frames) {
      const t = textOf(frame);
      if (t) {
        ttfc ??= performance.now() - t0;
        text += t;
      }
    }
  }
  return { ttfc, bytes, text };
}

/**
 * One stream read directly: create a session, post /chat, time the first line with text.
 * @param {string} url
 * @param {string} token
 * @param {Agent} dispatcher
 * @returns {Promise<StreamResult>}
 */
async function direct(url, token, dispatcher) {
  const t0 = performance.now();
  const auth = { authorization: `Bearer ${token}` };
  const s = await fetch(`${url}/create-session`, { headers: auth, dispatcher });
  const { sid } = /** @type {{ sid: string }} */ (await s.json());
  const res = await fetch(`${url}/chat`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ sid, prompt: PROMPT, agent: "GeneralCodingAgent" }),
    dispatcher,
  });
  if (res.status !== 200) throw new Error(`direct /chat answered ${res.status}`);
  return readStream(res, t0, "\n", (line) => {
    if (!line.trim()) return undefined;
    const ev = JSON.parse(line);
    return ev?.args?.content || ev?.message;
  });
}

/**
 * One stream through the gateway: time the first SSE chunk with content.
 * @param {string} url
 * @param {Agent} dispatcher
 * @returns {Promise<StreamResult>}
 */
async function viaGateway(url, dispatcher) {
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "GeneralCodingAgent",
      stream: true,
      messages: [{ role: "user", content: PROMPT }],
    }),
    dispatcher,
  });
  if (res.status !== 200) throw new Error(`gateway answered ${res.status}: ${await res.text()}`);
  return readStream(res, t0, "\n\n", (event) => {
    // The data lines of the event; a comment (`: robocoders`, sent at the start) has none.
    const data = event
      .split("\n")
      .filter((line) => line.startsWith("data: "))
      .map((line) => line.slice("data: ".length))
      .join("\n");
    if (data === "" || data === "[DONE]") return undefined;
    const obj = JSON.parse(data);
    if (obj.error) throw new Error(`gateway stream error: ${JSON.stringify(obj.error)}`);
    return obj.choices?.[0]?.delta?.content;
  });
}

/** Runs the gateway benchmark; resolves to `{rows, details}`. */
export async function benchGateway({ rounds = 3, concurrency = 100 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "robocoders-bench-gw-"));
  const emulator = await startService(["emulator"]);
  /** @type {Awaited<ReturnType<typeof startService>> | undefined} */
  let gateway;
  const dispatcher = new Agent({ connections: concurrency * 2, keepAliveTimeout: 10_000 });
  try {
    const gw = await startService(["gateway", emulator.url, process.env.BENCH_GATEWAY_CACHE ?? dir]);
    gateway = gw;
    const page = await (await fetch(`${emulator.url}/auth`, { dispatcher })).text();
    const token = /<pre id="token">\s*([^<\s]+)\s*<\/pre>/.exec(page)?.[1];
    if (!token) throw new Error("no token on the emulator's /auth page");
    // Warm up both paths (the gateway fetches its token here).
    for (let i = 0; i < 3; i++) {
      await direct(emulator.url, token, dispatcher);
      await viaGateway(gw.url, dispatcher);
    }
    /** @type {number[]} */
    const d = [];
    /** @type {number[]} */
    const g = [];
    /** @param {StreamResult} x */
    const ttfcOf = (x) => {
      if (x.ttfc === undefined) throw new Error("a stream carried no text");
      return x.ttfc;
    };
    let upstreamBytes = 0;
    let gatewayCpuMs = 0;
    let gatewayStreams = 0;
    for (let r = 0; r < rounds; r++) {
      const dr = await Promise.all(
        Array.from({ length: concurrency }, () => direct(emulator.url, token, dispatcher)),
      );
      const cpu0 = await gw.cpuMs();
      const gr = await Promise.all(Array.from({ length: concurrency }, () => viaGateway(gw.url, dispatcher)));
      gatewayCpuMs += (await gw.cpuMs()) - cpu0;
      gatewayStreams += gr.length;
      for (const x of dr) {
        d.push(ttfcOf(x));
        upstreamBytes += x.bytes;
      }
      for (const x of gr) g.push(ttfcOf(x));
      const want = dr[0]?.text;
      const bad = gr.filter((x) => x.text !== want).length + dr.filter((x) => x.text !== want).length;
      if (bad > 0) throw new Error(`${bad} streams returned other text than the first direct stream`);
    }
    const p50d = percentile(d, 50);
    const p99d = percentile(d, 99);
    const p50g = percentile(g, 50);
    const p99g = percentile(g, 99);
    const added99 = p99g - p99d;
    const cpuPerMiB = gatewayCpuMs / (upstreamBytes / MiB);
    return {
      rows: [
        {
          figure: `gateway: time to first chunk p50, ${concurrency} concurrent (direct -> gateway)`,
          value: `${round(p50d, 1)} -> ${round(p50g, 1)} ms (+${round(p50g - p50d, 1)} ms)`,
          target: "(reported)",
          met: null,
        },
        {
          figure: `gateway: time to first chunk p99, ${concurrency} concurrent (direct -> gateway)`,
          value: `${round(p99d, 1)} -> ${round(p99g, 1)} ms (+${round(added99, 1)} ms)`,
          target: "added < 20 ms",
          met: added99 < 20,
        },
        {
          figure: "gateway: process CPU per MiB of upstream stream",
          value: `${round(cpuPerMiB, 0)} ms/MiB (${round(gatewayCpuMs / gatewayStreams, 2)} ms per stream)`,
          target: "(reported)",
          met: null,
        },
      ],
      details: {
        rounds,
        concurrency,
        directTtfcMs: { p50: round(p50d, 2), p99: round(p99d, 2) },
        gatewayTtfcMs: { p50: round(p50g, 2), p99: round(p99g, 2) },
        addedMs: { p50: round(p50g - p50d, 2), p99: round(added99, 2) },
        upstreamBytesPerStream: Math.round(upstreamBytes / (rounds * concurrency)),
        gatewayCpuMs: round(gatewayCpuMs, 1),
        gatewayCpuMsPerMiB: round(cpuPerMiB, 1),
      },
    };
  } finally {
    await gateway?.close();
    await emulator.close();
    await dispatcher.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
