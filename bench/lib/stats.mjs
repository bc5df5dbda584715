/** Small statistics helpers for the benchmarks. */

/**
 * The median of a list of numbers.
 * @param {number[]} values
 */
export function median(values) {
  return percentile(values, 50);
}

/**
 * The p-th percentile (nearest rank) of a list of numbers.
 * @param {number[]} values
 * @param {number} p
 * @returns {number}
 */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return /** @type {number} */ (sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]);
}

/**
 * Rounds to `digits` decimals.
 * @param {number} value
 */
export function round(value, digits = 2) {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
