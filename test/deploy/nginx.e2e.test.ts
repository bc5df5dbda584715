/**
 * The nginx configuration of docs/deployment.md, run as it is written (only the ports change) by Debian's
 * nginx in front of two gateway instances sharing a Redis store: streams arrive event by event (no
 * buffering), requests are spread over the instances, and a conversation keeps its session all the same.
 * Skipped where nginx is not installed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { type RunningServer, startServer } from "../../src/server/index.js";
import { ROOT } from "../cli/helpers.js";
import { freePort, useRedis } from "../redis.js";
import { recordingLogger } from "../support.js";

const NGINX = "/usr/sbin/nginx";
const LATENCY_MS = 300;
const redis = useRedis();

/** The ```nginx block of docs/deployment.md with the instances' and nginx's ports put in. */
export async function documentedNginxConfig(instancePorts: number[], listenPort: number): Promise<string> {
  const docs = await readFile(join(ROOT, "docs", "deployment.md"), "utf8");
  const block = /```nginx\n([\s\S]*?)```/.exec(docs)?.[1];
  if (block === undefined) throw new Error("docs/deployment.md has no nginx block");
  const servers = instancePorts.map((port) => `    server 127.0.0.1:${port};`).join("\n");
  const withServers = block.replace(/(?:^ *server 127\.0\.0\.1:\d+;\n)+/m, `${servers}\n`);
  if (withServers === block) throw new Error("the nginx block lists no upstream servers");
  return withServers.replace(/listen \d+;/, `listen 127.0.0.1:${listenPort};`);
}

async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(!existsSync(NGINX))("nginx in front of several instances (docs/deployment.md)", () => {
  let emulator: Emulator;
  const instances: Array<{ server: RunningServer; logger: ReturnType<typeof recordingLogger> }> = [];
  let nginx: ChildProcess | undefined;
  let dir: string;
  let baseURL: string;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, latencyMs: LATENCY_MS });
    for (let i = 0; i < 2; i++) {
      const logger = recordingLogger();
      const server = await startServer({
        port: 0,
        apiKey: false,
        logger,
        // Keep-alive comments fill the emulator's pauses: each must cross nginx when it is written.
        keepAliveMs: 100,
        sharedStore: redis().url,
        storePrefix: "nginx:",
        clientOptions: { baseURL: emulator.url, cacheDir: false, maxRetries: 0, maxContinues: 0 },
      });
      instances.push({ server, logger });
    }
    dir = await mkdtemp(join(tmpdir(), "robocoders-nginx-"));
    const port = await freePort();
    const site = await documentedNginxConfig(
      instances.map((i) => i.server.port),
      port,
    );
    await writeFile(
      join(dir, "nginx.conf"),
      `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${site}
}
`,
    );
    nginx = spawn(NGINX, ["-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "error.log")], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    nginx.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<never>((_, reject) =>
      nginx?.once("exit", (code) => reject(new Error(`nginx exited (${code}): ${stderr}`))),
    );
    await Promise.race([waitForPort(port), exited]);
    baseURL = `http://127.0.0.1:${port}/v1`;
  }, 60_000);

  afterAll(async () => {
    if (nginx !== undefined && nginx.exitCode === null) {
      const gone = new Promise((resolve) => nginx?.once("exit", resolve));
      nginx.kill("SIGQUIT");
      await gone;
    }
    await Promise.all(instances.map(({ server }) => server.close(0)));
    await emulator?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("passes the stream through as it is written, without buffering", async () => {
    const response = await fetch(`${baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "GeneralCodingAgent",
        stream: true,
        // Verbose: the agent's state changes come first, as events without text.
        messages: [{ role: "user", content: "Write a Python script that adds two numbers [[verbose]]" }],
      }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const reader = response.body?.getReader();
    if (reader === undefined) throw new Error("no body");
    const decoder = new TextDecoder();
    const pieces: Array<{ at: number; text: string }> = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      pieces.push({ at: Date.now(), text: decoder.decode(value, { stream: true }) });
    }
    const body = pieces.map((piece) => piece.text).join("");
    expect(body).toContain("data: [DONE]");
    // The emulator pauses LATENCY_MS between events and the gateway fills the pauses with keep-alive
    // comments: buffered, the body would arrive in one piece at the end; passed through, in many pieces
    // spread over the pauses.
    expect(body).toContain(": keep-alive");
    const firstContent = pieces.findIndex((piece) => piece.text.includes('"content"'));
    expect(firstContent).toBeGreaterThanOrEqual(0);
    const spread = (pieces.at(-1)?.at ?? 0) - (pieces[0]?.at ?? 0);
    expect(spread).toBeGreaterThanOrEqual(LATENCY_MS * 0.8);
  });

  it("spreads requests over the instances (round robin)", async () => {
    const openai = new OpenAI({ baseURL, apiKey: "unused", maxRetries: 0 });
    const before = instances.map(({ logger }) => logger.records.length);
    for (let i = 0; i < 4; i++) {
      const completion = await openai.chat.completions.create({
        model: "general",
        messages: [{ role: "user", content: `question ${i}` }],
      });
      expect(completion.choices[0]?.message.content?.length).toBeGreaterThan(0);
    }
    const served = instances.map(({ logger }, i) => logger.records.length - (before[i] ?? 0));
    expect(served.every((count) => count > 0)).toBe(true);
  });

  it("keeps a conversation in one session while its turns go round robin", async () => {
    emulator.setLatency(0);
    try {
      const openai = new OpenAI({ baseURL, apiKey: "unused", maxRetries: 0 });
      const before = instances.map(({ logger }) => logger.records.length);
      const messages: OpenAI.ChatCompletionMessageParam[] = [
        { role: "user", content: "Write a Go program that prints the date" },
      ];
      const sids = new Set<string | null>();
      for (let i = 0; i < 4; i++) {
        const { data, response } = await openai.chat.completions
          .create({ model: "general", messages })
          .withResponse();
        sids.add(response.headers.get("x-robocoders-session"));
        messages.push(
          { role: "assistant", content: data.choices[0]?.message.content ?? "" },
          { role: "user", content: `Change ${i}` },
        );
      }
      expect(sids.size).toBe(1);
      expect(
        emulator.chats.filter((record) => record.sid === [...sids][0]).map((r) => r.cleanPrompt),
      ).toEqual(["Write a Go program that prints the date", "Change 0", "Change 1", "Change 2"]);
      const served = instances.map(({ logger }, i) => logger.records.length - (before[i] ?? 0));
      expect(served.every((count) => count > 0)).toBe(true);
    } finally {
      emulator.setLatency(LATENCY_MS);
    }
  });
});
