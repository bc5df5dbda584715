/**
 * Checks on unknown values (parsed JSON, options) shared by every part of the package. Internal: no entry
 * point exports them.
 */

/**
 * True for an object that is neither `null` nor an array, such as what `JSON.parse` returns for `{...}`.
 * Use it before reading properties of a parsed body or an event.
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The `code` of a Node.js system error (`ENOENT`, `EEXIST`, `EADDRINUSE`…), or `undefined`. */
export function errorCode(error: unknown): string | undefined {
  const code = isRecord(error) ? error.code : undefined;
  return typeof code === "string" ? code : undefined;
}
