import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../core/errors.js";
import { formatRateLimit, gcra, parseRateLimit } from "./rate-limit.js";
import type { RateLimitRule } from "./types.js";

describe("parseRateLimit", () => {
  it.each([
    ["10/s", 10, 1000],
    ["60/min", 60, 60_000],
    [" 1000 / h ", 1000, 3_600_000],
    ["1/s", 1, 1000],
  ])("%s", (text, limit, periodMs) => {
    expect(parseRateLimit(text)).toEqual({ limit, periodMs });
  });

  it.each(["", "0/s", "-1/s", "1.5/s", "10", "10/m", "10/sec", "10/min/h", "/s", "1e3/s", "10/S"])(
    "refuses %j",
    (text) => {
      expect(() => parseRateLimit(text)).toThrow(InvalidArgumentError);
      expect(() => parseRateLimit(text)).toThrow(/expected <n>\/<s\|min\|h>/);
    },
  );

  it("formats a rule back", () => {
    expect(formatRateLimit(parseRateLimit("60/min"))).toBe("60/min");
    expect(formatRateLimit({ limit: 3, periodMs: 250 })).toBe("3/250ms");
  });
});

/** Runs `gcra` over request times (ms, non-decreasing), returning which were allowed. */
function simulate(times: number[], rule: RateLimitRule): boolean[] {
  let tat: number | undefined;
  return times.map((now) => {
    const step = gcra(tat, now, rule);
    if (step.tat !== undefined) tat = step.tat;
    return step.allowed;
  });
}

const rules = fc.record({
  limit: fc.integer({ min: 1, max: 50 }),
  periodMs: fc.constantFrom(1000, 60_000, 3_600_000, 7),
});

describe("gcra", () => {
  it("allows exactly `limit` requests at one instant, with the remaining count going down", () => {
    fc.assert(
      fc.property(rules, (rule) => {
        let tat: number | undefined;
        const remaining: number[] = [];
        for (let i = 0; i < rule.limit; i++) {
          const step = gcra(tat, 1000, rule);
          expect(step.allowed).toBe(true);
          tat = step.tat;
          remaining.push(step.remaining);
        }
        expect(remaining).toEqual(Array.from({ length: rule.limit }, (_, i) => rule.limit - 1 - i));
        const refused = gcra(tat, 1000, rule);
        expect(refused).toMatchObject({ allowed: false, remaining: 0, tat: undefined });
        expect(refused.retryAfterMs).toBe(Math.ceil(rule.periodMs / rule.limit));
      }),
    );
  });

  it("never allows more than limit + the refill over any span", () => {
    fc.assert(
      fc.property(rules, fc.array(fc.integer({ min: 0, max: 5000 }), { maxLength: 200 }), (rule, gaps) => {
        const times: number[] = [];
        let now = 0;
        for (const gap of gaps) {
          now += gap % 3 === 0 ? 0 : gap;
          times.push(now);
        }
        const allowed = simulate(times, rule);
        for (let i = 0; i < times.length; i++) {
          for (let j = i; j < times.length; j++) {
            const span = (times[j] as number) - (times[i] as number);
            const count = allowed.slice(i, j + 1).filter(Boolean).length;
            expect(count).toBeLessThanOrEqual(
              rule.limit + Math.floor((span * rule.limit) / rule.periodMs) + 1,
            );
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it("allows a refused caller again after retryAfterMs, and never refuses requests spaced by period / limit", () => {
    fc.assert(
      fc.property(rules, fc.integer({ min: 0, max: 1e9 }), (rule, start) => {
        let tat: number | undefined;
        let now = start;
        let step = gcra(tat, now, rule);
        while (step.allowed) {
          tat = step.tat;
          step = gcra(tat, now, rule);
        }
        now += step.retryAfterMs;
        expect(gcra(tat, now, rule).allowed).toBe(true);
        const interval = Math.ceil(rule.periodMs / rule.limit);
        const spaced = simulate(
          Array.from({ length: 20 }, (_, i) => start + i * interval),
          rule,
        );
        expect(spaced.every(Boolean)).toBe(true);
      }),
    );
  });
});
