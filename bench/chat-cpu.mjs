/**
 * Whole-process CPU of `robocoders chat` streaming 128 MiB of events into a pipe, against the plain
 * script of chat-baseline.mjs (fetch, split, JSON.parse, one write per network chunk) on the same stream.
 * Each side runs under /usr/bin/time, so start-up, module loading, decoding and writing all count.
 * Sides: `--raw` (the reference text), the default piped text mode (texts separated by blank lines), and
 * `--json` (every event typed and serialised), the last against `--raw` to show what typed events cost.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startNdjsonServer } from "./lib/ndjson-server.mjs";
import { median, round } from "./lib/stats.mjs";

const CLI = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
const BASELINE = fileURLToPath(new URL("./chat-baseline.mjs", import.meta.url));
const SID = "07f3c70b-9d2e-4b8a-a1c3-5e6f7a8b9c0d";
const MiB = 1 << 20;

/**
 * Runs `node args` under GNU time; resolves to {cpuMs, maxRssKiB, outBytes}. Output is counted, not kept.
 * @param {string[]} args @param {NodeJS.ProcessEnv} env @returns {Promise<{cpuMs: number, maxRssKiB: number, outBytes: number}>}
 */
function measured(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn("/usr/bin/time", ["-f", "TIME %U %S %M", process.execPath, ...args], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let outBytes = 0;
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      outBytes += chunk.length;
    });
    child.stderr.setEncoding("utf8").on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const m = /TIME ([\d.]+) ([\d.]+) (\d+)/.exec(stderr);
      if (code !== 0 || m === null) {
        reject(new Error(`${args.join(" ")} exited ${code}: ${stderr.trim().slice(0, 1000)}`));
        return;
      }
      resolve({ cpuMs: (Number(m[1]) + Number(m[2])) * 1000, maxRssKiB: Number(m[3]), outBytes });
    });
  });
}

/** Runs the benchmark; resolves to `{rows, details}`. */
export async function benchChatCpu({ runs = 5, size = 128 * MiB } = {}) {
  const server = await startNdjsonServer();
  try {
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ROBOCODERS_BASE_URL: server.url,
      ROBOCODERS_ACCESS_TOKEN: server.token,
      ROBOCODERS_CACHE_DIR: "/nonexistent-robocoders-bench",
      ROBOCODERS_CONFIG_DIR: "/nonexistent-robocoders-bench",
      NO_COLOR: "1",
    };
    /** @param {string} mode */
    const chat = (mode) => [
      CLI,
      "chat",
      ...(mode === "raw" ? ["--raw"] : mode === "json" ? ["--json"] : []),
      "--session",
      SID,
      "--no-auto-continue",
      String(size),
    ];
    const base = [];
    const raw = [];
    const text = [];
    const json = [];
    // One unmeasured round warms the caches.
    for (let i = -1; i < runs; i++) {
      const b = await measured([BASELINE, server.url, server.token, SID, String(size)], env);
      const r = await measured(chat("raw"), env);
      const t = await measured(chat("text"), env);
      const j = await measured(chat("json"), env);
      if (r.outBytes !== b.outBytes) {
        throw new Error(`--raw wrote ${r.outBytes} bytes, the baseline ${b.outBytes}`);
      }
      if (i < 0) continue;
      base.push(b);
      raw.push(r);
      text.push(t);
      json.push(j);
    }
    /** @param {Array<{cpuMs: number}>} list */
    const cpu = (list) => median(list.map((r) => r.cpuMs));
    const baseCpu = cpu(base);
    const rawCpu = cpu(raw);
    const textCpu = cpu(text);
    const jsonCpu = cpu(json);
    /** @param {string} figure @param {number} ours @param {string} target */
    const row = (figure, ours, target) => ({
      figure,
      value: `${round(ours / 1000, 2)} s / ${round(baseCpu / 1000, 2)} s = ${round(ours / baseCpu)}x`,
      target,
      met: target.startsWith("<=") ? ours / baseCpu <= Number(target.slice(3, -1)) : null,
    });
    return {
      rows: [
        row(
          `chat ${size / MiB} MiB into a pipe: whole-process CPU, --raw / plain script`,
          rawCpu,
          "<= 1.00x",
        ),
        row(
          `chat ${size / MiB} MiB into a pipe: whole-process CPU, text / plain script`,
          textCpu,
          "(reported)",
        ),
        {
          figure: `chat ${size / MiB} MiB into a pipe: whole-process CPU, typed events (--json) / --raw`,
          value: `${round(jsonCpu / 1000, 2)} s / ${round(rawCpu / 1000, 2)} s = ${round(jsonCpu / rawCpu)}x`,
          target: "(reported)",
          met: null,
        },
      ],
      details: {
        streamBytes: size,
        runs,
        baselineCpuMs: base.map((r) => round(r.cpuMs)),
        rawCpuMs: raw.map((r) => round(r.cpuMs)),
        textCpuMs: text.map((r) => round(r.cpuMs)),
        jsonCpuMs: json.map((r) => round(r.cpuMs)),
        baselineMaxRssMiB: base.map((r) => round(r.maxRssKiB / 1024, 1)),
        rawMaxRssMiB: raw.map((r) => round(r.maxRssKiB / 1024, 1)),
        outBytes: raw[0]?.outBytes,
      },
    };
  } finally {
    await server.close();
  }
}
