/**
 * Request bodies: JSON only (415 otherwise, before reading), one size limit (413), and a caller that goes
 * away mid-body reads as 499.
 *
 * On Node (the app served by `startServer`) the body is read from Node's request object directly; as a
 * plain fetch handler (`app.request()`), from the web `Request`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Context, MiddlewareHandler } from "hono";
import { safeValue } from "./logging.js";
import { GatewayError } from "./openai-error.js";

/** The error of a body larger than `limit` bytes: 413 `request_too_large`. */
export function bodyTooLarge(limit: number): GatewayError {
  return new GatewayError(413, `The request body is larger than ${limit} bytes`, {
    type: "invalid_request_error",
    code: "request_too_large",
  });
}

/** The error of a caller that closed the connection before its whole body arrived: 499. */
export function bodyAborted(): GatewayError {
  return new GatewayError(499, "The client closed the connection before sending the whole body", {
    type: "invalid_request_error",
    code: "client_closed_request",
  });
}

/** Node's request object when the app runs on `@hono/node-server`. */
export function incomingOf(c: Context): IncomingMessage | undefined {
  const env: unknown = c.env;
  if (typeof env !== "object" || env === null || !("incoming" in env)) return undefined;
  const incoming = (env as { incoming: unknown }).incoming;
  return typeof incoming === "object" && incoming !== null && "socket" in incoming
    ? (incoming as IncomingMessage)
    : undefined;
}

/** Node's response object when the app runs on `@hono/node-server`. */
export function outgoingOf(c: Context): ServerResponse | undefined {
  const env: unknown = c.env;
  if (typeof env !== "object" || env === null || !("outgoing" in env)) return undefined;
  const outgoing = (env as { outgoing: unknown }).outgoing;
  return typeof outgoing === "object" && outgoing !== null && "writeHead" in outgoing
    ? (outgoing as ServerResponse)
    : undefined;
}

function decode(chunks: Uint8Array[], size: number): string {
  const bytes = chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : Buffer.concat(chunks, size);
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function readIncoming(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onAbort);
      req.off("close", onAbort);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        reject(bodyTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(decode(chunks, size));
    };
    const onAbort = () => {
      cleanup();
      reject(bodyAborted());
    };
    if (req.complete && req.readableEnded) {
      resolve("");
      return;
    }
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onAbort);
    req.on("close", onAbort);
  });
}

async function readWeb(request: Request, limit: number): Promise<string> {
  if (request.body === null) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let result: Awaited<ReturnType<typeof reader.read>>;
    try {
      result = await reader.read();
    } catch {
      throw bodyAborted();
    }
    if (result.done) break;
    size += result.value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw bodyTooLarge(limit);
    }
    chunks.push(result.value);
  }
  return decode(chunks, size);
}

/**
 * The request body as UTF-8 text (a leading BOM dropped).
 * @throws GatewayError 413 `request_too_large` past `limit` bytes (a declared `Content-Length` is checked
 *   before anything is read), 499 `client_closed_request` when the caller goes away mid-body.
 */
export async function readBodyText(c: Context, limit: number): Promise<string> {
  const incoming = incomingOf(c);
  if (incoming !== undefined) return readNodeBodyText(incoming, limit);
  checkDeclaredLength(c.req.header("content-length"), c.req.header("transfer-encoding"), limit);
  return readWeb(c.req.raw, limit);
}

/** {@link readBodyText} on Node's request object. */
export async function readNodeBodyText(req: IncomingMessage, limit: number): Promise<string> {
  checkDeclaredLength(nodeHeader(req, "content-length"), nodeHeader(req, "transfer-encoding"), limit);
  return readIncoming(req, limit);
}

/** A request header of Node's request object (case-insensitive name), repeated ones joined with `, `. */
export function nodeHeader(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(", ") : value;
}

function checkDeclaredLength(length: string | undefined, encoding: string | undefined, limit: number): void {
  if (length !== undefined && encoding === undefined && Number.parseInt(length, 10) > limit) {
    throw bodyTooLarge(limit);
  }
}

/** True for a content type of `application/json`, with or without parameters. */
export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const type = value.split(";", 1)[0]?.trim().toLowerCase();
  return type === "application/json";
}

/** The methods whose body must be JSON. */
const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);

/**
 * The content-type check as a middleware: a `POST`, `PUT` or `PATCH` whose content type is not
 * `application/json` (parameters allowed) gets 415 `unsupported_media_type` before its body is read.
 * A web page can send `text/plain` or form bodies without a CORS preflight; JSON needs one.
 */
export function requireJsonBody(errorResponse: (error: GatewayError) => Response): MiddlewareHandler {
  return async (c, next) => {
    if (!BODY_METHODS.has(c.req.method)) return next();
    const type = c.req.header("content-type");
    if (isJsonContentType(type)) return next();
    const got = type === undefined ? "no content type" : `"${safeValue(type)}"`;
    return errorResponse(
      new GatewayError(415, `The request body must be application/json, got ${got}`, {
        type: "invalid_request_error",
        code: "unsupported_media_type",
      }),
    );
  };
}
