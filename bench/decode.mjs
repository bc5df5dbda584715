/**
 * Stream decoding: our client against a naive baseline (global fetch, split on "\n", JSON.parse, pick
 * args.content || message) on the same stream, each side in its own process; plus peak RSS of our
 * client on a 16 MiB and a 256 MiB stream.
 */
import { fileURLToPath } from "node:url";
import { planStream, startNdjsonServer } from "./lib/ndjson-server.mjs";
import { runJson } from "./lib/proc.mjs";
import { median, round } from "./lib/stats.mjs";

const CHILD = fileURLToPath(new URL("./decode-child.mjs", import.meta.url));
const MiB = 1 << 20;

/**
 * @param {Awaited<ReturnType<typeof startNdjsonServer>>} server
 * @param {string} mode
 * @param {number} bytes
 */
async function side(server, mode, bytes) {
  const r = await runJson(process.execPath, [CHILD, mode, server.url, String(bytes), server.token]);
  const expected = planStream(server.block, bytes).textLength;
  if (r.textLength !== expected) {
    throw new Error(
      `${mode} read ${r.textLength} text characters from a ${bytes}-byte stream, expected ${expected}`,
    );
  }
  return r;
}

/** Runs the decoding benchmark; resolves to `{rows, details}`. */
export async function benchDecode({ runs = 5 } = {}) {
  const server = await startNdjsonServer();
  try {
    const size = 32 * MiB;
    const ours = [];
    const base = [];
    const dec = [];
    // Warm the page cache and the server once per side.
    await side(server, "baseline", 4 * MiB);
    await side(server, "ours", 4 * MiB);
    for (let i = 0; i < runs; i++) {
      // Alternate the order so drift affects both sides alike.
      if (i % 2 === 0) {
        base.push(await side(server, "baseline", size));
        ours.push(await side(server, "ours", size));
      } else {
        ours.push(await side(server, "ours", size));
        base.push(await side(server, "baseline", size));
      }
      dec.push(await side(server, "decoder", size));
    }
    const rssRuns = Math.max(3, Math.ceil(runs / 2));
    const small = [];
    const large = [];
    for (let i = 0; i < rssRuns; i++) {
      small.push(await side(server, "ours", 16 * MiB));
      large.push(await side(server, "ours", 256 * MiB));
    }
    const baseSmall = await side(server, "baseline", 16 * MiB);
    const baseLarge = await side(server, "baseline", 256 * MiB);

    const oursCpu = median(ours.map((r) => r.cpuMs));
    const baseCpu = median(base.map((r) => r.cpuMs));
    const oursRss = median(ours.map((r) => r.maxRssKiB)) / 1024;
    const baseRss = median(base.map((r) => r.maxRssKiB)) / 1024;
    const rssSmall = median(small.map((r) => r.maxRssKiB)) / 1024;
    const rssLarge = median(large.map((r) => r.maxRssKiB)) / 1024;
    const decCpu = median(dec.map((r) => r.cpuMs));
    const cpuRatio = oursCpu / baseCpu;
    const rssGrowth = rssLarge - rssSmall;
    const rows = [
      {
        figure: "decode 32 MiB: client CPU, ours / baseline",
        value: `${round(oursCpu / 1000, 3)} s / ${round(baseCpu / 1000, 3)} s = ${round(cpuRatio)}x`,
        target: "<= 1.00x",
        met: cpuRatio <= 1,
      },
      {
        figure: "decode 32 MiB: CPU, decodeEventStream alone / baseline",
        value: `${round(decCpu / 1000, 3)} s / ${round(baseCpu / 1000, 3)} s = ${round(decCpu / baseCpu)}x`,
        target: "(diagnostic)",
        met: null,
      },
      {
        figure: "decode 32 MiB: peak RSS, ours / baseline",
        value: `${round(oursRss, 1)} MiB / ${round(baseRss, 1)} MiB`,
        target: "(reported)",
        met: null,
      },
      {
        figure: "decode: our peak RSS, 256 MiB - 16 MiB stream",
        value: `${round(rssLarge, 1)} - ${round(rssSmall, 1)} = ${round(rssGrowth, 1)} MiB`,
        target: "<= 8 MiB",
        met: rssGrowth <= 8,
      },
      {
        figure: "decode: baseline peak RSS, 256 MiB - 16 MiB stream",
        value: `${round(baseLarge.maxRssKiB / 1024, 1)} - ${round(baseSmall.maxRssKiB / 1024, 1)} = ${round((baseLarge.maxRssKiB - baseSmall.maxRssKiB) / 1024, 1)} MiB`,
        target: "(reported)",
        met: null,
      },
    ];
    return {
      rows,
      details: {
        streamBytes: planStream(server.block, size).bytes,
        runs,
        oursCpuMs: ours.map((r) => round(r.cpuMs, 1)),
        baselineCpuMs: base.map((r) => round(r.cpuMs, 1)),
        decoderAloneCpuMs: dec.map((r) => round(r.cpuMs, 1)),
        oursWallMs: ours.map((r) => round(r.wallMs, 1)),
        baselineWallMs: base.map((r) => round(r.wallMs, 1)),
        oursMaxRssMiB: ours.map((r) => round(r.maxRssKiB / 1024, 1)),
        baselineMaxRssMiB: base.map((r) => round(r.maxRssKiB / 1024, 1)),
        oursRss16MiB: small.map((r) => round(r.maxRssKiB / 1024, 1)),
        oursRss256MiB: large.map((r) => round(r.maxRssKiB / 1024, 1)),
        cpuRatio: round(cpuRatio, 3),
        rssGrowthMiB: round(rssGrowth, 1),
      },
    };
  } finally {
    await server.close();
  }
}
