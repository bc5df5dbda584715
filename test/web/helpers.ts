/**
 * Fixtures of the web workspace tests: the stack (emulator, client, gateway) and an SSE reader.
 */
import type { TimelineEntry } from "../../src/server/workspace/timeline.js";

export { type Stack, startStack } from "../server/helpers.js";

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
