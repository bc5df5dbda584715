// Every fenced code block of README.md and docs/*.md is checked, so the docs cannot drift from the code:
//
// - ```ts / ```js: type-checked against the built package (```js: syntax, modules and exports only) (`import … from "robocoders"` resolves to dist/
//   through the package's own `exports`), then run with Node against a bundled emulator
//   (ROBOCODERS_BASE_URL points the library at it). A block that talks to a server on a fixed port the
//   reader started (`127.0.0.1:1337`…) is type-checked only.
// - ```sh / ```bash: each `robocoders …` / `npx robocoders …` command runs with the built CLI against the
//   emulator, with a throw-away cache. Long-running commands (`serve`, `emulate`, `ui`) are started on a
//   free port, must print their URL, and are stopped. An interactive `robocoders chat` (no prompt) and lines
//   that need tools other than the CLI (curl, npm, jq) are not run.
// - ```json: parsed. Any other language (```text, ```yaml, ```nginx): must not be empty.
// - A block without a language fails: say what it is.
//
// A block can opt out with the line `<!-- docs-test: skip -->` (or `typecheck-only`) right above it.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../src/emulator/index.js";
import type { Emulator } from "../../src/emulator/types.js";
import { type ChildResult, runProcess } from "../support.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CLI = join(ROOT, "dist/cli/main.js");
/** Inside the repository, so `robocoders` resolves by the package's self-reference. Git-ignored. */
const WORK = join(ROOT, ".docs-check");

interface Block {
  file: string;
  line: number;
  lang: string;
  code: string;
  mode: "run" | "typecheck-only" | "skip";
}

function docFiles(): string[] {
  const docs = readdirSync(join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`);
  return ["README.md", ...docs.sort()];
}

/** The fenced blocks of a Markdown text, with the line of their opening fence. */
function fencedBlocks(file: string, text: string): Block[] {
  const lines = text.split("\n");
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)/.exec(lines[i] ?? "");
    if (!open) continue;
    const fence = open[2] ?? "```";
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !(lines[j] ?? "").trim().startsWith(fence)) body.push(lines[j++] ?? "");
    const marker = /<!--\s*docs-test:\s*(skip|typecheck-only)\s*-->/.exec(lines[i - 1] ?? "")?.[1];
    out.push({
      file,
      line: i + 1,
      lang: (open[3] ?? "").toLowerCase(),
      code: body.join("\n"),
      mode: marker === "skip" ? "skip" : marker === "typecheck-only" ? "typecheck-only" : "run",
    });
    i = j;
  }
  return out;
}

const blocks = docFiles().flatMap((file) => fencedBlocks(file, readFileSync(join(ROOT, file), "utf8")));
const where = (b: Block) => `${b.file}:${b.line}`;
const FIXED_PORT = /(127\.0\.0\.1|localhost):\d{2,5}/;

let emulator: Emulator;
let cacheDir: string;
let scratch: string;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  cacheDir = mkdtempSync(join(tmpdir(), "robocoders-docs-"));
  scratch = mkdtempSync(join(tmpdir(), "robocoders-docs-cwd-"));
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
});

afterAll(async () => {
  await emulator?.close();
  if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  rmSync(WORK, { recursive: true, force: true });
});

function env(): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env, ROBOCODERS_BASE_URL: emulator.url };
  out.ROBOCODERS_CACHE_DIR = cacheDir;
  // `config set` examples write a settings file of their own, never the user's or other tests'.
  out.ROBOCODERS_CONFIG_DIR = join(cacheDir, "config");
  out.NO_COLOR = "1";
  delete out.ROBOCODERS_ACCESS_TOKEN;
  delete out.ROBOCODERS_PROXY;
  delete out.HTTPS_PROXY;
  delete out.HTTP_PROXY;
  delete out.https_proxy;
  delete out.http_proxy;
  return out;
}

/** Runs a command in a scratch folder (a shell line may write `> answer.txt`). */
function run(command: string, args: string[], timeoutMs = 60_000): Promise<ChildResult> {
  return runProcess(command, args, { cwd: scratch, env: env(), timeoutMs });
}

/** Starts a long-running command, waits for the URL it prints, then stops it with SIGTERM. */
function startAndStop(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: env(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let done = false;
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.kill("SIGTERM");
      if (error) reject(error);
      else resolve(out);
    };
    const timer = setTimeout(() => finish(new Error(`no URL within 20 s:\n${out}`)), 20_000);
    const onData = (d: Buffer) => {
      out += d.toString("utf8");
      if (/http:\/\/[\w.[\]:-]+/.test(out)) finish();
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.on("close", (code) => finish(new Error(`exited (${code}) before printing a URL:\n${out}`)));
  });
}

describe("docs: ```json blocks parse, other blocks are not empty", () => {
  for (const b of blocks.filter((b) => !["ts", "js", "sh", "bash"].includes(b.lang))) {
    it(`${where(b)} (${b.lang || "no language"})`, () => {
      expect(b.lang, `${where(b)}: give the block a language (ts, sh, json, text…)`).not.toBe("");
      expect(b.code.trim(), `${where(b)} is empty`).not.toBe("");
      if (b.lang === "json" && b.mode !== "skip") expect(() => JSON.parse(b.code), where(b)).not.toThrow();
    });
  }
});

const programs = blocks.filter((b) => (b.lang === "ts" || b.lang === "js") && b.mode !== "skip");
const fileOf = (b: Block) =>
  join(WORK, `${b.file.replace(/[/.]/g, "_")}_${b.line}.${b.lang === "ts" ? "ts" : "mjs"}`);

describe("docs: ```ts and ```js blocks", () => {
  it("type-check against the built package", () => {
    for (const b of programs) writeFileSync(fileOf(b), `${b.code}\nexport {};\n`);
    const program = ts.createProgram(programs.map(fileOf), {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2023,
      lib: ["lib.es2023.d.ts"],
      types: ["node"],
      strict: true,
      allowJs: true,
      checkJs: true,
      noEmit: true,
      skipLibCheck: true,
    });
    // A ```js block is held to what a JavaScript reader relies on: its syntax, and that every module and
    // export it imports exists. A ```ts block to everything strict TypeScript checks.
    const JS_CODES = new Set([2305, 2307, 2614, 2724]);
    const errors = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file?.fileName.startsWith(WORK))
      .filter((d) => !d.file?.fileName.endsWith(".mjs") || d.code < 2000 || JS_CODES.has(d.code))
      .map((d) => {
        const b = programs.find((p) => fileOf(p) === d.file?.fileName);
        const { line } = d.file?.getLineAndCharacterOfPosition(d.start ?? 0) ?? { line: 0 };
        const at = b ? `${b.file}:${b.line + 1 + line}` : d.file?.fileName;
        return `${at}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
      });
    expect(errors).toEqual([]);
  });

  for (const b of programs.filter((b) => b.mode === "run" && !FIXED_PORT.test(b.code))) {
    it(`${where(b)} runs against the emulator`, async () => {
      const js =
        b.lang === "ts"
          ? ts.transpileModule(b.code, {
              compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2023 },
            }).outputText
          : b.code;
      const file = `${fileOf(b)}.run.mjs`;
      writeFileSync(file, js);
      const r = await run(process.execPath, [file]);
      expect(r.code, `${where(b)} failed:\n${r.stderr.slice(0, 2000)}`).toBe(0);
    });
  }
});

/** A command line split into words as a POSIX shell does for plain words and quotes. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const match of line.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)) {
    words.push(match[1] ?? match[2] ?? match[3] ?? "");
  }
  return words;
}

/** The command lines of a shell block: continuations joined, comments and prompts removed. */
function commandLines(code: string): string[] {
  return code
    .replace(/\\\n\s*/g, " ")
    .split("\n")
    .map((line) =>
      line
        .replace(/\s+#.*$/, "")
        .replace(/^\$ /, "")
        .trim(),
    )
    .filter((line) => line !== "" && !line.startsWith("#"));
}

const LONG_RUNNING = /^(serve|emulate|ui)$/;

describe("docs: ```sh blocks run with the built CLI against the emulator", () => {
  const shell = blocks.filter((b) => (b.lang === "sh" || b.lang === "bash") && b.mode === "run");
  for (const b of shell) {
    const lines = commandLines(b.code).filter((line) => /(^|\s)(npx )?robocoders\s/.test(`${line} `));
    if (lines.length === 0) continue;
    it(`${where(b)}`, async () => {
      for (const original of lines) {
        // The emulator of this test instead of a fixed local port; the CLI from dist/.
        let line = original
          .replace(/http:\/\/(127\.0\.0\.1|localhost):\d+/g, emulator.url)
          .replace(/\bnpx robocoders\b/g, "robocoders");
        const words = shellWords(line);
        const at = words.indexOf("robocoders");
        const command = words[at + 1] ?? "";
        if (/^(curl|npm|jq)\b/.test(line) || /\|\s*jq\b/.test(line)) continue;
        if (command === "chat" && words.slice(at + 2).every((w) => w.startsWith("-")) && !line.includes("|"))
          continue; // interactive
        if (LONG_RUNNING.test(command)) {
          const args = words
            .slice(at + 1)
            .filter((w) => w !== "&")
            // A free port, and loopback only: nothing this test starts listens beyond 127.0.0.1.
            .map((w, i, all) => (all[i - 1] === "--port" ? "0" : all[i - 1] === "--host" ? "127.0.0.1" : w));
          if (command === "ui" && !args.includes("--no-open")) args.push("--no-open");
          if (!args.includes("--port")) args.push("--port", "0");
          const keyFile = args.indexOf("--api-key-file");
          if (keyFile >= 0) {
            // The reader's own key file: a throw-away one here.
            const path = join(mkdtempSync(join(tmpdir(), "docs-key-")), "gateway.key");
            writeFileSync(path, "docs-test-key\n", { mode: 0o600 });
            args[keyFile + 1] = path;
          }
          const out = await startAndStop(args);
          expect(out, `${where(b)}: ${original}`).toMatch(/http:\/\//);
          continue;
        }
        line = line.replace(
          /(^|\s)robocoders(?=\s)/g,
          `$1${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)}`,
        );
        const r = await run("bash", ["-c", line]);
        expect(r.code, `${where(b)}: ${original}\n${r.stderr.slice(0, 2000)}`).toBe(0);
      }
    });
  }
});
