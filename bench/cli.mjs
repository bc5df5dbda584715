/**
 * CLI start: `robocoders --version` and a warm-cache one-line chat, against a bare `node -e 0` and a raw
 * one-request script; wall time of each process, medians over several runs.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { run } from "./lib/proc.mjs";
import { median, round } from "./lib/stats.mjs";

const CLI = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
const RAW = fileURLToPath(new URL("./raw-request.mjs", import.meta.url));
const PROMPT = "Write a Python function that adds two numbers";

/**
 * @param {string[]} args
 * @param {NodeJS.ProcessEnv} env
 */
async function timed(args, env) {
  const r = await run(process.execPath, args, { env });
  if (r.code !== 0)
    throw new Error(`node ${args.join(" ")} exited ${r.code}: ${r.stderr.trim().slice(0, 2000)}`);
  return r;
}

/** Runs the CLI start benchmark; resolves to `{rows, details}`. */
export async function benchCli({ runs = 10 } = {}) {
  const { startEmulator } = await import("../dist/emulator/index.js");
  const { cacheFileName } = await import("../dist/client/options.js");
  const emulator = await startEmulator({ port: 0 });
  const dir = mkdtempSync(join(tmpdir(), "robocoders-bench-"));
  try {
    const token = await emulator.mintToken();
    /** @type {NodeJS.ProcessEnv} */
    const env = {
      ...process.env,
      ROBOCODERS_BASE_URL: emulator.url,
      ROBOCODERS_CACHE_DIR: dir,
      ROBOCODERS_CONFIG_DIR: join(dir, "config"),
      NO_COLOR: "1",
    };
    delete env.ROBOCODERS_ACCESS_TOKEN;
    delete env.ROBOCODERS_LOG;
    const warmCache = () => {
      const sid = emulator.createSession();
      writeFileSync(join(dir, cacheFileName(emulator.url)), JSON.stringify({ access_token: token, sid }), {
        mode: 0o600,
      });
      return sid;
    };
    /** @type {Record<"bare" | "version" | "raw" | "chat", number[]>} */
    const times = { bare: [], version: [], raw: [], chat: [] };
    let chatOut = "";
    let rawOut = "";
    // One unmeasured round warms the file-system cache.
    for (let i = -1; i < runs; i++) {
      const bare = await timed(["-e", "0"], env);
      const version = await timed([CLI, "--version"], env);
      const raw = await timed([RAW, emulator.url, token, emulator.createSession(), PROMPT], env);
      warmCache();
      // -c: the cached session, so the chat makes one request (a one-shot chat would create a session first).
      const chat = await timed([CLI, "chat", "-c", "--no-auto-continue", PROMPT], env);
      if (i < 0) continue;
      times.bare.push(bare.wallMs);
      times.version.push(version.wallMs);
      times.raw.push(raw.wallMs);
      times.chat.push(chat.wallMs);
      chatOut = chat.stdout;
      rawOut = raw.stdout;
    }
    if (chatOut !== rawOut) {
      throw new Error(
        `the CLI printed other text than the raw script:\n${chatOut.slice(0, 300)}\n---\n${rawOut.slice(0, 300)}`,
      );
    }
    const m = {
      bare: median(times.bare),
      version: median(times.version),
      raw: median(times.raw),
      chat: median(times.chat),
    };
    const versionRatio = m.version / m.bare;
    const chatRatio = m.chat / m.raw;
    return {
      rows: [
        {
          figure: "CLI start: `robocoders --version` / `node -e 0`",
          value: `${round(m.version, 1)} ms / ${round(m.bare, 1)} ms = ${round(versionRatio)}x`,
          target: "<= 1.50x",
          met: versionRatio <= 1.5,
        },
        {
          figure: "CLI warm-cache one-line chat / raw one-request script",
          value: `${round(m.chat, 1)} ms / ${round(m.raw, 1)} ms = ${round(chatRatio)}x`,
          target: "<= 1.50x",
          met: chatRatio <= 1.5,
        },
        {
          figure: "CLI warm-cache one-line chat / `node -e 0`",
          value: `${round(m.chat / m.bare)}x`,
          target: "(reported)",
          met: null,
        },
      ],
      details: Object.fromEntries(
        Object.entries(times).map(([k, v]) => [`${k}Ms`, v.map((x) => round(x, 1))]),
      ),
    };
  } finally {
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
