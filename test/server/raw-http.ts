/**
 * Raw HTTP/1.1 requests over a TCP socket, shaped byte for byte as the test writes them (a browser's
 * `Host`, `Origin` and content types included, which `fetch` does not let a caller set).
 */
import { connect, type Socket } from "node:net";

/** A parsed HTTP response. */
export interface RawResponse {
  status: number;
  /** Header names in lower case; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /** The body as received (chunked framing removed). */
  body: string;
}

/** Parses a whole HTTP/1.1 response (status line, headers, body with chunked framing removed). */
export function parseResponse(raw: Buffer): RawResponse {
  const end = raw.indexOf("\r\n\r\n");
  if (end === -1)
    throw new Error(`no complete response head in ${JSON.stringify(raw.toString().slice(0, 200))}`);
  const [statusLine = "", ...lines] = raw.subarray(0, end).toString("latin1").split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  let body = raw.subarray(end + 4);
  if (headers["transfer-encoding"] === "chunked") {
    const parts: Buffer[] = [];
    let rest = body;
    for (;;) {
      const lineEnd = rest.indexOf("\r\n");
      if (lineEnd === -1) break;
      const size = Number.parseInt(rest.subarray(0, lineEnd).toString("latin1"), 16);
      if (!(size > 0)) break;
      parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
      rest = rest.subarray(lineEnd + 2 + size + 2);
    }
    body = Buffer.concat(parts);
  }
  return { status, headers, body: body.toString("utf8") };
}

/** Options of {@link rawRequest}. */
export interface RawRequestOptions {
  method?: string;
  path?: string;
  /** Headers in order; `Host` is NOT added unless given (give `host: null` to send none). */
  headers?: Record<string, string | null>;
  body?: string;
}

/**
 * Sends one request with `Connection: close` and resolves with the whole response once the server
 * closes the connection. Without a `host` entry, `Host: 127.0.0.1:<port>` is sent.
 */
export function rawRequest(port: number, options: RawRequestOptions = {}): Promise<RawResponse> {
  const { method = "GET", path = "/", body } = options;
  const headers: Record<string, string | null> = { host: `127.0.0.1:${port}`, ...options.headers };
  let head = `${method} ${path} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries(headers)) if (value !== null) head += `${name}: ${value}\r\n`;
  if (body !== undefined && !("content-length" in headers))
    head += `content-length: ${Buffer.byteLength(body)}\r\n`;
  head += "connection: close\r\n\r\n";
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("end", () => {
      try {
        resolve(parseResponse(Buffer.concat(chunks)));
      } catch (error) {
        reject(error);
      }
    });
    socket.write(head + (body ?? ""));
  });
}

/**
 * Opens a socket, writes `head` (and whatever else the caller writes), and resolves with the first
 * complete response head and what arrived of the body by then, without waiting for the end.
 */
export function openRaw(port: number): {
  socket: Socket;
  /** Resolves once `text` has arrived (or the socket closed), with everything received so far. */
  until(check: (received: string) => boolean, timeoutMs?: number): Promise<string>;
} {
  const socket = connect(port, "127.0.0.1");
  let received = "";
  const waiters = new Set<() => void>();
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    received += chunk;
    for (const wake of waiters) wake();
  });
  socket.on("close", () => {
    for (const wake of waiters) wake();
  });
  socket.on("error", () => undefined);
  return {
    socket,
    until(check, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(new Error(`timed out; received so far: ${JSON.stringify(received.slice(0, 500))}`));
        }, timeoutMs);
        const wake = () => {
          if (check(received) || socket.destroyed) {
            clearTimeout(timer);
            waiters.delete(wake);
            resolve(received);
          }
        };
        waiters.add(wake);
        wake();
      });
    },
  };
}
