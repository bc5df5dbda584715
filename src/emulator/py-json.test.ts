import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PyFloat, type PyValue, pyDumps, pyFloatRepr, pyIsoTimestamp, pyString } from "./py-json.js";

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
