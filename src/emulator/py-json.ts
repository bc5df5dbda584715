/**
 * A serializer that writes JSON exactly like Python's `json.dumps` with its default arguments, which is
 * how the Robocoders service writes each line of the `/chat` stream:
 *
 * - separators `", "` and `": "`;
 * - `ensure_ascii=True`: every character outside printable ASCII (`0x20`–`0x7e`) is written as a
 *   lowercase `\uXXXX` escape, characters beyond the BMP as a surrogate pair (`\ud83d\ude00`);
 *   `\n`, `\r`, `\t`, `\b`, `\f`, `"` and `\\` use their short escapes;
 * - `allow_nan=True`: `NaN`, `Infinity` and `-Infinity` are written as bare literals (not valid JSON);
 * - safe integers as digits, other numbers with Python's float `repr` (`1.5`, `3.0`, `1e-05`, `1e+16`);
 * - object keys in insertion order.
 */

/** A float that Python would print with a decimal point even when integral (`3.0`). */
export class PyFloat {
  /** The value. */
  readonly value: number;
  constructor(value: number) {
    this.value = value;
  }
}

/**
 * A value {@link pyDumps} can serialize. Safe integers are Python `int`s, other numbers `float`s
 * (wrap a number in {@link PyFloat} to force a float such as `3.0`).
 */
export type PyValue =
  | null
  | boolean
  | number
  | string
  | PyFloat
  | readonly PyValue[]
  | ReadonlyMap<string, PyValue>
  | { readonly [key: string]: PyValue | undefined };

/** Options of {@link pyDumps}. */
export interface PyDumpsOptions {
  /** Escape every non-ASCII character (Python's `ensure_ascii`). Default `true`. */
  ensureAscii?: boolean;
}

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\b": "\\b",
  "\f": "\\f",
};

function hex4(code: number): string {
  return "\\u" + code.toString(16).padStart(4, "0");
}

/** Python's `json.encoder.py_encode_basestring_ascii` (or the non-ASCII variant), quotes included. */
export function pyString(value: string, ensureAscii = true): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    const code = value.charCodeAt(i);
    const short = SHORT_ESCAPES[ch];
    if (short !== undefined) out += short;
    else if (code < 0x20) out += hex4(code);
    else if (ensureAscii && code > 0x7e) out += hex4(code);
    else out += ch;
  }
  return out + '"';
}

/** Python's `float.__repr__` for a finite or non-finite number, as `json.dumps` writes it. */
export function pyFloatRepr(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "Infinity";
  if (value === Number.NEGATIVE_INFINITY) return "-Infinity";
  if (value === 0) return Object.is(value, -0) ? "-0.0" : "0.0";
  const sign = value < 0 ? "-" : "";
  // Shortest round-trip digits, as Python's repr uses.
  const [mantissa, exponentText] = Math.abs(value).toExponential().split("e") as [string, string];
  const digits = mantissa.replace(".", "");
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const body = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const expSign = exponent < 0 ? "-" : "+";
    return `${sign}${body}e${expSign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  if (exponent < 0) return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
  const intLen = exponent + 1;
  if (digits.length <= intLen) return `${sign}${digits}${"0".repeat(intLen - digits.length)}.0`;
  return `${sign}${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
}

function pyNumber(value: number): string {
  if (Number.isSafeInteger(value) && !Object.is(value, -0)) return String(value);
  return pyFloatRepr(value);
}

function isMap(value: unknown): value is ReadonlyMap<string, PyValue> {
  return value instanceof Map;
}

/**
 * Serializes `value` like Python's `json.dumps(value)` with default arguments.
 * Object members whose value is `undefined` are skipped (Python has no such value).
 * @throws {TypeError} on values Python could not serialize (functions, symbols, bigint, cycles).
 */
export function pyDumps(value: PyValue, options: PyDumpsOptions = {}): string {
  const ensureAscii = options.ensureAscii ?? true;
  const seen = new Set<object>();
  const encode = (v: PyValue | undefined): string => {
    if (v === null) return "null";
    if (v === true) return "true";
    if (v === false) return "false";
    if (typeof v === "number") return pyNumber(v);
    if (typeof v === "string") return pyString(v, ensureAscii);
    if (v instanceof PyFloat) return pyFloatRepr(v.value);
    if (typeof v !== "object") throw new TypeError(`Object of type ${typeof v} is not JSON serializable`);
    if (seen.has(v)) throw new TypeError("Circular reference detected");
    seen.add(v);
    let out: string;
    if (Array.isArray(v)) {
      out = v.length === 0 ? "[]" : `[${v.map((item: PyValue) => encode(item)).join(", ")}]`;
    } else {
      const entries: [string, PyValue | undefined][] = isMap(v) ? [...v.entries()] : Object.entries(v);
      const parts: string[] = [];
      for (const [key, item] of entries) {
        if (item === undefined) continue;
        parts.push(`${pyString(key, ensureAscii)}: ${encode(item)}`);
      }
      out = parts.length === 0 ? "{}" : `{${parts.join(", ")}}`;
    }
    seen.delete(v);
    return out;
  };
  return encode(value);
}

/**
 * Formats a time like Python's naive `datetime.isoformat()`: `2024-11-15T16:57:20.100200`, or without
 * the fraction when the microseconds are zero (`2024-11-15T16:57:20`).
 * @param epochMicros microseconds since the Unix epoch (UTC).
 */
export function pyIsoTimestamp(epochMicros: number): string {
  const micros = ((epochMicros % 1_000_000) + 1_000_000) % 1_000_000;
  const seconds = (epochMicros - micros) / 1_000_000;
  const base = new Date(seconds * 1000).toISOString().slice(0, 19);
  return micros === 0 ? base : `${base}.${String(micros).padStart(6, "0")}`;
}
