import type { JSONObject, JSONValue } from "@ai-sdk/provider";

/**
 * Copies a decoded wire value into a {@link JSONValue}: strings, booleans, `null`, finite numbers, arrays and
 * plain objects are kept; non-finite numbers (`NaN`, `Infinity`, which Python writes) become `null`;
 * anything else (`undefined`, functions…) is dropped from objects and becomes `null` in arrays.
 */
export function toJSONValue(value: unknown, depth = 0): JSONValue | undefined {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (depth > 64) return null;
  if (Array.isArray(value)) return value.map((item) => toJSONValue(item, depth + 1) ?? null);
  if (typeof value === "object") return toJSONObject(value, depth + 1);
  return undefined;
}

/** {@link toJSONValue} for an object: every own enumerable key whose value converts. */
export function toJSONObject(value: object, depth = 0): JSONObject {
  const out: JSONObject = {};
  for (const [key, item] of Object.entries(value)) {
    const converted = toJSONValue(item, depth);
    if (converted !== undefined) out[key] = converted;
  }
  return out;
}
