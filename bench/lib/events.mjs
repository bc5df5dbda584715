/**
 * Realistic event-stream bodies for the decoding benchmark: one JSON object per line, serialized the
 * way the service does (Python `json.dumps` defaults: `", "` and `": "` separators, non-ASCII escaped
 * as `\uXXXX`, surrogate pairs for emoji), in the key order of real actions.
 */
import { pyDumps } from "../../dist/emulator/index.js";
import { mulberry32 } from "../../dist/emulator/stream.js";

/** @typedef {{ buffer: Buffer, textLength: number }} Block */

const WORDS = [
  "the",
  "function",
  "returns",
  "a",
  "list",
  "of",
  "numbers",
  "größer",
  "naïve",
  "café",
  "✓",
  "😀",
  "parse",
  "input",
  "file",
  "test",
  "passes",
  "now",
  "let",
  "me",
  "check",
  "résumé",
  "日本語",
  "output",
];

/**
 * @param {() => number} r
 * @param {number} n
 */
function sentence(r, n) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(WORDS[Math.floor(r() * WORDS.length)]);
  return out.join(" ");
}

/**
 * @param {() => number} r
 * @param {number} lines
 */
function code(r, lines) {
  const out = [];
  for (let i = 0; i < lines; i++)
    out.push(`    value_${i} = compute(${Math.floor(r() * 1000)}, "${sentence(r, 3)}")\t# ${sentence(r, 4)}`);
  return "def main():\n" + out.join("\n") + "\n";
}

/** @param {number} i */
function timestamp(i) {
  const us = (i * 7919) % 1_000_000;
  const base = `2024-11-15T16:${String((10 + ((i / 60) % 50)) | 0).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}`;
  return us === 0 ? base : `${base}.${String(us).padStart(6, "0")}`;
}

/**
 * One block of events (about `targetBytes` long), as a Buffer, and the length in UTF-16 code units of the
 * text the reference rule picks from it (`args.content` if non-empty, else `message`).
 * @param {number} targetBytes
 * @returns {Block}
 */
export function eventBlock(targetBytes, seed = 1) {
  const r = mulberry32(seed);
  const sid = "07f3c70b-9d2e-4b8a-a1c3-5e6f7a8b9c0d";
  const lines = [];
  let bytes = 0;
  let textLength = 0;
  let id = 0;
  while (bytes < targetBytes) {
    id += 1 + Math.floor(r() * 3);
    const kind = r();
    let ev;
    if (kind < 0.35) {
      const content = sentence(r, 8 + Math.floor(r() * 60));
      ev = {
        id,
        timestamp: timestamp(id),
        source: "agent",
        message: content,
        action: "message",
        args: { content, wait_for_response: false, extras: {} },
        sid,
      };
    } else if (kind < 0.55) {
      const command = `python3 script_${id}.py --input "${sentence(r, 3)}"`;
      ev = {
        id,
        timestamp: timestamp(id),
        source: "agent",
        message: `Running command: ${command}`,
        action: "run",
        args: { command, background: false, thought: sentence(r, 12) },
        sid,
      };
    } else if (kind < 0.75) {
      const c = code(r, 3 + Math.floor(r() * 20));
      ev = {
        id,
        timestamp: timestamp(id),
        source: "agent",
        message: `Running Python code interactively: ${c}`,
        action: "run_ipython",
        args: { code: c, thought: sentence(r, 10), kernel_init_code: "" },
        sid,
      };
    } else if (kind < 0.995) {
      const path = `/workspace/src/module_${id}.py`;
      const content = code(r, 5 + Math.floor(r() * 40));
      ev = {
        id,
        timestamp: timestamp(id),
        source: "agent",
        message: `Writing file: ${path}`,
        action: "write",
        args: { path, content, start: 0, end: -1, thought: sentence(r, 6) },
        sid,
      };
    } else {
      // An occasional very long line (a large file), about 200 KiB.
      const path = `/workspace/data/big_${id}.py`;
      const content = code(r, 2600);
      ev = {
        id,
        timestamp: timestamp(id),
        source: "agent",
        message: `Writing file: ${path}`,
        action: "write",
        args: { path, content, start: 0, end: -1, thought: "" },
        sid,
      };
    }
    const text = ev.args.content ? ev.args.content : ev.message;
    textLength += text.length;
    const line = pyDumps(ev) + "\n";
    lines.push(line);
    bytes += Buffer.byteLength(line);
  }
  return { buffer: Buffer.from(lines.join(""), "utf8"), textLength };
}

/**
 * The last line of a bench stream: a `finish` that ends the turn.
 * @returns {Block}
 */
export function finishLine(id = 999999) {
  const ev = {
    id,
    timestamp: timestamp(id),
    source: "agent",
    message: "All done! What's next on the agenda?",
    action: "finish",
    args: { outputs: {}, thought: "" },
    sid: "07f3c70b-9d2e-4b8a-a1c3-5e6f7a8b9c0d",
  };
  return { buffer: Buffer.from(pyDumps(ev) + "\n", "utf8"), textLength: ev.message.length };
}
