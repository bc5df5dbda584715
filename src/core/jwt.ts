/**
 * Reading a JWT's claims without verifying its signature: enough for a client to know when its access
 * token expires and refresh it before the server rejects it. Nothing here proves a token is genuine.
 */

import { isRecord } from "../internal/values.js";

/** The claims of a JWT payload. The Robocoders token carries `sub` (a UUID) and `exp` only. */
export interface JwtClaims {
  /** Subject: the identity the token was issued to. */
  sub?: string;
  /** Expiry, in seconds since the Unix epoch (NumericDate). */
  exp?: number;
  [k: string]: unknown;
}

/** One base64url segment: the URL-safe alphabet, no padding, a length that can encode whole bytes. */
const SEGMENT = /^[A-Za-z0-9_-]+$/;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Decodes one base64url segment holding a JSON object, or returns `undefined`. */
function decodeSegment(segment: string): Record<string, unknown> | undefined {
  // Length 1 mod 4 cannot come from any byte string.
  if (!SEGMENT.test(segment) || segment.length % 4 === 1) return undefined;
  try {
    const value: unknown = JSON.parse(utf8.decode(Buffer.from(segment, "base64url")));
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Splits a compact JWS into its three segments, with non-empty header and payload. */
function segments(token: string): [string, string, string] | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  const [header, payload, signature] = parts as [string, string, string];
  if (header === "" || payload === "" || (signature !== "" && !SEGMENT.test(signature))) return undefined;
  return [header, payload, signature];
}

/**
 * Decodes a JWT's payload without verifying the signature. Returns `undefined` when the token is not a
 * well-formed JWT: three base64url segments (the signature may be empty), a header and payload that decode
 * to JSON objects, and a header with a string `alg`; also when a registered claim has the wrong type
 * (`sub` not a string; `exp`, `nbf` or `iat` not a finite number).
 */
export function decodeJwtClaims(token: string): JwtClaims | undefined {
  const parts = segments(token);
  if (parts === undefined) return undefined;
  const header = decodeSegment(parts[0]);
  if (header === undefined || typeof header.alg !== "string") return undefined;
  const claims = decodeSegment(parts[1]);
  if (claims === undefined) return undefined;
  if (claims.sub !== undefined && typeof claims.sub !== "string") return undefined;
  for (const name of ["exp", "nbf", "iat"]) {
    const value = claims[name];
    if (value !== undefined && !(typeof value === "number" && Number.isFinite(value))) return undefined;
  }
  return claims;
}

/** The token's expiry (its `exp` claim) as a `Date`; `undefined` when it has none or is not a JWT. */
export function jwtExpiry(token: string): Date | undefined {
  const exp = decodeJwtClaims(token)?.exp;
  return exp === undefined ? undefined : new Date(exp * 1000);
}

/**
 * True when the token's `exp` is in the past, or less than `skewSeconds` ahead of `nowMs`.
 * A token without `exp`, or one that is not a JWT at all, is not considered expired.
 *
 * @param nowMs the current time in milliseconds since the epoch (default `Date.now()`).
 * @param skewSeconds safety margin in seconds (default 60), so a token is refreshed before it runs out.
 */
export function isJwtExpired(token: string, nowMs: number = Date.now(), skewSeconds = 60): boolean {
  const expiry = jwtExpiry(token);
  return expiry !== undefined && expiry.getTime() <= nowMs + skewSeconds * 1000;
}

/** True for three base64url segments whose header and payload decode to JSON objects (see {@link decodeJwtClaims}). */
export function looksLikeJwt(token: string): boolean {
  return decodeJwtClaims(token) !== undefined;
}
