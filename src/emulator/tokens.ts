/**
 * The emulator's access tokens: HS256 JWTs with `sub` and `exp` only, as the real service issues them,
 * signed and verified with one per-instance key that {@link TokenIssuer.revokeAll} replaces.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import type { MintTokenOptions } from "./types.js";

/** Default lifetime of a minted token: 365 days, in seconds. */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 365 * 24 * 3600;

/** A signing secret as bytes. */
export function secretBytes(secret: string | Uint8Array): Uint8Array {
  return typeof secret === "string" ? new TextEncoder().encode(secret) : secret;
}

/** A minted token and its claims. */
export interface MintedToken {
  token: string;
  sub: string;
  /** Expiry, in seconds since the epoch. */
  exp: number;
}

/** Mints and verifies the tokens of one emulator instance. */
export class TokenIssuer {
  #key: Uint8Array;

  /**
   * @param secret the HS256 secret. Default: 32 random bytes.
   * @param lifetimeSeconds lifetime of a token when the caller gives none.
   */
  constructor(
    secret: string | Uint8Array | undefined,
    readonly lifetimeSeconds: number = DEFAULT_TOKEN_LIFETIME_SECONDS,
  ) {
    this.#key = secretBytes(secret ?? randomBytes(32));
  }

  /** Signs a token with `sub` (default: a fresh UUID) and `exp` (default: now + the instance's lifetime). */
  async mint(options: MintTokenOptions = {}): Promise<MintedToken> {
    const exp = Math.floor(Date.now() / 1000) + (options.expiresInSeconds ?? this.lifetimeSeconds);
    const sub = options.sub ?? randomUUID();
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject(sub)
      .setExpirationTime(exp)
      .sign(options.secret === undefined ? this.#key : secretBytes(options.secret));
    return { token, sub, exp };
  }

  /** Whether the token is signed by the current key, carries `sub` and `exp`, and has not expired. */
  async verify(token: string): Promise<boolean> {
    try {
      await jwtVerify(token, this.#key, { algorithms: ["HS256"], requiredClaims: ["sub", "exp"] });
      return true;
    } catch (error) {
      if (error instanceof joseErrors.JOSEError || error instanceof TypeError) return false;
      throw error;
    }
  }

  /** Invalidates every token issued so far by switching to a new random key. */
  revokeAll(): void {
    this.#key = secretBytes(randomBytes(32));
  }
}
