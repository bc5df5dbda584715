/**
 * A fleet for the tests: several `robocoders serve` processes (the built CLI) sharing one redis-server, in
 * front of one emulator; chat completions over plain HTTP, and what they should have answered.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChatRecord, Emulator } from "../../src/emulator/index.js";
import { CLI, cliEnv } from "../cli/helpers.js";

/** One running gateway process. */
export interface Instance {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything it wrote on stderr (its request log). */
  stderr(): string;
  /** Kills it at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /** Stops it gracefully (SIGTERM) and waits for the exit code. */
  stop(): Promise<number | null>;
}

/** Options of {@link startInstance}. */
export interface InstanceOptions {
  /** The API (the emulator's URL). */
  baseURL: string;
  /** `--store`. */
  store: string;
  /** More flags of `serve`. */
  args?: string[];
  /** More environment variables. */
  env?: Record<string, string>;
}

/** Starts `robocoders serve --port 0 …` and resolves once it printed its URL. */
export async function startInstance(options: InstanceOptions): Promise<Instance> {
  const cacheDir = await mkdtemp(join(tmpdir(), "robocoders-fleet-"));
  const child = spawn(
    process.execPath,
    [CLI, "serve", "--port", "0", "--store", options.store, ...(options.args ?? [])],
    {
      env: cliEnv({
        ROBOCODERS_BASE_URL: options.baseURL,
        ROBOCODERS_CACHE_DIR: cacheDir,
        ...options.env,
      }),
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  void exited.then(() => rm(cacheDir, { recursive: true, force: true }));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const line = /^(http:\/\/\S+)\n/m.exec(stdout)?.[1];
      if (line !== undefined) resolve(line);
    });
    void exited.then((code) => reject(new Error(`serve exited (${code}) before listening:\n${stderr}`)));
  });
  return {
    url,
    child,
    stderr: () => stderr,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

/** A chat message as the tests send them. */
export interface Message {
  role: "system" | "user" | "assistant";
  content: string;
}

/** What a chat completion answered. */
export interface Answer {
  status: number;
  sid: string | null;
  text: string;
  headers: Headers;
  /** `finish_reason` of the last choice (streams: of the last chunk that had one). */
  finish: string | null;
  /** The OpenAI error object (a non-2xx status, or an error frame that ended a stream). */
  error?: { code: string | null; message: string };
}

/** One chat completion through `url`, streaming or not, with an optional API key. */
export async function complete(
  url: string,
  messages: readonly Message[],
  options: { stream?: boolean; key?: string; signal?: AbortSignal } = {},
): Promise<Answer> {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(options.key !== undefined ? { authorization: `Bearer ${options.key}` } : {}),
    },
    body: JSON.stringify({ model: "GeneralCodingAgent", messages, stream: options.stream === true }),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  });
  const sid = response.headers.get("x-robocoders-session");
  const base = { status: response.status, sid, headers: response.headers };
  if (response.status !== 200) {
    const body = (await response.json()) as { error: { code: string | null; message: string } };
    return { ...base, text: "", finish: null, error: body.error };
  }
  if (options.stream !== true) {
    const body = (await response.json()) as {
      choices: Array<{ message: { content: string }; finish_reason: string | null }>;
    };
    return {
      ...base,
      text: body.choices[0]?.message.content ?? "",
      finish: body.choices[0]?.finish_reason ?? null,
    };
  }
  let text = "";
  let finish: string | null = null;
  for (const line of (await response.text()).split("\n")) {
    if (!line.startsWith("data: ") || line === "data: [DONE]") continue;
    const chunk = JSON.parse(line.slice(6)) as {
      choices?: Array<{ delta?: { content?: string }; finish_reason?: string | null }>;
      error?: { code: string | null; message: string };
    };
    if (chunk.error !== undefined) return { ...base, text, finish, error: chunk.error };
    text += chunk.choices?.[0]?.delta?.content ?? "";
    finish = chunk.choices?.[0]?.finish_reason ?? finish;
  }
  return { ...base, text, finish };
}

/**
 * The answer the gateway gives (its default `separated` text) for the `/chat` records of one turn: the
 * texts of the events the emulator sent, pieces apart by a blank line.
 */
export function expectedAnswer(records: readonly ChatRecord[]): string {
  let out = "";
  for (const text of records.flatMap((record) => record.texts).filter((piece) => piece !== "")) {
    if (out !== "") out += out.endsWith("\n\n") ? "" : out.endsWith("\n") ? "\n" : "\n\n";
    out += text;
  }
  return out;
}

/**
 * The emulator's records of the turn that sent `prompt` (prompts are unique in these tests): its `/chat`,
 * then the automatic `continue`s the client sent in the same session.
 */
export function turnRecords(emulator: Emulator, prompt: string): ChatRecord[] {
  const start = emulator.chats.filter((record) => record.cleanPrompt === prompt);
  if (start.length !== 1) throw new Error(`${start.length} records of ${JSON.stringify(prompt)}`);
  const first = start[0] as ChatRecord;
  const session = emulator.chats.filter((record) => record.sid === first.sid);
  const out = [first];
  for (const record of session.slice(session.indexOf(first) + 1)) {
    if (record.cleanPrompt !== "continue") break;
    out.push(record);
  }
  return out;
}
