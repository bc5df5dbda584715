/** Test helpers: a raw HTTP/1.1 client that exposes chunk boundaries, and small request shortcuts. */
import { connect } from "node:net";
import { fetch } from "undici";
import type { Emulator } from "../../src/emulator/index.js";

/** A response read byte by byte off the socket. */
export interface RawResponse {
  status: number;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  /** The payload of every HTTP chunk, in order (for a chunked body), or the whole body. */
  chunks: Buffer[];
  /** The body, de-chunked. */
  body: Buffer;
  /** Whether the terminating zero-length chunk arrived. */
  terminated: boolean;
  /** Whether the body ended inside a chunk (the connection closed mid-chunk). */
  truncated: boolean;
  /** Every byte received, head included. */
  wire: Buffer;
}

/** Sends one request over a fresh socket (`connection: close`) and parses the response framing by hand. */
export function rawRequest(
  emulator: Emulator,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<RawResponse> {
  const body = options.body === undefined ? undefined : Buffer.from(options.body, "utf8");
  const headers: Record<string, string> = {
    host: `${emulator.host}:${emulator.port}`,
    connection: "close",
    ...(body === undefined
      ? {}
      : { "content-type": "application/json", "content-length": String(body.length) }),
    ...options.headers,
  };
  const head =
    `${options.method ?? "GET"} ${options.path} HTTP/1.1\r\n` +
    Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join("") +
    "\r\n";
  return new Promise((resolve, reject) => {
    const socket = connect(emulator.port, emulator.host);
    const parts: Buffer[] = [];
    socket.on("data", (data: Buffer) => parts.push(data));
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      try {
        resolve(parseResponse(Buffer.concat(parts)));
      } catch (error) {
        reject(error);
      }
    };
    socket.on("close", finish);
    socket.on("error", () => finish());
    socket.write(head);
    if (body !== undefined) socket.write(body);
  });
}

function parseResponse(wire: Buffer): RawResponse {
  const headEnd = wire.indexOf("\r\n\r\n");
  if (headEnd === -1)
    throw new Error(`no complete response head in ${JSON.stringify(wire.toString("latin1"))}`);
  const [statusLine, ...headerLines] = wire.subarray(0, headEnd).toString("latin1").split("\r\n");
  const status = Number(statusLine?.split(" ")[1]);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = wire.subarray(headEnd + 4);
  const chunks: Buffer[] = [];
  let terminated = false;
  let truncated = false;
  if (headers["transfer-encoding"] === "chunked") {
    let offset = 0;
    while (offset < rest.length) {
      const lineEnd = rest.indexOf("\r\n", offset);
      if (lineEnd === -1) {
        truncated = true;
        break;
      }
      const size = Number.parseInt(rest.subarray(offset, lineEnd).toString("latin1"), 16);
      if (size === 0) {
        terminated = true;
        break;
      }
      const start = lineEnd + 2;
      if (start + size + 2 > rest.length) {
        chunks.push(rest.subarray(start, Math.min(start + size, rest.length)));
        truncated = true;
        break;
      }
      chunks.push(rest.subarray(start, start + size));
      offset = start + size + 2;
    }
  } else {
    chunks.push(rest);
    terminated = true;
  }
  return { status, headers, chunks, body: Buffer.concat(chunks), terminated, truncated, wire };
}

/** A fresh token and session on the emulator. */
export async function login(
  emulator: Emulator,
): Promise<{ token: string; sid: string; auth: Record<string, string> }> {
  const token = await emulator.mintToken();
  return { token, sid: emulator.createSession(), auth: { authorization: `Bearer ${token}` } };
}

/** POSTs JSON with undici's fetch. */
export function postJson(
  emulator: Emulator,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): ReturnType<typeof fetch> {
  return fetch(`${emulator.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** Splits a stream body into its non-blank lines (LF or CRLF). */
export function lines(body: string): string[] {
  return body.split(/\r?\n/).filter((line) => line.trim() !== "");
}
