/**
 * Fixtures of the web workspace tests: the stack (emulator, client, gateway) and an SSE reader.
 */
import { Robocoders } from "../../src/client/robocoders.js";
import { startServer } from "../../src/server/index.js";
import type { TimelineEntry } from "../../src/server/workspace/timeline.js";
import type { Stack } from "../server/helpers.js";

export { type Stack, startStack } from "../server/helpers.js";

/**
 * A second gateway whose upstream is a closed loopback port (a valid token from `stack`'s emulator, no
 * retries): every turn fails as unreachable. `close()` stops it and its client.
 */
export async function startUnreachableGateway(
  stack: Stack,
): Promise<{ url: string; close(): Promise<void> }> {
  const client = new Robocoders({
    baseURL: "http://127.0.0.1:9",
    accessToken: await stack.emulator.mintToken(),
    cacheDir: false,
    maxRetries: 0,
    logLevel: "off",
  });
  const server = await startServer({ port: 0, apiKey: false, client, logger: stack.logger });
  return {
    url: server.url,
    async close() {
      await server.close(0);
      await client.close();
    },
  };
}

/** One SSE frame. */
export interface SseFrame {
  id: string | undefined;
  event: string;
  data: string;
}

/** Parses SSE frames from a response body, as a browser's EventSource would (LF, CRLF or CR line ends). */
export async function* sseFrames(response: Response): AsyncGenerator<SseFrame> {
  if (response.body === null) return;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let frame: { id?: string; event?: string; data: string[] } = { data: [] };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      for (;;) {
        const match = /\r\n|\r|\n/.exec(buffer);
        if (match === null) break;
        const line = buffer.slice(0, match.index);
        buffer = buffer.slice(match.index + match[0].length);
        if (line === "") {
          if (frame.data.length > 0 || frame.event !== undefined) {
            yield { id: frame.id, event: frame.event ?? "message", data: frame.data.join("\n") };
          }
          frame = { data: [] };
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon === -1 ? line : line.slice(0, colon);
        const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "data") frame.data.push(value);
        else if (field === "id") frame.id = value;
        else if (field === "event") frame.event = value;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** Reads a whole SSE response: its timeline entries and the idle frame's data (if it came). */
export async function readTimeline(
  response: Response,
): Promise<{ entries: TimelineEntry[]; idle: { status: string; lastSeq: number } | undefined }> {
  const entries: TimelineEntry[] = [];
  let idle: { status: string; lastSeq: number } | undefined;
  for await (const frame of sseFrames(response)) {
    if (frame.event === "idle") idle = JSON.parse(frame.data) as { status: string; lastSeq: number };
    else {
      const entry = JSON.parse(frame.data) as TimelineEntry;
      if (String(entry.seq) !== frame.id)
        throw new Error(`frame id ${frame.id} is not the entry's seq ${entry.seq}`);
      entries.push(entry);
    }
  }
  return { entries, idle };
}

/** JSON request options for the native API. */
export function json(method: string, body?: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method,
    headers: { "content-type": "application/json", ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  };
}

import { type RawEvent, toEvent } from "../../src/core/events.js";
import type { RunningServer } from "../../src/server/index.js";

/**
 * Puts a finished conversation with the given events straight into the gateway's store (for event kinds
 * the emulator never sends, and for long timelines). Returns its id.
 */
export async function seedConversation(
  server: RunningServer,
  title: string,
  raws: readonly RawEvent[],
  options: { sid?: string } = {},
): Promise<string> {
  const service = server.app.workspace;
  if (service === undefined) throw new Error("the workspace is off");
  const conversation = await service.create({ title });
  const time = new Date().toISOString();
  const append = async (entry: Parameters<typeof service.store.append>[1]) => {
    await service.store.append(conversation.id, entry);
  };
  await append({ type: "prompt", time, turn: 1, prompt: title, auto: false, agent: conversation.agent });
  for (const raw of raws) await append({ type: "event", time, turn: 1, event: toEvent(raw) });
  await append({ type: "turn-end", time, turn: 1, outcome: "finished" });
  await service.store.update(conversation.id, {
    status: "finished",
    turns: 1,
    sid: options.sid ?? "seeded-session",
  });
  return conversation.id;
}

/** Events of every kind the page renders, some the emulator never sends. */
export function everyKindEvents(): RawEvent[] {
  const action = (id: number, name: string, args: Record<string, unknown>, message = "") => ({
    id,
    timestamp: "2026-01-01T10:00:00",
    source: "agent",
    message,
    action: name,
    args,
  });
  const observation = (
    id: number,
    cause: number,
    name: string,
    content: string,
    extras: Record<string, unknown>,
  ) => ({
    id,
    timestamp: "2026-01-01T10:00:01",
    source: "agent",
    message: "",
    observation: name,
    content,
    extras,
    cause,
  });
  return [
    action(1, "write", {
      path: "/workspace/app/calc.py",
      content: "def add(a, b):\n    return a + b\n",
      start: 0,
      end: -1,
      thought: "First version",
    }),
    observation(2, 1, "write", "", { path: "/workspace/app/calc.py" }),
    action(3, "edit", {
      path: "/workspace/app/calc.py",
      content: "def add(a, b):\n    return b + a\n",
      start: 0,
      end: -1,
      thought: "Swap",
    }),
    observation(4, 3, "edit", "", { path: "/workspace/app/calc.py" }),
    action(5, "run", {
      command: "python3 -c 'import sys; sys.exit(3)'",
      thought: "Failing on purpose",
      background: false,
    }),
    observation(6, 5, "run", "Traceback: boom\nline two", { exit_code: 3, command: "x" }),
    action(7, "browse_interactive", { browser_actions: "click('a51')", thought: "Clicking" }),
    action(8, "teleport", { where: "moon" }, "Teleporting to the moon"),
    observation(9, 8, "error", "The teleporter is broken", {}),
    { error: true, message: "The sandbox restarted" },
    action(10, "reject", { outputs: { reason: "cannot teleport" }, thought: "I give up on teleporting." }),
  ];
}
