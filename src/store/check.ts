/** Argument checks shared by the store implementations. */
import { InvalidArgumentError } from "../core/errors.js";

/** Every entry expires: a TTL must be a positive whole number of ms. */
export function checkTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new InvalidArgumentError(`ttlMs must be a positive integer, got ${ttlMs}`);
  }
}

/** A slot pool's limit: a positive whole number. */
export function checkLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit <= 0) {
    throw new InvalidArgumentError(`limit must be a positive integer, got ${limit}`);
  }
}
