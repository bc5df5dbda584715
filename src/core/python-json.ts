/**
 * JSON as the Robocoders service (written in Python) reads and writes it: one module for both directions.
 *
 * Reading, {@link parsePythonJson}: JSON as Python's `json.loads` reads it: standard JSON (RFC 8259)
 * plus the three non-standard number literals `NaN`, `Infinity` and `-Infinity` that Python's
 * `json.dumps` writes by default (`allow_nan=True`). The server of the event stream is written in Python, so a line may carry them.
 *
 * Everything else follows the standard exactly, like both `JSON.parse` and Python: no comments, no trailing
 * commas, no single quotes, no lower-case `nan`, no `+Infinity`, no raw control characters (U+0000 to
 * U+001F) inside strings (Python's default `strict=True`), only the four JSON whitespace characters.
 *
 * Writing, {@link pyDumps}: a serializer that writes JSON exactly like Python's `json.dumps` with its
 * default arguments, which is how the Robocoders service writes each line of the `/chat` stream:
 *
 * - separators `", "` and `": "`;
 * - `ensure_ascii=True`: every character outside printable ASCII (`0x20`–`0x7e`) is written as a
 *   lowercase `\uXXXX` escape, characters beyond the BMP as a surrogate pair (`\ud83d\ude00`);
 *   `\n`, `\r`, `\t`, `\b`, `\f`, `"` and `\\` use their short escapes;
 * - `allow_nan=True`: `NaN`, `Infinity` and `-Infinity` are written as bare literals (not valid JSON);
 * - safe integers as digits, other numbers with Python's float `repr` (`1.5`, `3.0`, `1e-05`, `1e+16`);
 * - object keys in insertion order.
 */

/**
 * Parses one JSON text the way Python's `json.loads` does: standard JSON plus `NaN`, `Infinity` and
 * `-Infinity` as values (outside strings only; `- Infinity` with a space is rejected, as in Python).
 *
 * The fast path is `JSON.parse`; only a text it rejects that contains `NaN` or `Infinity` goes through
 * {@link parsePythonJsonSlow}. Objects are plain objects with own properties only (a `"__proto__"` key
 * becomes an own property, as with `JSON.parse`); for duplicate keys the last value wins.
 *
 * @throws SyntaxError when the text is not valid (Python-flavoured) JSON.
 */
export function parsePythonJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    // Without these literals both grammars are the same, so JSON.parse's verdict stands.
    if (!text.includes("NaN") && !text.includes("Infinity")) throw error;
  }
  return parsePythonJsonSlow(text);
}

/**
 * The complete parser behind {@link parsePythonJson}, without the `JSON.parse` fast path. Exported for
 * tests and benchmarks; prefer {@link parsePythonJson}.
 *
 * @throws SyntaxError when the text is not valid (Python-flavoured) JSON, also when it nests too deeply
 *   for the call stack (Python raises `RecursionError` there too).
 */
export function parsePythonJsonSlow(text: string): unknown {
  const parser = new Parser(text);
  try {
    const value = parser.value();
    parser.whitespace();
    if (parser.pos < text.length) parser.fail("Unexpected data after the JSON value");
    return value;
  } catch (error) {
    if (error instanceof RangeError) {
      throw new SyntaxError("JSON nests too deeply", { cause: error });
    }
    throw error;
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;

const ESCAPES: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

class Parser {
  pos = 0;

  constructor(private readonly text: string) {}

  fail(reason: string): never {
    throw new SyntaxError(`${reason} in JSON at position ${this.pos}`);
  }

  whitespace(): void {
    const { text } = this;
    let pos = this.pos;
    for (;;) {
      const c = text.charCodeAt(pos);
      // space, \t, \n, \r: the only JSON whitespace.
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) pos++;
      else break;
    }
    this.pos = pos;
  }

  private literal(word: string, value: unknown): unknown {
    if (!this.text.startsWith(word, this.pos)) this.fail("Unexpected token");
    this.pos += word.length;
    return value;
  }

  value(): unknown {
    this.whitespace();
    const c = this.text.charCodeAt(this.pos);
    switch (c) {
      case 0x7b: // {
        return this.object();
      case 0x5b: // [
        return this.array();
      case 0x22: // "
        return this.string();
      case 0x74: // t
        return this.literal("true", true);
      case 0x66: // f
        return this.literal("false", false);
      case 0x6e: // n
        return this.literal("null", null);
      case 0x4e: // N
        return this.literal("NaN", Number.NaN);
      case 0x49: // I
        return this.literal("Infinity", Number.POSITIVE_INFINITY);
      case 0x2d: // -
        if (this.text.startsWith("-Infinity", this.pos)) {
          this.pos += 9;
          return Number.NEGATIVE_INFINITY;
        }
        return this.number();
      default:
        if (c >= 0x30 && c <= 0x39) return this.number();
        return this.fail(Number.isNaN(c) ? "Unexpected end" : "Unexpected token");
    }
  }

  private number(): number {
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.text);
    if (match === null) return this.fail("Invalid number");
    this.pos += match[0].length;
    return Number(match[0]);
  }

  private string(): string {
    const { text } = this;
    let pos = this.pos + 1; // after the opening quote
    let start = pos;
    let out = "";
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x22) break;
      if (Number.isNaN(c)) {
        this.pos = pos;
        this.fail("Unterminated string");
      }
      if (c < 0x20) {
        this.pos = pos;
        this.fail("Bad control character in string literal");
      }
      if (c !== 0x5c) {
        pos++;
        continue;
      }
      out += text.slice(start, pos);
      const e = text.charAt(pos + 1);
      if (e === "u") {
        const hex = text.slice(pos + 2, pos + 6);
        if (!HEX4.test(hex)) {
          this.pos = pos;
          this.fail("Bad Unicode escape");
        }
        out += String.fromCharCode(Number.parseInt(hex, 16));
        pos += 6;
      } else {
        const decoded = ESCAPES[e];
        if (decoded === undefined) {
          this.pos = pos;
          this.fail("Bad escaped character");
        }
        out += decoded;
        pos += 2;
      }
      start = pos;
    }
    this.pos = pos + 1;
    return out + text.slice(start, pos);
  }

  private array(): unknown[] {
    this.pos++; // [
    const result: unknown[] = [];
    this.whitespace();
    if (this.text.charCodeAt(this.pos) === 0x5d) {
      this.pos++;
      return result;
    }
    for (;;) {
      result.push(this.value());
      this.whitespace();
      const c = this.text.charCodeAt(this.pos);
      this.pos++;
      if (c === 0x5d) return result;
      if (c !== 0x2c) {
        this.pos--;
        this.fail("Expected ',' or ']' after array element");
      }
    }
  }

  private object(): Record<string, unknown> {
    this.pos++; // {
    const result: Record<string, unknown> = {};
    this.whitespace();
    if (this.text.charCodeAt(this.pos) === 0x7d) {
      this.pos++;
      return result;
    }
    for (;;) {
      this.whitespace();
      if (this.text.charCodeAt(this.pos) !== 0x22) this.fail("Expected property name");
      const key = this.string();
      this.whitespace();
      if (this.text.charCodeAt(this.pos) !== 0x3a) this.fail("Expected ':' after property name");
      this.pos++;
      const value = this.value();
      if (key === "__proto__") {
        Object.defineProperty(result, key, { value, writable: true, enumerable: true, configurable: true });
      } else {
        result[key] = value;
      }
      this.whitespace();
      const c = this.text.charCodeAt(this.pos);
      this.pos++;
      if (c === 0x7d) return result;
      if (c !== 0x2c) {
        this.pos--;
        this.fail("Expected ',' or '}' after property value");
      }
    }
  }
}

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
