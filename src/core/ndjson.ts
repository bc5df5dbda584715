/**
 * Decoding of the `/chat` event stream: newline-delimited JSON objects, written by Python.
 *
 * The byte stream is split on `\n` (byte 0x0A, which never occurs inside a multi-byte UTF-8 sequence), so a
 * chunk boundary anywhere — inside a string, an escape, a multi-byte character or a CR/LF pair — cannot
 * change the result. Each complete line is then decoded as UTF-8 and parsed once.
 */

import { isRecord } from "../internal/values.js";
import { InvalidArgumentError, RobocodersError, StreamError } from "./errors.js";
import type { RawEvent } from "./events.js";
import { parsePythonJson } from "./python-json.js";

/** Default for {@link DecodeOptions.maxLineBytes}: 64 MiB. */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

/** Why {@link decodeEventStream} skipped a line. */
export type SkipReason = "malformed" | "not_object" | "invalid_utf8";

/** Options of {@link decodeEventStream}. */
export interface DecodeOptions {
  /**
   * Longest accepted line in bytes, without its `\r\n` (default {@link DEFAULT_MAX_LINE_BYTES}, 64 MiB).
   * A longer line throws a {@link StreamError} with code `"line_too_long"` after everything before it was
   * yielded. Memory stays bounded by this limit (plus one chunk).
   */
  maxLineBytes?: number;
  /**
   * Called for each skipped line (blank lines are skipped silently): malformed JSON, JSON that is not an
   * object, invalid UTF-8 (then `line` is decoded with U+FFFD replacement characters). Default: none.
   */
  onSkip?: (reason: SkipReason, line: string) => void;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Incremental byte line splitter used by {@link decodeEventStream} (exported for tests and benchmarks).
 *
 * Lines are split on `\n`; one trailing `\r` is removed. Lines that lie whole inside one pushed chunk are
 * returned as views of that chunk's memory, without copying; a line spread over several chunks is
 * joined with a single copy when its `\n` arrives, so a long line in many small chunks costs O(n).
 * The unfinished tail of a chunk is copied, so callers may reuse their chunk buffers after `push`.
 */
export class LineSplitter {
  private parts: Uint8Array[] = [];
  private pending = 0;

  /** Bytes of the unfinished line held so far (including a trailing `\r`, if any). */
  get pendingBytes(): number {
    return this.pending;
  }

  /** Adds a chunk and returns the lines it completes, in order, without their `\n` or `\r\n`. */
  push(chunk: Uint8Array): Uint8Array[] {
    const lines: Uint8Array[] = [];
    const { buffer, byteOffset, length } = chunk;
    // Buffer's indexOf is a native memchr; TypedArray.prototype.indexOf is many times slower.
    const bytes = Buffer.from(buffer, byteOffset, length);
    let start = 0;
    let newline = bytes.indexOf(LF);
    if (newline !== -1 && this.pending > 0) {
      lines.push(stripCR(this.join(new Uint8Array(buffer, byteOffset, newline))));
      start = newline + 1;
      newline = bytes.indexOf(LF, start);
    }
    while (newline !== -1) {
      // A plain Uint8Array view: Buffer#subarray is slow (species constructor) and would not be needed.
      lines.push(stripCR(new Uint8Array(buffer, byteOffset + start, newline - start)));
      start = newline + 1;
      newline = bytes.indexOf(LF, start);
    }
    if (start < length) {
      // Copy the tail: the producer may reuse the chunk's memory (Buffer#slice would only make a view).
      const tail = new Uint8Array(length - start);
      tail.set(new Uint8Array(buffer, byteOffset + start, length - start));
      this.parts.push(tail);
      this.pending += tail.length;
    }
    return lines;
  }

  /** Ends the input: returns the last line if it did not end in `\n` (a trailing `\r` removed), and resets. */
  flush(): Uint8Array | undefined {
    if (this.pending === 0) return undefined;
    return stripCR(this.join(new Uint8Array(0)));
  }

  /** Joins the held parts and `tail` into one line and resets the pending state. */
  private join(tail: Uint8Array): Uint8Array {
    const { parts } = this;
    let line: Uint8Array;
    if (parts.length === 1 && tail.length === 0) {
      line = parts[0] ?? tail;
    } else {
      line = new Uint8Array(this.pending + tail.length);
      let offset = 0;
      for (const part of parts) {
        line.set(part, offset);
        offset += part.length;
      }
      line.set(tail, offset);
    }
    this.parts = [];
    this.pending = 0;
    return line;
  }
}

function stripCR(line: Uint8Array): Uint8Array {
  const last = line.length - 1;
  return last >= 0 && line[last] === CR ? new Uint8Array(line.buffer, line.byteOffset, last) : line;
}

/** True when the line holds only JSON whitespace (space, tab, CR), or nothing. */
function isBlank(line: Uint8Array): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c !== 0x20 && c !== 0x09 && c !== CR) return false;
  }
  return true;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const utf8Lenient = new TextDecoder("utf-8");

/**
 * A line decoder with the same rules as {@link decodeEventStream}, for callers that already have lines.
 * Returns the object, or `undefined` for a skipped line (reported to `onSkip`, except blank lines).
 */
export function decodeEventLine(line: Uint8Array, onSkip?: DecodeOptions["onSkip"]): RawEvent | undefined {
  if (line.length === 0 || (line[0] !== 0x7b && isBlank(line))) return undefined;
  let text: string;
  try {
    text = utf8.decode(line);
  } catch {
    onSkip?.("invalid_utf8", utf8Lenient.decode(line));
    return undefined;
  }
  let value: unknown;
  try {
    value = parsePythonJson(text);
  } catch {
    onSkip?.("malformed", text);
    return undefined;
  }
  if (isRecord(value)) return value;
  onSkip?.("not_object", text);
  return undefined;
}

function lineTooLong(limit: number, delivered: number): StreamError {
  return new StreamError(
    `A line of the event stream is longer than the limit of ${limit} bytes (maxLineBytes)`,
    "line_too_long",
    { eventsDelivered: delivered },
  );
}

/**
 * Splits a byte stream into lines (on `\n`; a trailing `\r` is stripped), skips blank and whitespace-only
 * lines, decodes each line as UTF-8 (fatal: a line with invalid UTF-8 is skipped, like the reference
 * client), parses it with {@link parsePythonJson} and yields the JSON objects (arrays, strings, numbers and
 * malformed lines are skipped and reported to {@link DecodeOptions.onSkip}). A last line without `\n` is
 * flushed at a clean end of the stream. Never buffers more than one line (plus one chunk).
 *
 * Leaving the loop early closes `body` (its iterator's `return` is called).
 *
 * @throws StreamError `"stream_truncated"` when iterating `body` throws (connection cut mid-stream, chunked
 *   body without its final chunk): everything complete is yielded first; `cause` is the original error and
 *   the message tells how many bytes of an incomplete line were discarded (never their content). An error
 *   that already is a `RobocodersError` (e.g. a timeout or abort raised by the HTTP layer) is rethrown
 *   unchanged, so its more precise code survives.
 * @throws StreamError `"line_too_long"` when a line exceeds {@link DecodeOptions.maxLineBytes}, after
 *   everything before that line was yielded.
 */
export async function* decodeEventStream(
  body: AsyncIterable<Uint8Array>,
  options: DecodeOptions = {},
): AsyncGenerator<RawEvent> {
  const limit = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  if (!(limit > 0)) throw new InvalidArgumentError(`maxLineBytes must be a positive number, got ${limit}`);
  const { onSkip } = options;
  const splitter = new LineSplitter();
  let delivered = 0;
  const iterator = body[Symbol.asyncIterator]();
  // True once the body ended or failed by itself; otherwise leaving (early return by the consumer, a line
  // over the limit, a throwing onSkip) closes it, which for an HTTP body releases the connection.
  let bodyFinished = false;
  try {
    for (;;) {
      let result: IteratorResult<Uint8Array>;
      try {
        result = await iterator.next();
      } catch (error) {
        bodyFinished = true;
        throw truncated(error, splitter.pendingBytes, delivered);
      }
      if (result.done === true) {
        bodyFinished = true;
        break;
      }
      for (const line of splitter.push(result.value)) {
        if (line.length > limit) throw lineTooLong(limit, delivered);
        const event = decodeEventLine(line, onSkip);
        if (event !== undefined) {
          delivered++;
          yield event;
        }
      }
      // The unfinished line may still end in the \r of a \r\n pair: allow one byte for it.
      if (splitter.pendingBytes > limit + 1) throw lineTooLong(limit, delivered);
    }
  } finally {
    if (!bodyFinished) await closeQuietly(iterator);
  }
  const last = splitter.flush();
  if (last !== undefined) {
    if (last.length > limit) throw lineTooLong(limit, delivered);
    const event = decodeEventLine(last, onSkip);
    if (event !== undefined) {
      delivered++;
      yield event;
    }
  }
}

async function closeQuietly(iterator: AsyncIterator<Uint8Array>): Promise<void> {
  try {
    await iterator.return?.();
  } catch {
    // The stream is being abandoned; its close error adds nothing.
  }
}

function truncated(cause: unknown, pendingBytes: number, delivered: number): Error {
  if (cause instanceof RobocodersError) return cause;
  const detail =
    pendingBytes > 0
      ? `${pendingBytes} bytes of an incomplete line were discarded`
      : "it broke off between two lines";
  const reason = cause instanceof Error && cause.message !== "" ? ` (${cause.message})` : "";
  return new StreamError(`The event stream ended unexpectedly${reason}: ${detail}`, "stream_truncated", {
    eventsDelivered: delivered,
    incompleteBytes: pendingBytes,
    cause,
  });
}
