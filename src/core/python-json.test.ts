import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  PyFloat,
  type PyValue,
  parsePythonJson,
  parsePythonJsonSlow,
  pyDumps,
  pyFloatRepr,
  pyIsoTimestamp,
  pyString,
} from "./python-json.js";

const parsers = [parsePythonJson, parsePythonJsonSlow];

/** A JSON value that may hold NaN and ±Infinity anywhere a number may stand. */
const pythonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.integer(),
    fc.string({ unit: "binary" }),
    fc.constantFrom("NaN", "Infinity", "-Infinity", '"NaN', "\\", 'a": NaN, "b'),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(fc.string({ unit: "binary", maxLength: 8 }), tie("value"), { maxKeys: 5 }),
  ),
})).value;

describe("parsePythonJson", () => {
  it.each(parsers)("accepts NaN, Infinity and -Infinity as values (%o)", (parse) => {
    expect(parse("NaN")).toBeNaN();
    expect(parse(" Infinity\n")).toBe(Number.POSITIVE_INFINITY);
    expect(parse("-Infinity")).toBe(Number.NEGATIVE_INFINITY);
    expect(parse("[NaN, Infinity, -Infinity, 1]")).toEqual([
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      1,
    ]);
    expect(parse('{"a": {"b": [NaN]}, "c": -Infinity}')).toEqual({
      a: { b: [Number.NaN] },
      c: Number.NEGATIVE_INFINITY,
    });
    expect(parse('{"x":NaN,"y":[[Infinity]]}')).toEqual({ x: Number.NaN, y: [[Number.POSITIVE_INFINITY]] });
  });

  it.each(parsers)("never rewrites the literals inside strings (%o)", (parse) => {
    expect(parse('{"a": "NaN, Infinity", "b": NaN}')).toEqual({ a: "NaN, Infinity", b: Number.NaN });
    expect(parse('{"a": "\\"NaN", "b": Infinity}')).toEqual({ a: '"NaN', b: Number.POSITIVE_INFINITY });
    expect(parse('["\\\\", NaN, "-Infinity\\\\"]')).toEqual(["\\", Number.NaN, "-Infinity\\"]);
    expect(parse('{"NaN": NaN, "Infinity": "Infinity"}')).toEqual({ NaN: Number.NaN, Infinity: "Infinity" });
  });

  it.each([
    "nan",
    "NAN",
    "infinity",
    "+Infinity",
    "- Infinity",
    "-NaN",
    "--Infinity",
    "NaNx",
    "Infinityy",
    "NaN NaN",
    "[NaN,]",
    '{"a": NaN,}',
    "{NaN: 1}",
    '{"a" NaN}',
    "[NaN Infinity]",
    "[1, NaN",
    '"NaN',
    "Na",
    "Infinit",
    "1NaN",
    "\ufeffNaN",
    "NaN\u00a0",
    '["\u0001", NaN]',
    '["\\x", NaN]',
    '["\\u12", NaN]',
    "[01, NaN]",
    "[1., NaN]",
    "[.5, NaN]",
    "[NaN, 'a']",
    "",
    "   ",
  ])("rejects %j like Python does", (text) => {
    for (const parse of parsers) expect(() => parse(text)).toThrow(SyntaxError);
  });

  it("rejects lone control characters in strings, like Python's strict mode and JSON.parse", () => {
    for (let c = 0; c < 0x20; c++) {
      const text = `{"a": "x${String.fromCharCode(c)}y", "b": NaN}`;
      expect(() => parsePythonJson(text)).toThrow(SyntaxError);
    }
    expect(parsePythonJson('{"a": "x\u007fy", "b": NaN}')).toEqual({ a: "x\u007fy", b: Number.NaN });
  });

  it("keeps __proto__ as an own property and lets the last duplicate key win", () => {
    const value = parsePythonJsonSlow('{"__proto__": {"polluted": 1}, "a": 1, "a": NaN}');
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value as object)).toEqual(["__proto__", "a"]);
    expect((value as Record<string, unknown>).a).toBeNaN();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("decodes escapes and lone surrogates exactly like JSON.parse", () => {
    const text = '["\\ud83d\\ude00\\u00fc\\/\\b\\f\\n\\r\\t\\"\\\\", "\\ud800", "\\uDFFF", NaN]';
    const value = parsePythonJsonSlow(text) as unknown[];
    expect(value.slice(0, 3)).toEqual(JSON.parse(text.replace(", NaN]", "]")));
  });

  it("turns excessive nesting into a SyntaxError", () => {
    const text = "[".repeat(200_000) + "NaN" + "]".repeat(200_000);
    expect(() => parsePythonJson(text)).toThrow(SyntaxError);
  });

  it("rethrows JSON.parse's error when the text has no NaN/Infinity", () => {
    expect(() => parsePythonJson("{'a': 1}")).toThrow(SyntaxError);
  });

  it("agrees with JSON.parse on every text JSON.parse accepts", () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        const expected: unknown = JSON.parse(text);
        expect(parsePythonJson(text)).toEqual(expected);
        expect(parsePythonJsonSlow(text)).toEqual(expected);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(0, 1, "\t"), (value, space) => {
        const text = JSON.stringify(value, null, space);
        expect(parsePythonJsonSlow(text)).toEqual(JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });

  it("accepts and rejects exactly what JSON.parse does on token soup without NaN/Infinity", () => {
    const token = fc.constantFrom(
      ..."{}[],:".split(""),
      '"a"',
      '"',
      "\\",
      '"\\u00e9"',
      '"\\ud800"',
      '"\\x"',
      "1",
      "-",
      "0",
      "-0",
      ".5",
      "e3",
      "E+",
      "1.5",
      "01",
      "1.",
      "true",
      "tru",
      "null",
      " ",
      "\t",
      "\n",
      "\r",
      "\u00a0",
      "\u0001",
      "\ufeff",
      "x",
    );
    fc.assert(
      fc.property(fc.array(token, { minLength: 1, maxLength: 10 }), (tokens) => {
        const text = tokens.join("");
        let expected: { ok: true; value: unknown } | { ok: false };
        try {
          expected = { ok: true, value: JSON.parse(text) };
        } catch {
          expected = { ok: false };
        }
        if (expected.ok) expect(parsePythonJsonSlow(text)).toEqual(expected.value);
        else expect(() => parsePythonJsonSlow(text)).toThrow(SyntaxError);
      }),
      { numRuns: 3000 },
    );
  });

  it("accepts NaN/Infinity exactly where a value may stand (token soup)", () => {
    // Each literal is replaced by `true` in the oracle: both are bare value tokens, so the text is valid
    // Python JSON exactly when the replaced text is valid JSON.
    const literal = fc.constantFrom("NaN", "Infinity", "-Infinity");
    const token = fc.oneof(
      literal,
      fc.constantFrom(..."{}[],:".split(""), '"a"', '"NaN"', '"', "1", "-1", "0", "true", "null", " ", "nan"),
    );
    fc.assert(
      fc.property(fc.array(token, { minLength: 1, maxLength: 9 }), (tokens) => {
        const text = tokens.join("");
        const oracle = tokens.map((t) => (t === "NaN" || t === "Infinity" || t === "-Infinity" ? "true" : t));
        let valid = true;
        try {
          JSON.parse(oracle.join(""));
        } catch {
          valid = false;
        }
        if (valid) expect(() => parsePythonJson(text)).not.toThrow();
        else expect(() => parsePythonJson(text)).toThrow(SyntaxError);
      }),
      { numRuns: 3000 },
    );
  });

  it("round-trips values with NaN/Infinity written the way Python writes them", () => {
    fc.assert(
      fc.property(pythonValue, fc.boolean(), (value, ensureAscii) => {
        const text = pyDumps(value as PyValue, { ensureAscii });
        expect(parsePythonJson(text)).toEqual(value);
      }),
      { numRuns: 400 },
    );
  });
});

describe("pyDumps", () => {
  it("matches Python's json.dumps byte for byte (output captured from CPython 3)", () => {
    const value = {
      a: [
        1,
        2.5,
        new PyFloat(3),
        1e-5,
        new PyFloat(1e16),
        new PyFloat(1e15),
        123456789.125,
        -0,
        Number.NaN,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        0.0001,
        1.5e300,
        5e-324,
      ],
      s: 'ü😀\n\t"\\\u0000\u001f\u007f/<>é',
      e: {},
      l: [],
      n: null,
      t: true,
    };
    expect(pyDumps(value)).toBe(
      '{"a": [1, 2.5, 3.0, 1e-05, 1e+16, 1000000000000000.0, 123456789.125, -0.0, NaN, Infinity, -Infinity, 0.0001, 1.5e+300, 5e-324], "s": "\\u00fc\\ud83d\\ude00\\n\\t\\"\\\\\\u0000\\u001f\\u007f/<>\\u00e9", "e": {}, "l": [], "n": null, "t": true}',
    );
  });

  it("writes integers as Python ints and floats with repr", () => {
    expect(pyDumps(Number.MAX_SAFE_INTEGER)).toBe("9007199254740991");
    expect(pyDumps(2 ** 60)).toBe("1.152921504606847e+18");
    expect(pyDumps(new PyFloat(1e21))).toBe("1e+21");
    expect(pyDumps(123e-20)).toBe("1.23e-18");
    expect(pyDumps(0.1 + 0.2)).toBe("0.30000000000000004");
    expect(pyFloatRepr(-2.5e-7)).toBe("-2.5e-07");
    expect(pyFloatRepr(0)).toBe("0.0");
  });

  it("keeps key order, including Map keys that look like integers", () => {
    expect(pyDumps({ id: 1, timestamp: "t", source: "agent" })).toBe(
      '{"id": 1, "timestamp": "t", "source": "agent"}',
    );
    expect(
      pyDumps(
        new Map<string, PyValue>([
          ["2", 1],
          ["1", 2],
        ]),
      ),
    ).toBe('{"2": 1, "1": 2}');
  });

  it("skips undefined members and rejects cycles", () => {
    expect(pyDumps({ a: undefined, b: 1 })).toBe('{"b": 1}');
    const cyclic: { self?: PyValue } = {};
    cyclic.self = cyclic as PyValue;
    expect(() => pyDumps(cyclic as PyValue)).toThrow(/Circular/);
  });

  it("writes raw UTF-8 when ensureAscii is off (control characters still escaped)", () => {
    expect(pyDumps("ü😀\n", { ensureAscii: false })).toBe('"ü😀\\n"');
    expect(pyString("\u007f", false)).toBe('"\u007f"');
  });

  const finiteJson = fc.jsonValue().filter((v) => !JSON.stringify(v)?.includes("-0"));

  it("round-trips finite values through JSON.parse", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const parsed: unknown = JSON.parse(pyDumps(value as PyValue));
        expect(parsed).toStrictEqual(value);
      }),
    );
  });

  it("produces printable ASCII only", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: "binary" }), (value, text) => {
        expect(pyDumps([value as PyValue, text])).toMatch(/^[\x20-\x7e]*$/);
      }),
    );
  });

  it("agrees with JSON.stringify apart from separators and escaping", () => {
    fc.assert(
      fc.property(finiteJson, (value) => {
        const compact = JSON.stringify(value);
        // Re-serializing the parsed output compactly gives JSON.stringify's output.
        expect(JSON.stringify(JSON.parse(pyDumps(value as PyValue)))).toBe(compact);
      }),
    );
  });

  it("round-trips every float through its repr", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        expect(Object.is(Number(pyFloatRepr(x)), x)).toBe(true);
      }),
    );
  });
});

describe("pyIsoTimestamp", () => {
  it("drops microseconds when zero", () => {
    const base = Date.UTC(2024, 10, 15, 16, 57, 20) * 1000;
    expect(pyIsoTimestamp(base)).toBe("2024-11-15T16:57:20");
    expect(pyIsoTimestamp(base + 100_200)).toBe("2024-11-15T16:57:20.100200");
    expect(pyIsoTimestamp(base + 7)).toBe("2024-11-15T16:57:20.000007");
  });
});
