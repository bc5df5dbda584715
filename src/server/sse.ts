/**
 * The SSE writer: sends the frames of an {@link SseStream} as they are made, with back-pressure, and
 * cancels the stream when the caller goes away.
 *
 * On Node the frames go straight to Node's response object (no web streams: measured about 25-40% less
 * CPU per stream than a web `ReadableStream` body; see `npm run bench`); as a plain fetch handler, the
 * same frames become a `ReadableStream` body.
 */
import type { ServerResponse } from "node:http";

/** One step of an {@link SseStream}. */
export interface SsePull {
  /** SSE frames to send (may be `""`). */
  frames: string;
  /** True when nothing follows. */
  done: boolean;
}

/** The frames of a streamed answer, pulled one step at a time. */
export interface SseStream {
  /** The frames ready at once (e.g. a first comment or the role chunk); read once, by the writer. */
  readonly head: string;
  /** True when {@link head} already holds the whole stream. */
  readonly complete: boolean;
  /** The next frames. Never rejects: a failure becomes an error event. */
  pull(): Promise<SsePull>;
  /** The caller went away: cancels the work behind the stream. Idempotent. */
  cancel(): Promise<void>;
}

/** The response headers of every SSE answer. */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  "x-accel-buffering": "no",
};

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

/**
 * Writes a stream to Node's response: status 200, `headers`, then every frame; cancels the stream when the
 * connection closes first. Resolves when the stream ended or was cancelled.
 */
export async function writeSse(
  res: ServerResponse,
  headers: Record<string, string>,
  sse: SseStream,
): Promise<void> {
  res.on("close", () => {
    if (!res.writableFinished) void sse.cancel().catch(() => undefined);
  });
  res.on("error", () => undefined);
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
    ok = frames === "" ? true : res.write(frames);
  }
}

const encoder = new TextEncoder();

/** A stream as a web `Response` with a `ReadableStream` body (for the app used as a fetch handler). */
export function sseResponse(headers: Record<string, string>, sse: SseStream): Response {
  const body = new ReadableStream<Uint8Array>({
    start(out) {
      out.enqueue(encoder.encode(sse.head));
      if (sse.complete) out.close();
    },
    async pull(out) {
      const { frames, done } = await sse.pull();
      if (frames !== "") out.enqueue(encoder.encode(frames));
      if (done) out.close();
    },
    cancel: () => sse.cancel(),
  });
  return new Response(body, { status: 200, headers });
}
