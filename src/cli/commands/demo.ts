/**
 * `robocoders demo`: a complete conversation, offline. Starts the emulator in-process on a free loopback
 * port, points a client with a temporary cache at it, and runs a real conversation (token scrape, session,
 * streaming, auto-continue), then cleans everything up.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveAgent } from "../../client/agents.js";
import type { CliIO, GlobalOptions } from "../context.js";
import { createClient, paletteFor } from "../context.js";
import { UsageError } from "../exit-codes.js";
import { withInterrupt } from "../interrupt.js";
import { createSpinner } from "../spinner.js";
import { relativeTime } from "./account.js";
import { streamTurn } from "./chat.js";

/** Options of `robocoders demo`. */
export interface DemoOptions {
  /** `-a, --agent <name>`. Default: `GeneralCodingAgent`. */
  agent?: string;
  /** `--prompt <text>`. Default: a small Python task. */
  prompt?: string;
  /** `--latency <ms>`: pause between events. Default: 40 on a terminal, 0 otherwise. */
  latency?: number;
}

/** The demo's default prompt. */
export const DEMO_PROMPT = "Write a Python script add.py that adds two numbers given on the command line.";

/** Runs `robocoders demo`. */
export async function runDemo(opts: DemoOptions, globals: GlobalOptions, io: CliIO): Promise<void> {
  // Everything that can be wrong with the command line is reported before anything starts.
  resolveAgent(opts.agent);
  if (opts.prompt !== undefined && opts.prompt.trim() === "") {
    throw new UsageError(
      "The --prompt is empty",
      "Give a prompt, or leave --prompt out for the default one.",
    );
  }
  for (const [flag, value] of [
    ["--base-url", globals.baseUrl],
    ["--proxy", globals.proxy],
  ] as const) {
    if (value !== undefined) {
      throw new UsageError(
        `demo does not use ${flag}: it talks to its own bundled emulator`,
        "Run `robocoders chat` to talk to another server.",
      );
    }
  }
  const { startEmulator } = await import("../../emulator/index.js");
  const tty = io.stdout.isTTY === true;
  const c = paletteFor(io.stdout, io.env, globals.color);
  const say = (text: string) => io.stdout.write(`${c.cyan("▸")} ${text}\n`);
  const cacheDir = await mkdtemp(join(tmpdir(), "robocoders-demo-"));
  const emulator = await startEmulator({
    host: "127.0.0.1",
    port: 0,
    latencyMs: opts.latency ?? (tty ? 40 : 0),
  });
  try {
    io.stdout.write(
      `${c.bold("Robocoders demo")} ${c.dim("— a whole conversation with the bundled emulator, offline")}\n\n`,
    );
    say(`Emulator listening on ${c.bold(emulator.url)}`);
    const spinner = createSpinner(io.stderr, { colour: paletteFor(io.stderr, io.env, globals.color).cyan });
    const client = await createClient(
      { ...globals, baseUrl: emulator.url },
      io,
      { cacheDir, proxy: false, maxContinues: 1 },
      { beforeLog: () => spinner.stop() },
    );
    try {
      await withInterrupt(async (signal) => {
        await client.getAccessToken({ signal });
        const status = await client.status();
        const expiry =
          status.tokenExpiresAt === undefined ? "" : `, expires ${relativeTime(status.tokenExpiresAt)}`;
        say(
          `Access token scraped from ${c.bold("GET /auth")}${c.dim(` (a JWT${expiry}; cached in ${status.cacheFile ?? "memory"})`)}`,
        );
        const sid = await client.createSession({ signal });
        say(`Session ${c.bold(sid)} created with ${c.bold("GET /create-session")}`);
        const prompt = opts.prompt ?? DEMO_PROMPT;
        say(`You ${c.dim("→")} ${opts.agent ?? "GeneralCodingAgent"}: ${c.bold(prompt)}\n`);
        const printer = { mode: "tty" as const, io, palette: c, spinner };
        const options = {
          sid,
          signal,
          maxContinues: 1,
          ...(opts.agent !== undefined ? { agent: opts.agent } : {}),
        };
        await streamTurn(client, prompt, options, printer);
        io.stdout.write("\n");
        const chats = emulator.stats.requests.chat;
        if (chats > 1) {
          say(
            `The agent asked a question, so the client answered ${c.bold('"continue"')} on the same session` +
              c.dim(` (${chats} POST /chat requests)`),
          );
        }
        const code = await client.getSessionCode("octocat", { sid, signal });
        say(`Code repository: ${c.bold(code.repoUrl)} ${c.dim(`(${code.message})`)}`);
      });
      io.stdout.write(
        `\n${c.green("✔")} Demo finished. Try it yourself: ${c.bold("robocoders emulate")} in one terminal, then\n` +
          `  ${c.bold('ROBOCODERS_BASE_URL=http://127.0.0.1:8787 robocoders chat "Build a todo app"')}\n`,
      );
    } finally {
      spinner.stop();
      await client.close();
    }
  } finally {
    await emulator.close();
    await rm(cacheDir, { recursive: true, force: true });
  }
}
