/**
 * The page's client of the workspace's native API: JSON calls with the API key, and timelines read as
 * Server-Sent Events over `fetch` (so the key goes in a header, and a dropped stream resumes with
 * `Last-Event-ID`).
 */
import type { Conversation, TimelineEntry } from "../../src/server/workspace/timeline.js";

const KEY_STORAGE = "robocoders.apiKey";

/** The API key kept in this browser, if any. */
export function storedKey(): string | undefined {
  try {
    return localStorage.getItem(KEY_STORAGE) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Keeps (or, with `undefined`, forgets) the API key in this browser. */
export function storeKey(key: string | undefined): void {
  try {
    if (key === undefined || key === "") localStorage.removeItem(KEY_STORAGE);
    else localStorage.setItem(KEY_STORAGE, key);
  } catch {
    // Storage may be disabled: the key then lasts until the page is closed.
  }
  memoryKey = key;
}

let memoryKey: string | undefined;

function currentKey(): string | undefined {
  return storedKey() ?? memoryKey;
}

/** A failed API call: the server's error code and message. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
  /** The gateway wants an API key (none, or a wrong one, was sent). */
  get needsKey(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const key = currentKey();
  return key === undefined ? extra : { ...extra, authorization: `Bearer ${key}` };
}

async function failure(response: Response): Promise<ApiError> {
  let code = `http_${response.status}`;
  let message = `The gateway answered ${response.status} ${response.statusText}`.trim();
  try {
    const body: unknown = await response.json();
    if (typeof body === "object" && body !== null && "error" in body) {
      const error = (body as { error: { message?: unknown; code?: unknown } }).error;
      if (typeof error.message === "string") message = error.message;
      if (typeof error.code === "string") code = error.code;
    }
  } catch {
    // Not JSON: keep the status line.
  }
  return new ApiError(response.status, code, message);
}

async function call(path: string, init: RequestInit = {}): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(`/api${path}`, {
      ...init,
      headers: headers(init.headers as Record<string, string>),
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError(
      0,
      "gateway_unreachable",
      "The gateway cannot be reached. Is `robocoders ui` still running?",
    );
  }
  if (!response.ok) throw await failure(response);
  return response;
}

function jsonInit(method: string, body?: unknown): RequestInit {
  return {
    method,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body ?? {}),
  };
}

/** The native API. */
export const api = {
  async agents(): Promise<string[]> {
    return ((await (await call("/agents")).json()) as { agents: string[] }).agents;
  },
  async list(): Promise<Conversation[]> {
    return ((await (await call("/conversations")).json()) as { conversations: Conversation[] }).conversations;
  },
  async get(id: string): Promise<Conversation> {
    return (await (await call(`/conversations/${encodeURIComponent(id)}`)).json()) as Conversation;
  },
  async create(input: { agent: string; autoContinue?: boolean }): Promise<Conversation> {
    return (await (await call("/conversations", jsonInit("POST", input))).json()) as Conversation;
  },
  async update(
    id: string,
    patch: { title?: string; agent?: string; autoContinue?: boolean },
  ): Promise<Conversation> {
    return (await (
      await call(`/conversations/${encodeURIComponent(id)}`, jsonInit("PATCH", patch))
    ).json()) as Conversation;
  },
  async remove(id: string): Promise<void> {
    await call(`/conversations/${encodeURIComponent(id)}`, { method: "DELETE" });
  },
  async stop(id: string): Promise<boolean> {
    const body = (await (
      await call(`/conversations/${encodeURIComponent(id)}/stop`, jsonInit("POST"))
    ).json()) as {
      stopped: boolean;
    };
    return body.stopped;
  },
  async sessionCode(id: string, githubUsername: string): Promise<{ repoUrl: string; message: string }> {
    const response = await call(
      `/conversations/${encodeURIComponent(id)}/code`,
      jsonInit("POST", { githubUsername }),
    );
    return (await response.json()) as { repoUrl: string; message: string };
  },
  async exportTimeline(id: string): Promise<{ name: string; blob: Blob }> {
    const response = await call(`/conversations/${encodeURIComponent(id)}/export`);
    const disposition = response.headers.get("content-disposition") ?? "";
    const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? "robocoders.jsonl";
    return { name, blob: await response.blob() };
  },
  /** Starts a turn; its entries go to `onEntry`. Resolves with the idle frame, or throws when the stream broke. */
  async turn(
    id: string,
    body: { prompt?: string; retry?: boolean },
    onEntry: (entry: TimelineEntry) => void,
    signal: AbortSignal,
  ): Promise<Idle | undefined> {
    const response = await call(`/conversations/${encodeURIComponent(id)}/turns`, {
      ...jsonInit("POST", body),
      signal,
    });
    return readEvents(response, onEntry);
  },
  /** Reads the timeline after `after` (and live entries while a turn runs). */
  async events(
    id: string,
    after: number,
    onEntry: (entry: TimelineEntry) => void,
    signal: AbortSignal,
  ): Promise<Idle | undefined> {
    const response = await call(`/conversations/${encodeURIComponent(id)}/events`, {
      headers: { "last-event-id": String(after) },
      signal,
    });
    return readEvents(response, onEntry);
  },
};

/** The closing frame of a timeline stream. */
export interface Idle {
  status: string;
  lastSeq: number;
}

/**
 * Reads SSE frames from a response. Returns the idle frame's data when the stream ended on purpose;
 * `undefined` when it ended without one (the connection was cut).
 */
export async function readEvents(
  response: Response,
  onEntry: (entry: TimelineEntry) => void,
): Promise<Idle | undefined> {
  if (response.body === null) return undefined;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SseParser();
  let idle: Idle | undefined;
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<string>;
      try {
        chunk = await reader.read();
      } catch (error) {
        if (error instanceof DOMException && error.name === "AbortError") throw error;
        return undefined;
      }
      if (chunk.done) return idle;
      for (const frame of parser.push(chunk.value)) {
        if (frame.event === "idle") idle = JSON.parse(frame.data) as Idle;
        else if (frame.data !== "") onEntry(JSON.parse(frame.data) as TimelineEntry);
      }
    }
  } finally {
    reader.releaseLock();
  }
}

/** One SSE frame. */
export interface SseFrame {
  id: string | undefined;
  event: string;
  data: string;
}

/** An incremental SSE parser (the EventSource rules: LF, CRLF or CR line ends, comments, multi-line data). */
export class SseParser {
  private buffer = "";
  private id: string | undefined;
  private event: string | undefined;
  private data: string[] = [];

  /** Feeds text; returns the frames it completed. */
  push(text: string): SseFrame[] {
    this.buffer += text;
    const frames: SseFrame[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      // A lone CR at the end may be the first half of a CRLF: wait for more.
      if (match === null || (match[0] === "\r" && match.index === this.buffer.length - 1)) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      if (line === "") {
        if (this.data.length > 0 || this.event !== undefined) {
          frames.push({ id: this.id, event: this.event ?? "message", data: this.data.join("\n") });
        }
        this.event = undefined;
        this.data = [];
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "data") this.data.push(value);
      else if (field === "id") this.id = value;
      else if (field === "event") this.event = value;
    }
    return frames;
  }
}
