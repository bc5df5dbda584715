/**
 * Transcripts of `/chat` exchanges: what a client sent to `POST /chat` and the response exactly as it
 * arrived, one JSON object per line (JSON Lines), with the access token redacted. The client writes them
 * (`RobocodersOptions.record`, `robocoders chat --record <file>`); the emulator answers `/chat` from them
 * (`robocoders emulate --replay <file|dir>`), byte for byte.
 *
 * A line:
 * ```json
 * {"format": "robocoders-transcript/1", "recordedAt": "2024-11-15T16:57:18.204Z",
 *  "request": {"method": "POST", "path": "/chat", "headers": {"authorization": "Bearer [redacted]", ...},
 *              "json": {"sid": "...", "prompt": "...", "agent": "GeneralCodingAgent"}},
 *  "response": {"status": 200, "headers": {"content-type": "..."}, "body": "<the body as UTF-8 text>",
 *               "complete": true}}
 * ```
 * A body that is not valid UTF-8 is stored as `bodyBase64` instead of `body`. `complete: false` marks a
 * body that broke off (the bytes up to the break are kept).
 */
import { appendFile, readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { isRecord } from "../internal/values.js";
import { InvalidArgumentError } from "./errors.js";

/** The `format` of a transcript line. */
export const TRANSCRIPT_FORMAT = "robocoders-transcript/1";
/** What replaces the token in recorded headers. */
export const REDACTED = "[redacted]";

/** One recorded `/chat` exchange (one line of a transcript). */
export interface ChatExchange {
  format: typeof TRANSCRIPT_FORMAT;
  /** When the response ended, ISO 8601. */
  recordedAt: string;
  request: {
    method: "POST";
    path: "/chat";
    /** Request headers, lower-case, the Bearer token replaced by {@link REDACTED}. */
    headers: Record<string, string>;
    /** The JSON body: `{sid, prompt, agent}`. */
    json: { sid: string; prompt: string; agent?: string } & Record<string, unknown>;
  };
  response: {
    status: number;
    /** A few response headers, lower-case (`content-type`, `retry-after`, `www-authenticate`, `server`). */
    headers: Record<string, string>;
    /** The body as received, when it is valid UTF-8. */
    body?: string;
    /** The body as received, base64, when it is not valid UTF-8. */
    bodyBase64?: string;
    /** Whether the body arrived whole (false: the stream broke off after these bytes). */
    complete: boolean;
  };
}

/** The response headers a transcript keeps. */
export const RECORDED_RESPONSE_HEADERS = [
  "content-type",
  "retry-after",
  "www-authenticate",
  "server",
] as const;

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The body fields for `bytes`: `body` when they are valid UTF-8, else `bodyBase64`. */
export function bodyFields(bytes: Uint8Array): { body: string } | { bodyBase64: string } {
  try {
    return { body: strictUtf8.decode(bytes) };
  } catch {
    return { bodyBase64: Buffer.from(bytes).toString("base64") };
  }
}

/** The bytes of a recorded response body. */
export function exchangeBody(exchange: ChatExchange): Buffer {
  const { body, bodyBase64 } = exchange.response;
  return body !== undefined ? Buffer.from(body, "utf8") : Buffer.from(bodyBase64 ?? "", "base64");
}

/** Request headers with the credentials replaced by {@link REDACTED}. */
export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    if (key === "authorization") out[key] = /^bearer\s/i.test(value) ? `Bearer ${REDACTED}` : REDACTED;
    else if (key === "cookie" || key === "proxy-authorization") out[key] = REDACTED;
    else out[key] = value;
  }
  return out;
}

function stringMap(value: unknown): value is Record<string, string> {
  return isRecord(value) && Object.values(value).every((v) => typeof v === "string");
}

/**
 * Checks one parsed transcript line.
 * @throws {InvalidArgumentError} naming `where` and what is wrong.
 */
export function parseExchange(value: unknown, where: string): ChatExchange {
  const fail = (what: string): never => {
    throw new InvalidArgumentError(`${where}: ${what}`);
  };
  if (!isRecord(value)) return fail("a transcript line must be a JSON object");
  if (value.format !== TRANSCRIPT_FORMAT) fail(`"format" must be "${TRANSCRIPT_FORMAT}"`);
  const { request, response } = value;
  if (!isRecord(request) || request.method !== "POST" || request.path !== "/chat")
    fail('"request" must be {"method": "POST", "path": "/chat", ...}');
  const req = request as Record<string, unknown>;
  if (!stringMap(req.headers ?? {})) fail('"request.headers" must map names to strings');
  const json = req.json;
  if (!isRecord(json) || typeof json.prompt !== "string")
    fail('"request.json" must be an object with a string "prompt"');
  if (!isRecord(response)) return fail('"response" must be an object');
  const status = response.status;
  if (typeof status !== "number" || !Number.isInteger(status) || status < 100 || status > 599)
    fail('"response.status" must be an HTTP status');
  if (!stringMap(response.headers ?? {})) fail('"response.headers" must map names to strings');
  const hasBody = typeof response.body === "string";
  const hasBase64 = typeof response.bodyBase64 === "string";
  if (hasBody === hasBase64) fail('"response" needs exactly one of "body" and "bodyBase64"');
  if (response.complete !== undefined && typeof response.complete !== "boolean")
    fail('"response.complete" must be true or false');
  return {
    format: TRANSCRIPT_FORMAT,
    recordedAt: typeof value.recordedAt === "string" ? value.recordedAt : "",
    request: {
      method: "POST",
      path: "/chat",
      headers: (req.headers ?? {}) as Record<string, string>,
      json: json as ChatExchange["request"]["json"],
    },
    response: {
      status: status as number,
      headers: Object.fromEntries(
        Object.entries((response.headers ?? {}) as Record<string, string>).map(([k, v]) => [
          k.toLowerCase(),
          v,
        ]),
      ),
      ...(hasBody ? { body: response.body as string } : { bodyBase64: response.bodyBase64 as string }),
      complete: response.complete !== false,
    },
  };
}

/** Parses the text of a transcript file (blank lines are skipped). */
export function parseTranscript(text: string, name: string): ChatExchange[] {
  const exchanges: ChatExchange[] = [];
  text.split("\n").forEach((line, index) => {
    if (line.trim() === "") return;
    const where = `${name}:${index + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new InvalidArgumentError(`${where}: not valid JSON`);
    }
    exchanges.push(parseExchange(value, where));
  });
  return exchanges;
}

/** Transcript files in a folder: `*.jsonl` and `*.ndjson`, in name order. */
const TRANSCRIPT_FILE = /\.(jsonl|ndjson)$/i;

/**
 * Reads the exchanges of a transcript file, or of every transcript file (`*.jsonl`, `*.ndjson`) in a
 * folder in name order.
 * @throws {InvalidArgumentError} for a missing path, an empty folder or an invalid line.
 */
export async function loadTranscripts(path: string): Promise<ChatExchange[]> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch {
    throw new InvalidArgumentError(`No transcript file or folder at ${path}`);
  }
  const files = info.isDirectory()
    ? (await readdir(path))
        .filter((name) => TRANSCRIPT_FILE.test(name))
        .sort()
        .map((name) => join(path, name))
    : [path];
  if (files.length === 0) throw new InvalidArgumentError(`No *.jsonl transcript in ${path}`);
  const exchanges: ChatExchange[] = [];
  for (const file of files) exchanges.push(...parseTranscript(await readFile(file, "utf8"), file));
  if (exchanges.length === 0) throw new InvalidArgumentError(`No /chat exchange in ${path}`);
  return exchanges;
}

const appending = new Map<string, Promise<void>>();

/** Appends one exchange as a line to `file` (created owner-only, 0600); appends to one file run in order. */
export function appendExchange(file: string, exchange: ChatExchange): Promise<void> {
  const previous = appending.get(file) ?? Promise.resolve();
  const next = previous
    .catch(() => undefined)
    .then(() => appendFile(file, `${JSON.stringify(exchange)}\n`, { encoding: "utf8", mode: 0o600 }));
  appending.set(file, next);
  void next
    .finally(() => {
      if (appending.get(file) === next) appending.delete(file);
    })
    .catch(() => undefined);
  return next;
}
