/**
 * A conversation's timeline as a Server-Sent Events stream: stored entries after a given `seq`, then
 * live ones while a turn runs, each exactly once and in order.
 *
 * Frames: `id: <seq>`, `event: <entry type>` (`prompt`, `event`, `turn-end`), `data: <entry as JSON>`.
 * When nothing more will come (no turn runs), a last frame `event: idle` with the conversation's status
 * and no id says the stream ended on purpose; a stream that ends without it was cut, and the client
 * reconnects with `Last-Event-ID`. An idle frame whose status is `running` (a new turn began meanwhile)
 * also asks for a reconnection.
 */
import type { WorkspaceService } from "./service.js";
import type { TimelineEntry } from "./timeline.js";

/** An SSE comment sent during silences, so proxies and idle timers keep the stream open. */
export const SSE_KEEP_ALIVE = ": keep-alive\n\n";

/** One SSE frame of an entry. `data` is one line: JSON never holds a raw newline. */
export function entryFrame(entry: TimelineEntry): string {
  return `id: ${entry.seq}\nevent: ${entry.type}\ndata: ${JSON.stringify(entry)}\n\n`;
}

/** The closing frame. */
export function idleFrame(data: unknown): string {
  return `event: idle\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * The `seq` to resume after: the `Last-Event-ID` header wins over the `after` query parameter; anything
 * that is not a non-negative integer counts as 0 (from the start).
 */
export function resumePoint(lastEventId: string | undefined, after: string | undefined): number {
  for (const value of [lastEventId, after]) {
    if (value !== undefined && /^\d{1,15}$/.test(value.trim())) return Number(value.trim());
  }
  return 0;
}

/** Live entries buffered from the moment of subscription, so none is missed while the store is read. */
export interface TimelineFeed {
  /** Stops listening. */
  close(): void;
  /** Builds the SSE response body of the entries after `after`. Call once. */
  stream(after: number, keepAliveMs: number): ReadableStream<Uint8Array>;
}

/** Subscribes to a conversation; see {@link TimelineFeed}. */
export function openFeed(service: WorkspaceService, id: string): TimelineFeed {
  const pending: TimelineEntry[] = [];
  let wake: (() => void) | undefined;
  let closed = false;
  const unsubscribe = service.subscribe(id, (entry) => {
    pending.push(entry);
    wake?.();
  });
  const close = () => {
    if (closed) return;
    closed = true;
    unsubscribe();
    wake?.();
  };
  const encoder = new TextEncoder();

  const stream = (after: number, keepAliveMs: number): ReadableStream<Uint8Array> => {
    let last = after;
    let replayed = false;
    let finished = false;
    let lastType: TimelineEntry["type"] | undefined;
    return new ReadableStream<Uint8Array>({
      async pull(out) {
        if (finished) return;
        if (!replayed) {
          replayed = true;
          const stored = await service.store.entries(id, after);
          let text = "";
          for (const entry of stored) {
            text += entryFrame(entry);
            last = entry.seq;
            lastType = entry.type;
          }
          if (text !== "") {
            out.enqueue(encoder.encode(text));
            return;
          }
        }
        for (;;) {
          let text = "";
          let ended = false;
          while (pending.length > 0) {
            const entry = pending.shift()!;
            if (entry.seq <= last) continue;
            text += entryFrame(entry);
            last = entry.seq;
            lastType = entry.type;
            if (entry.type === "turn-end") {
              ended = true;
              break;
            }
          }
          // Nothing runs (or the last entry ended a turn) and nothing is pending: the stream is complete. A
          // client that sees `status: "running"` in the idle frame (a new turn began meanwhile) reconnects.
          if (
            !ended &&
            (lastType === "turn-end" || !service.isRunning(id)) &&
            pending.every((e) => e.seq <= last)
          )
            ended = true;
          if (ended || closed) {
            finished = true;
            const conversation = await service.store.get(id);
            text += idleFrame({ status: conversation?.status ?? "deleted", lastSeq: last });
            close();
            out.enqueue(encoder.encode(text));
            out.close();
            return;
          }
          if (text !== "") {
            out.enqueue(encoder.encode(text));
            return;
          }
          const woke = await new Promise<boolean>((resolve) => {
            const timer = keepAliveMs > 0 ? setTimeout(() => resolve(false), keepAliveMs) : undefined;
            wake = () => {
              clearTimeout(timer);
              resolve(true);
            };
          });
          wake = undefined;
          if (!woke) {
            out.enqueue(encoder.encode(SSE_KEEP_ALIVE));
            return;
          }
        }
      },
      cancel() {
        finished = true;
        close();
      },
    });
  };
  return { close, stream };
}
