/**
 * Per-caller rate limits: `--rate-limit <n>/<s|min|h>` parsed by {@link parseRateLimit}, enforced by
 * {@link gcra} (the generic cell rate algorithm, i.e. a token bucket of `n` tokens refilled evenly over the
 * period). The memory store runs this function; the Redis store runs the same steps in a Lua script, so every
 * instance of a fleet shares one bucket per caller.
 */
import { InvalidArgumentError } from "../core/errors.js";
import type { RateDecision, RateLimitRule } from "./types.js";

/** Rounding tolerance, in ms. */
const EPSILON = 1e-6;

const UNITS: Record<string, number> = { s: 1000, min: 60_000, h: 3_600_000 };

/**
 * Parses `<n>/<s|min|h>`, e.g. `10/s`, `60/min`, `1000/h`: at most `n` requests at once, refilled evenly
 * (one every period / n).
 * @throws InvalidArgumentError for anything else.
 */
export function parseRateLimit(text: string): RateLimitRule {
  const match = /^\s*(\d{1,9})\s*\/\s*(s|min|h)\s*$/.exec(text);
  const limit = match === null ? Number.NaN : Number(match[1]);
  const unit = match?.[2];
  if (unit === undefined || !Number.isSafeInteger(limit) || limit < 1) {
    throw new InvalidArgumentError(
      `Invalid rate limit "${text.slice(0, 40)}": expected <n>/<s|min|h> with n ≥ 1, e.g. 60/min`,
    );
  }
  return { limit, periodMs: UNITS[unit] as number };
}

/** Formats a rule back as `<n>/<unit>`. */
export function formatRateLimit(rule: RateLimitRule): string {
  const unit = Object.entries(UNITS).find(([, ms]) => ms === rule.periodMs)?.[0];
  return unit === undefined ? `${rule.limit}/${rule.periodMs}ms` : `${rule.limit}/${unit}`;
}

/** The result of {@link gcra}: the decision and the state to keep. */
export interface GcraStep extends RateDecision {
  /** The new theoretical arrival time (ms) to store, or `undefined` when refused (state unchanged). */
  tat: number | undefined;
  /** How long the new state must be kept, in ms (after that it equals a full bucket). */
  ttlMs: number;
}

/**
 * One step of the generic cell rate algorithm. `tat` is the stored "theoretical arrival time" (undefined for
 * a caller not seen recently), `now` the clock in ms. Allowed when the bucket still holds a token; then the
 * returned `tat` must be stored for `ttlMs`. Pure; mirrored by the Redis store's Lua script.
 */
export function gcra(tat: number | undefined, now: number, rule: RateLimitRule): GcraStep {
  const interval = rule.periodMs / rule.limit;
  const base = tat === undefined || tat < now ? now : tat;
  const next = base + interval;
  const allowAt = next - rule.periodMs;
  // Sums of period / limit carry rounding errors: a micro-millisecond of tolerance absorbs them.
  if (allowAt - now > EPSILON) {
    return {
      allowed: false,
      retryAfterMs: Math.max(1, Math.ceil(allowAt - now)),
      remaining: 0,
      tat: undefined,
      ttlMs: 0,
    };
  }
  const remaining = Math.floor((rule.periodMs - (next - now)) / interval + EPSILON);
  return { allowed: true, retryAfterMs: 0, remaining, tat: next, ttlMs: Math.max(1, Math.ceil(next - now)) };
}
