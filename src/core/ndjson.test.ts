import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { APITimeoutError, InvalidArgumentError, StreamError } from "./errors.js";
import type { RawEvent } from "./events.js";
import {
  type DecodeOptions,
  decodeEventLine,
  decodeEventStream,
  LineSplitter,
  type SkipReason,
} from "./ndjson.js";
import { type PyValue, parsePythonJson, pyDumps } from "./python-json.js";

const encoder = new TextEncoder();
const bytes = (text: string): Uint8Array => encoder.encode(text);
const text = (data: Uint8Array | undefined): string | undefined =>
  data === undefined ? undefined : Buffer.from(data).toString("latin1");

/** A body yielding the given chunks, then optionally throwing; records whether it was closed early. */
function body(chunks: Iterable<Uint8Array>, failWith?: unknown) {
  const state = { closed: false, pulled: 0 };
  async function* generate(): AsyncGenerator<Uint8Array> {
    let finished = false;
    try {
      for (const chunk of chunks) {
        state.pulled++;
        yield chunk;
      }
      finished = true;
      if (failWith !== undefined) throw failWith;
    } finally {
      if (!finished) state.closed = true;
    }
  }
  return { stream: generate(), state };
}

/** Splits `data` at the given offsets (any order, duplicates and out-of-range values allowed). */
function cut(data: Uint8Array, offsets: number[]): Uint8Array[] {
  const points = [...new Set(offsets.map((o) => Math.min(Math.max(o, 0), data.length)))].sort(
    (a, b) => a - b,
  );
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of [...points, data.length]) {
    if (point > start) chunks.push(data.slice(start, point));
    start = point;
  }
  return chunks;
}

const oneBytePerChunk = (data: Uint8Array): Uint8Array[] => Array.from(data, (b) => Uint8Array.of(b));

interface Outcome {
  events: RawEvent[];
  error?: unknown;
  skipped: Array<[SkipReason, string]>;
}

async function decodeAll(
  chunks: AsyncIterable<Uint8Array>,
  options: Omit<DecodeOptions, "onSkip"> = {},
): Promise<Outcome> {
  const outcome: Outcome = { events: [], skipped: [] };
  try {
    for await (const event of decodeEventStream(chunks, {
      ...options,
      onSkip: (reason, line) => outcome.skipped.push([reason, line]),
    })) {
      outcome.events.push(event);
    }
  } catch (error) {
    outcome.error = error;
  }
  return outcome;
}

function streamError(outcome: Outcome): StreamError {
  expect(outcome.error).toBeInstanceOf(StreamError);
  return outcome.error as StreamError;
}

describe("LineSplitter", () => {
  it("splits on LF, strips one trailing CR and flushes the unterminated rest", () => {
    const splitter = new LineSplitter();
    expect(splitter.push(bytes("a\nb\r\n\nc\r\r\nd")).map(text)).toEqual(["a", "b", "", "c\r"]);
    expect(splitter.pendingBytes).toBe(1);
    expect(splitter.push(bytes("e\r")).map(text)).toEqual([]);
    expect(splitter.pendingBytes).toBe(3);
    expect(text(splitter.flush())).toBe("de");
    expect(splitter.pendingBytes).toBe(0);
    expect(splitter.flush()).toBeUndefined();
  });

  it("joins a CR/LF pair split across chunks", () => {
    const splitter = new LineSplitter();
    expect(splitter.push(bytes("x\r"))).toEqual([]);
    expect(splitter.push(bytes("\ny")).map(text)).toEqual(["x"]);
    expect(text(splitter.flush())).toBe("y");
  });

  it("returns whole lines of a chunk as views, without copying", () => {
    const chunk = bytes("one\ntwo\n");
    const lines = new LineSplitter().push(chunk);
    expect(lines.map(text)).toEqual(["one", "two"]);
    for (const line of lines) expect(line.buffer).toBe(chunk.buffer);
  });

  it("copies the unfinished tail, so the producer may reuse its buffer", () => {
    const splitter = new LineSplitter();
    const buffer = bytes("ab");
    splitter.push(buffer);
    buffer.set(bytes("XY"));
    expect(splitter.push(bytes("c\n")).map(text)).toEqual(["abc"]);
  });

  it("reassembles a line from one byte per chunk", () => {
    const splitter = new LineSplitter();
    const lines: Uint8Array[] = [];
    for (const chunk of oneBytePerChunk(bytes("hello\r\nworld\n"))) lines.push(...splitter.push(chunk));
    expect(lines.map(text)).toEqual(["hello", "world"]);
    expect(splitter.flush()).toBeUndefined();
  });
});

describe("decodeEventLine", () => {
  it("decodes one line with the stream's rules", () => {
    const skipped: string[] = [];
    const onSkip = (reason: SkipReason) => skipped.push(reason);
    expect(decodeEventLine(bytes('{"a": NaN}'), onSkip)).toEqual({ a: Number.NaN });
    expect(decodeEventLine(bytes(" \t\r"), onSkip)).toBeUndefined();
    expect(decodeEventLine(bytes("[1]"), onSkip)).toBeUndefined();
    expect(decodeEventLine(bytes("{"), onSkip)).toBeUndefined();
    expect(decodeEventLine(Uint8Array.of(0x7b, 0xff, 0x7d), onSkip)).toBeUndefined();
    expect(skipped).toEqual(["not_object", "malformed", "invalid_utf8"]);
  });
});

describe("decodeEventStream", () => {
  it("yields objects, skips blank lines silently and reports the others", async () => {
    const input =
      '{"id": 1, "message": "Gr\\u00fc\\u00dfe"}\r\n' +
      "\n   \n\t\r\n" +
      '{"id": 2, "args": {"x": NaN, "y": -Infinity}}\n' +
      '[1, 2]\n42\n"text"\nnull\n{broken\n\u00a0\n' +
      '{"id": 3, "message": "raw ü 😀"}';
    const { stream } = body([bytes(input)]);
    const outcome = await decodeAll(stream);
    expect(outcome.error).toBeUndefined();
    expect(outcome.events).toEqual([
      { id: 1, message: "Grüße" },
      { id: 2, args: { x: Number.NaN, y: Number.NEGATIVE_INFINITY } },
      { id: 3, message: "raw ü 😀" },
    ]);
    expect(outcome.skipped).toEqual([
      ["not_object", "[1, 2]"],
      ["not_object", "42"],
      ["not_object", '"text"'],
      ["not_object", "null"],
      ["malformed", "{broken"],
      ["malformed", "\u00a0"],
    ]);
  });

  it("skips a line with invalid UTF-8 (also encoded surrogates) and goes on", async () => {
    const bad = Uint8Array.of(...bytes('{"a": "'), 0xc3, 0x28, ...bytes('"}\n'));
    const surrogate = Uint8Array.of(...bytes('{"a": "'), 0xed, 0xa0, 0x80, ...bytes('"}\n'));
    const { stream } = body([bad, surrogate, bytes('{"ok": true}\n')]);
    const outcome = await decodeAll(stream);
    expect(outcome.events).toEqual([{ ok: true }]);
    expect(outcome.skipped.map(([reason]) => reason)).toEqual(["invalid_utf8", "invalid_utf8"]);
    expect(outcome.skipped[0]?.[1]).toBe('{"a": "\ufffd("}');
  });

  it("strips a UTF-8 byte order mark at the start of a line, as Python's json.loads(bytes) does", async () => {
    const { stream } = body([bytes('\ufeff{"a": 1}\n')]);
    expect((await decodeAll(stream)).events).toEqual([{ a: 1 }]);
  });

  it("is byte-exact when chunks split multi-byte characters, escapes and CR/LF pairs", async () => {
    const input = bytes('{"a": "ü😀", "b": "\\ud83d\\ude00\\"\\\\"}\r\n{"c": [NaN, Infinity]}\r\n');
    for (const chunks of [oneBytePerChunk(input), cut(input, [9, 10, 11, 30, 31, 45, 46])]) {
      const outcome = await decodeAll(body(chunks).stream);
      expect(outcome.error).toBeUndefined();
      expect(outcome.events).toEqual([
        { a: "ü😀", b: '😀"\\' },
        { c: [Number.NaN, Number.POSITIVE_INFINITY] },
      ]);
    }
  });

  it.each([
    ["Uint8Array", new Uint8Array(7)],
    ["Buffer", Buffer.alloc(7)],
  ])("is safe with a producer that reuses one %s for every chunk", async (_kind, buffer) => {
    const input = bytes('{"n": 1}\n{"n": 2}\r\n{"long": "' + "x".repeat(100) + '"}\n{"n": 3}');
    async function* reusing(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < input.length; i += buffer.length) {
        const part = input.subarray(i, i + buffer.length);
        buffer.fill(0x20);
        buffer.set(part);
        yield buffer.subarray(0, part.length);
      }
    }
    const outcome = await decodeAll(reusing());
    expect(outcome.events).toEqual([{ n: 1 }, { n: 2 }, { long: "x".repeat(100) }, { n: 3 }]);
  });

  it("accepts chunks that are views into a larger buffer (Buffer and Uint8Array)", async () => {
    const backing = Buffer.from('garbage\n{"a": 1}\n{"b": 2}\ngarbage');
    const chunks = [backing.subarray(8, 15), new Uint8Array(backing.buffer, backing.byteOffset + 15, 10)];
    expect((await decodeAll(body(chunks).stream)).events).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it("decodes a line of several MiB arriving in small chunks", async () => {
    const screenshot = Buffer.alloc(3 * 1024 * 1024, 7).toString("base64");
    const line = bytes(`{"observation": "browse", "extras": {"screenshot": "${screenshot}"}}\n`);
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < line.length; i += 1024) chunks.push(line.subarray(i, i + 1024));
    const outcome = await decodeAll(body(chunks).stream);
    expect(outcome.error).toBeUndefined();
    expect(outcome.events).toEqual([{ observation: "browse", extras: { screenshot } }]);
  });

  it("closes the body when the consumer leaves early", async () => {
    const { stream, state } = body([bytes('{"a": 1}\n{"a": 2}\n'), bytes('{"a": 3}\n')]);
    for await (const event of decodeEventStream(stream)) {
      expect(event).toEqual({ a: 1 });
      break;
    }
    expect(state.closed).toBe(true);
    expect(state.pulled).toBe(1);
  });

  it("rejects a non-positive maxLineBytes", async () => {
    const run = decodeEventStream(body([]).stream, { maxLineBytes: 0 });
    await expect(run.next()).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  describe("truncated streams", () => {
    it("delivers every complete line, then throws stream_truncated without the partial line's content", async () => {
      const cause = new TypeError("terminated");
      const { stream } = body([bytes('{"a": 1}\n{"a": 2}\n{"secret": "SECRET-PART'), bytes("IAL")], cause);
      const outcome = await decodeAll(stream);
      expect(outcome.events).toEqual([{ a: 1 }, { a: 2 }]);
      const error = streamError(outcome);
      expect(error.code).toBe("stream_truncated");
      expect(error.cause).toBe(cause);
      expect(error.eventsDelivered).toBe(2);
      expect(error.message).toContain("26 bytes of an incomplete line were discarded");
      expect(error.message).not.toContain("SECRET");
    });

    it("throws stream_truncated also when the stream broke off between lines", async () => {
      const { stream } = body([bytes('{"a": 1}\n')], new Error("missing final chunk"));
      const outcome = await decodeAll(stream);
      expect(outcome.events).toEqual([{ a: 1 }]);
      expect(streamError(outcome).code).toBe("stream_truncated");
      expect(streamError(outcome).message).toMatch(/between two lines/);
    });

    it("rethrows errors of the library's own hierarchy unchanged", async () => {
      const timeout = new APITimeoutError("idle", 1000);
      const outcome = await decodeAll(body([bytes('{"a": 1}\n{"b"')], timeout).stream);
      expect(outcome.events).toEqual([{ a: 1 }]);
      expect(outcome.error).toBe(timeout);
    });
  });

  describe("line limit", () => {
    it("throws line_too_long after everything before the long line, and accepts a line at the limit", async () => {
      const atLimit = '{"b": "' + "y".repeat(10) + '"}';
      const overLimit = '{"c": "' + "z".repeat(11) + '"}';
      expect(atLimit.length).toBe(19);
      const input = `{"a": 1}\r\n${atLimit}\r\n${overLimit}\n{"d": 4}\n`;
      for (const chunks of [[bytes(input)], oneBytePerChunk(bytes(input))]) {
        const { stream, state } = body(chunks);
        const outcome = await decodeAll(stream, { maxLineBytes: 19 });
        expect(outcome.events).toEqual([{ a: 1 }, { b: "y".repeat(10) }]);
        const error = streamError(outcome);
        expect(error.code).toBe("line_too_long");
        expect(error.eventsDelivered).toBe(2);
        expect(error.message).toContain("19 bytes");
        expect(state.closed).toBe(true);
      }
    });

    it("applies the limit to the last line without a newline", async () => {
      const outcome = await decodeAll(body([bytes('{"a": 1}\n{"bb": 1}')]).stream, { maxLineBytes: 8 });
      expect(outcome.events).toEqual([{ a: 1 }]);
      expect(streamError(outcome).code).toBe("line_too_long");
    });

    it("stops reading an endless line once it passes the limit, holding at most the limit plus a chunk", async () => {
      const limit = 1024 * 1024;
      const chunk = new Uint8Array(64 * 1024).fill(0x61);
      let pulled = 0;
      let closed = false;
      async function* endless(): AsyncGenerator<Uint8Array> {
        try {
          yield bytes('{"first": true}\n{"x": "');
          for (;;) {
            pulled++;
            yield chunk;
          }
        } finally {
          closed = true;
        }
      }
      const outcome = await decodeAll(endless(), { maxLineBytes: limit });
      expect(outcome.events).toEqual([{ first: true }]);
      expect(streamError(outcome).code).toBe("line_too_long");
      expect(pulled * chunk.length).toBeLessThanOrEqual(limit + 2 * chunk.length);
      expect(closed).toBe(true);
    });
  });
});

// ---------------------------------------------------------------------------------------------------------
// Property-based tests: random event sequences, serialized the way the server writes them, cut anywhere.

/** A JSON value as the server may write it: unicode (astral too), escapes, NaN/Infinity, long strings. */
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.integer(),
    fc.string({ unit: "binary", maxLength: 20 }),
    fc.constantFrom('"', "\\", "\n", "\r\n", "NaN", "Infinity", "\u2028", "😀", "ü", "\ufeff"),
    fc
      .tuple(fc.string({ unit: "binary", minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 3000 }))
      .map(([s, n]) => s.repeat(n)),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.string({ unit: "binary", maxLength: 6 }), tie("value"), { maxKeys: 4 }),
  ),
})).value;

const eventObject = fc.dictionary(fc.string({ unit: "binary", maxLength: 8 }), jsonValue, { maxKeys: 6 });

type Line =
  | { kind: "event"; value: Record<string, unknown>; ensureAscii: boolean; crlf: boolean }
  | { kind: "other"; text: string; crlf: boolean };

const line: fc.Arbitrary<Line> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("event" as const),
      value: eventObject,
      ensureAscii: fc.boolean(),
      crlf: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("other" as const),
      text: fc.constantFrom("", " ", "\t  ", "[1, 2]", "NaN", '"s"', "{oops", '{"a": nan}', "\u00a0"),
      crlf: fc.boolean(),
    }),
  },
);

const stream = fc.record({ lines: fc.array(line, { maxLength: 12 }), finalNewline: fc.boolean() });

function serialize(lines: Line[], finalNewline: boolean): { data: Uint8Array; texts: string[] } {
  const texts = lines.map((l) =>
    l.kind === "event" ? pyDumps(l.value as PyValue, { ensureAscii: l.ensureAscii }) : l.text,
  );
  const parts = texts.map((t, i) => {
    const eol = lines[i]?.crlf === true ? "\r\n" : "\n";
    return i < texts.length - 1 || finalNewline ? t + eol : t;
  });
  return { data: bytes(parts.join("")), texts };
}

/** What parsing each line on its own yields: the oracle for any chunking. */
function parseEachLine(texts: string[]): RawEvent[] {
  const events: RawEvent[] = [];
  for (const t of texts) {
    try {
      const value = parsePythonJson(t);
      if (typeof value === "object" && value !== null && !Array.isArray(value))
        events.push(value as RawEvent);
    } catch {
      // skipped, like the decoder does
    }
  }
  return events;
}

const offsets = fc.array(fc.nat(), { maxLength: 40 });
const propertyRuns = { numRuns: 150 };

describe("decodeEventStream properties", () => {
  it("yields the same events for any chunking as for the unsplit stream and as line-by-line parsing", async () => {
    await fc.assert(
      fc.asyncProperty(stream, offsets, fc.boolean(), async ({ lines, finalNewline }, cuts, bytewise) => {
        const { data, texts } = serialize(lines, finalNewline);
        const expected = lines.flatMap((l) => (l.kind === "event" ? [l.value] : []));
        const whole = await decodeAll(body([data]).stream);
        expect(whole.error).toBeUndefined();
        expect(whole.events).toEqual(expected);
        expect(whole.events).toEqual(parseEachLine(texts));
        const chunks =
          bytewise && data.length < 5000
            ? oneBytePerChunk(data)
            : cut(
                data,
                cuts.map((c) => c % (data.length + 1)),
              );
        const split = await decodeAll(body(chunks).stream);
        expect(split.error).toBeUndefined();
        expect(split.events).toEqual(whole.events);
        expect(split.skipped).toEqual(whole.skipped);
      }),
      propertyRuns,
    );
  });

  it("delivers every complete line of a stream cut anywhere, then throws stream_truncated", async () => {
    await fc.assert(
      fc.asyncProperty(stream, fc.nat(), offsets, async ({ lines, finalNewline }, at, cuts) => {
        const { data } = serialize(lines, finalNewline);
        const end = at % (data.length + 1);
        const prefix = data.subarray(0, end);
        const lastNewline = prefix.lastIndexOf(0x0a);
        const complete = new TextDecoder().decode(prefix.subarray(0, lastNewline + 1));
        const expected = parseEachLine(complete.split("\n").slice(0, -1));
        const cause = new Error("socket hang up");
        const outcome = await decodeAll(body(cut(prefix, cuts), cause).stream);
        expect(outcome.events).toEqual(expected);
        const error = streamError(outcome);
        expect(error.code).toBe("stream_truncated");
        expect(error.cause).toBe(cause);
        expect(error.eventsDelivered).toBe(expected.length);
        const pending = end - (lastNewline + 1);
        if (pending > 0) expect(error.message).toContain(`${pending} bytes of an incomplete line`);
      }),
      propertyRuns,
    );
  });

  it("enforces maxLineBytes: events before the first long line, then line_too_long", async () => {
    await fc.assert(
      fc.asyncProperty(
        stream,
        offsets,
        fc.integer({ min: 1, max: 400 }),
        async ({ lines, finalNewline }, cuts, limit) => {
          const { data, texts } = serialize(lines, finalNewline);
          const firstLong = texts.findIndex((t) => bytes(t).length > limit);
          const expected = parseEachLine(firstLong === -1 ? texts : texts.slice(0, firstLong));
          const outcome = await decodeAll(
            body(
              cut(
                data,
                cuts.map((c) => c % (data.length + 1)),
              ),
            ).stream,
            {
              maxLineBytes: limit,
            },
          );
          expect(outcome.events).toEqual(expected);
          if (firstLong === -1) expect(outcome.error).toBeUndefined();
          else expect(streamError(outcome).code).toBe("line_too_long");
        },
      ),
      propertyRuns,
    );
  });
});
