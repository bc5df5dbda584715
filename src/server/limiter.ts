/**
 * The cap on running chat completions (`--max-concurrency`). Past it, a request gets 429
 * `rate_limit_exceeded` with `Retry-After`, before its body is read.
 *
 * The count lives behind {@link ConcurrencyLimiter} (asynchronous, so a shared store such as Redis can
 * replace {@link MemoryConcurrencyLimiter} and cap several gateways together).
 */
import { InvalidArgumentError } from "../core/errors.js";

/** Default `maxConcurrency`: 256 running chat completions. */
export const DEFAULT_MAX_CONCURRENCY = 256;

/** Gives a slot back. */
export type SlotRelease = () => void | Promise<void>;

/** A counter of running work with a cap. */
export interface ConcurrencyLimiter {
  /**
   * Takes a slot: resolves to its release function (idempotent; it may return a promise, which the
   * gateway does not wait for), or `undefined` when every slot is taken.
   */
  acquire(): Promise<SlotRelease | undefined> | SlotRelease | undefined;
}

/** The in-process {@link ConcurrencyLimiter}. */
export class MemoryConcurrencyLimiter implements ConcurrencyLimiter {
  /** The cap. */
  readonly max: number;
  private running = 0;

  /** @param max The cap: a positive integer. */
  constructor(max = DEFAULT_MAX_CONCURRENCY) {
    if (!Number.isInteger(max) || max < 1) {
      throw new InvalidArgumentError(`maxConcurrency must be a positive integer, got ${max}`);
    }
    this.max = max;
  }

  /** Slots taken. */
  get active(): number {
    return this.running;
  }

  acquire(): (() => void) | undefined {
    if (this.running >= this.max) return undefined;
    this.running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
    };
  }
}
