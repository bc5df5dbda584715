/**
 * `POST /v1/chat/completions` served straight on Node's `http` objects, without the fetch layer: no web
 * `Request`/`Response`, no web streams, SSE frames written to the socket as they are made. Behaviour
 * (logging, API key, body limit, errors, disconnects) is that of the Hono route; every other request
 * goes to the Hono app.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ChatHooks, ChatReply, RequestInfo, SseStream } from "./app.js";
import { errorReply } from "./app.js";
import { GatewayError } from "./openai-error.js";

/** The path served here; any other spelling (query aside) goes to the Hono app. */
const CHAT_PATH = "/v1/chat/completions";

/** After an answer sent before the body was read, how long and how much of it is still read. */
const DRAIN_TIMEOUT_MS = 500;
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

/** Whether a request is one {@link serveChat} answers. */
export function isChatRequest(req: IncomingMessage): boolean {
  if (req.method !== "POST") return false;
  const url = req.url ?? "";
  const end = url.indexOf("?");
  return (end === -1 ? url : url.slice(0, end)) === CHAT_PATH;
}

function headerOf(req: IncomingMessage): (name: string) => string | undefined {
  return (name) => {
    const value = req.headers[name.toLowerCase()];
    return Array.isArray(value) ? value.join(", ") : value;
  };
}

function tooLarge(maxBodyBytes: number): GatewayError {
  return new GatewayError(413, `The request body is larger than ${maxBodyBytes} bytes`, {
    type: "invalid_request_error",
    code: "request_too_large",
  });
}

/** Reads the whole body as UTF-8 text (a leading BOM dropped); `undefined` when it exceeds `limit`. */
function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      const text = (
        chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : Buffer.concat(chunks, size)
      ).toString("utf8");
      resolve(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onClose = () => {
      cleanup();
      reject(new Error("The client closed the connection before sending the whole body"));
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("close", onClose);
  });
}

/** Reads and drops what is left of a body after the answer, within bounds, then lets the socket go. */
function drainBody(req: IncomingMessage): void {
  if (req.complete || req.destroyed) return;
  let read = 0;
  const forceClose = () => {
    cleanup();
    if (!req.socket.destroyed) req.socket.destroySoon();
  };
  const timer = setTimeout(forceClose, DRAIN_TIMEOUT_MS);
  timer.unref();
  const onData = (chunk: Buffer) => {
    read += chunk.length;
    if (read > MAX_DRAIN_BYTES) forceClose();
  };
  const cleanup = () => {
    clearTimeout(timer);
    req.off("data", onData);
    req.off("end", cleanup);
    req.off("error", cleanup);
  };
  req.on("data", onData);
  req.on("end", cleanup);
  req.on("error", cleanup);
  req.resume();
}

function sendJson(res: ServerResponse, reply: ChatReply & { kind: "json" }): void {
  if (res.destroyed) return;
  res.writeHead(reply.status, { ...reply.headers, "content-length": Buffer.byteLength(reply.body) });
  res.end(reply.body);
}

/** Resolves once `res` can take more data, or has closed. */
function writable(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

async function sendStream(
  res: ServerResponse,
  headers: Record<string, string>,
  sse: SseStream,
): Promise<void> {
  if (res.destroyed) {
    await sse.cancel();
    return;
  }
  res.writeHead(200, headers);
  if (sse.complete) {
    res.end(sse.head);
    return;
  }
  let ok = res.write(sse.head);
  for (;;) {
    if (!ok) await writable(res);
    if (res.destroyed) return;
    const { frames, done } = await sse.pull();
    if (res.destroyed) return;
    if (done) {
      res.end(frames);
      return;
    }
    ok = res.write(frames);
  }
}

/**
 * Serves one `POST /v1/chat/completions` (see {@link isChatRequest}) with the app's hooks. Never
 * rejects: an unexpected failure is logged and answered like the Hono app's error handler does.
 */
export async function serveChat(hooks: ChatHooks, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const info: RequestInfo = { started: performance.now() };
  const method = req.method ?? "POST";
  const log = (status: number) => hooks.log(method, CHAT_PATH, status, info);
  const controller = new AbortController();
  let sse: SseStream | undefined;
  res.on("error", () => undefined);
  res.on("close", () => {
    if (res.writableFinished) return;
    controller.abort(new Error("Client connection prematurely closed."));
    sse?.cancel().catch(() => undefined);
  });
  res.on("finish", () => drainBody(req));
  try {
    const header = headerOf(req);
    const authError = hooks.authError(header);
    const length = req.headers["content-length"];
    // As Hono's body limit: a declared length is checked up front, any other body while it is read.
    const declared = length !== undefined && req.headers["transfer-encoding"] === undefined;
    const reply: ChatReply =
      authError !== undefined
        ? errorReply(authError)
        : declared && Number.parseInt(length, 10) > hooks.maxBodyBytes
          ? errorReply(tooLarge(hooks.maxBodyBytes))
          : await hooks.answer({
              header,
              readBody: async () => {
                const body = await readBody(req, declared ? Number.POSITIVE_INFINITY : hooks.maxBodyBytes);
                if (body === undefined) throw tooLarge(hooks.maxBodyBytes);
                return body;
              },
              signal: controller.signal,
              info,
              log,
            });
    if (reply.kind === "json") {
      sendJson(res, reply);
      if (info.deferred !== true) log(reply.status);
      return;
    }
    sse = reply.stream;
    await sendStream(res, reply.headers, reply.stream);
  } catch (error) {
    const reply = errorReply(hooks.fail(error));
    if (!res.headersSent) sendJson(res, reply);
    else res.destroy();
    if (info.deferred !== true) log(reply.status);
  }
}
