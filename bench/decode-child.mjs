/**
 * One side of the decoding benchmark, run in its own process so its CPU time and peak RSS are its own.
 * Usage: node bench/decode-child.mjs <ours|baseline> <baseURL> <bytes> <token>
 * Prints one JSON line: {cpuMs, cpuTotalMs, maxRssKiB, wallMs, textLength, bytes}.
 */
import { performance } from "node:perf_hooks";
import { resourceUsage } from "node:process";

const [mode, baseURL, bytesArg, token] = process.argv.slice(2);
const size = Number(bytesArg);
const sid = "07f3c70b-9d2e-4b8a-a1c3-5e6f7a8b9c0d";

/** The naive client: global fetch, split the text on "\n", JSON.parse, pick args.content || message. */
async function baseline() {
  const res = await fetch(`${baseURL}/chat`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ sid, prompt: String(size), agent: "GeneralCodingAgent" }),
  });
  const decoder = new TextDecoder();
  let buffer = "";
  let textLength = 0;
  const pick = (/** @type {string} */ line) => {
    if (!line.trim()) return;
    try {
      const ev = JSON.parse(line);
      const text = ev?.args?.content || ev?.message;
      if (text) textLength += text.length;
    } catch {
      // skip malformed lines, as the reference client does
    }
  };
  if (!res.body) throw new Error("no response body");
  for await (const chunk of res.body) {
    buffer += decoder.decode(chunk, { stream: true });
    const lines = buffer.split("\n");
    buffer = lines.pop() ?? "";
    for (const line of lines) pick(line);
  }
  buffer += decoder.decode();
  pick(buffer);
  return textLength;
}

/** Our client, from the built package. */
async function ours() {
  const { Robocoders } = await import("../dist/index.js");
  const client = new Robocoders({
    baseURL,
    accessToken: token,
    cacheDir: false,
    maxContinues: 0,
    maxRetries: 0,
  });
  let textLength = 0;
  try {
    for await (const text of client.chat(String(size), { sid }).text()) textLength += text.length;
  } finally {
    await client.close();
  }
  return textLength;
}

/** Our stream decoder alone (dist/core/ndjson.js) over global fetch, with the reference text rule. */
async function decoder() {
  const { decodeEventStream } = await import("../dist/core/ndjson.js");
  const { referenceText } = await import("../dist/core/events.js");
  const res = await fetch(`${baseURL}/chat`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ sid, prompt: String(size), agent: "GeneralCodingAgent" }),
  });
  let textLength = 0;
  if (!res.body) throw new Error("no response body");
  for await (const ev of decodeEventStream(res.body)) {
    const text = referenceText(ev);
    if (text) textLength += text.length;
  }
  return textLength;
}

const run = { ours, baseline, decoder }[/** @type {"ours" | "baseline" | "decoder"} */ (mode)];
if (run === undefined) throw new Error(`unknown mode ${mode}`);
// Load our modules before the clock starts: start-up is measured by the CLI benchmark.
if (mode === "ours") await import("../dist/index.js");
if (mode === "decoder")
  await Promise.all([import("../dist/core/ndjson.js"), import("../dist/core/events.js")]);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const textLength = await run();
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const total = process.cpuUsage();
process.stdout.write(
  JSON.stringify({
    cpuMs: (cpu.user + cpu.system) / 1000,
    cpuTotalMs: (total.user + total.system) / 1000,
    maxRssKiB: resourceUsage().maxRSS,
    wallMs,
    textLength,
    bytes: size,
  }) + "\n",
);
