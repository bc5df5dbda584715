/**
 * `npm run bench`: runs the benchmarks on loopback against the built package (dist/) and prints a table of
 * figures with their targets, marked met or missed; writes the same as JSON to bench/results/latest.json.
 *
 * Usage: node bench/run.mjs [decode] [cli] [chat-cpu] [gateway] [gateway-scale] [gateway-store] [web]   (default: all)
 * Environment: BENCH_QUICK=1 runs fewer repetitions (a smoke run, not for publishing).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { benchChatCpu } from "./chat-cpu.mjs";
import { benchCli } from "./cli.mjs";
import { benchDecode } from "./decode.mjs";
import { benchGateway } from "./gateway.mjs";
import { benchGatewayScale } from "./gateway-scale.mjs";
import { benchGatewayStore } from "./gateway-store.mjs";
import { benchWeb } from "./web.mjs";

const quick = process.env.BENCH_QUICK === "1";
const sections = {
  decode: () => benchDecode({ runs: quick ? 2 : 5 }),
  cli: () => benchCli({ runs: quick ? 3 : 10 }),
  "chat-cpu": () => benchChatCpu({ runs: quick ? 1 : 5 }),
  gateway: () => benchGateway({ rounds: quick ? 1 : 3, concurrency: 100 }),
  "gateway-scale": () => benchGatewayScale({ sizes: quick ? [1000] : [1000, 5000] }),
  "gateway-store": () => benchGatewayStore({ conversations: quick ? 50 : 250 }),
  web: () => benchWeb({ runs: quick ? 2 : 5 }),
};
const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
for (const name of wanted) {
  if (!(name in sections)) {
    console.error(`unknown section ${name}; choose from ${Object.keys(sections).join(", ")}`);
    process.exit(2);
  }
}
/** @typedef {keyof typeof sections} Section */
/** @typedef {{ figure: string, value: string, target: string, met: boolean | null }} Row */
const names = /** @type {Section[]} */ (wanted.length > 0 ? wanted : Object.keys(sections));

/** @type {Record<string, unknown>} */
const results = {};
/** @type {Row[]} */
const rows = [];
let failed = false;
const started = performance.now();
for (const name of names) {
  process.stderr.write(`bench: ${name}...\n`);
  const t0 = performance.now();
  try {
    const r = await sections[name]();
    results[name] = { ...r, seconds: Math.round((performance.now() - t0) / 100) / 10 };
    rows.push(...r.rows);
  } catch (error) {
    failed = true;
    const message = error instanceof Error ? error.message : String(error);
    results[name] = { error: message };
    rows.push({
      figure: `${name}: did not run`,
      value: (message.split("\n")[0] ?? "").slice(0, 100),
      target: "",
      met: false,
    });
  }
}

const mark = (/** @type {boolean | null} */ met) => (met === null ? "-" : met ? "met" : "MISSED");
const table = [
  ["figure", "value", "target", "result"],
  ...rows.map((r) => [r.figure, r.value, r.target, mark(r.met)]),
];
const header = /** @type {string[]} */ (table[0]);
const widths = header.map((_, i) => Math.max(...table.map((row) => row[i]?.length ?? 0)));
const line = (/** @type {string[]} */ row) =>
  `| ${row.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
console.log(line(header));
console.log(`| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`);
for (const row of table.slice(1)) console.log(line(row));
const seconds = Math.round((performance.now() - started) / 1000);
console.log(
  `\n${rows.filter((r) => r.met === true).length} met, ${rows.filter((r) => r.met === false).length} missed; ${seconds} s`,
);

const out = {
  date: new Date().toISOString(),
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  cpu: `${cpus().length} x ${cpus()[0]?.model ?? "unknown"}`,
  quick,
  seconds,
  rows,
  sections: results,
};
const dir = fileURLToPath(new URL("./results/", import.meta.url));
mkdirSync(dir, { recursive: true });
writeFileSync(`${dir}latest.json`, JSON.stringify(out, null, 2) + "\n");
console.log(`written to bench/results/latest.json`);
process.exitCode = failed ? 1 : 0;
