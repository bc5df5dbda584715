import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { decodeJwtClaims, isJwtExpired, jwtExpiry, looksLikeJwt } from "./jwt.js";

const secret = new TextEncoder().encode("test-secret-test-secret-test-secret");
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");
const header = b64({ alg: "HS256", typ: "JWT" });

/** An HS256 token like the server's: `sub` and `exp` only. */
async function token(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(secret);
}

describe("decodeJwtClaims", () => {
  it("reads sub and exp of a signed token without verifying it", async () => {
    const jwt = await token({ sub: "0b5a8a4e-2f7c-4c1e-9d7c-5f3b2a1e0d9c", exp: 1_800_000_000 });
    expect(decodeJwtClaims(jwt)).toEqual({ sub: "0b5a8a4e-2f7c-4c1e-9d7c-5f3b2a1e0d9c", exp: 1_800_000_000 });
    expect(looksLikeJwt(jwt)).toBe(true);
  });

  it("accepts an empty signature (an unsecured JWT is still well-formed)", () => {
    expect(decodeJwtClaims(`${b64({ alg: "none" })}.${b64({ sub: "x" })}.`)).toEqual({ sub: "x" });
  });

  it("decodes non-ASCII claims as UTF-8", () => {
    expect(decodeJwtClaims(`${header}.${b64({ name: "Jürgen 😀" })}.sig`)).toEqual({ name: "Jürgen 😀" });
  });

  it.each([
    ["empty", ""],
    ["opaque token", "abc123"],
    ["two segments", `${header}.${b64({ sub: "x" })}`],
    ["four segments", `${header}.${b64({ sub: "x" })}.sig.more`],
    ["empty header", `.${b64({ sub: "x" })}.sig`],
    ["empty payload", `${header}..sig`],
    ["standard base64 alphabet", `${header}.${Buffer.from('{"sub":"x>?"}').toString("base64")}.sig`],
    ["padding", `${header}.${b64({ sub: "x" })}==.sig`],
    ["whitespace", ` ${header}.${b64({ sub: "x" })}.sig`],
    ["bad signature characters", `${header}.${b64({ sub: "x" })}.si+g`],
    ["impossible segment length", `${header}.${b64({ sub: "x" })}A.sig`],
    ["payload not JSON", `${header}.${Buffer.from("not json").toString("base64url")}.sig`],
    ["payload an array", `${header}.${b64([1, 2])}.sig`],
    ["payload a string", `${header}.${b64("sub")}.sig`],
    ["payload invalid UTF-8", `${header}.${Buffer.from([0x7b, 0xff, 0x7d]).toString("base64url")}.sig`],
    ["header without alg", `${b64({ typ: "JWT" })}.${b64({ sub: "x" })}.sig`],
    ["header not an object", `${b64(null)}.${b64({ sub: "x" })}.sig`],
    ["exp a string", `${header}.${b64({ exp: "1800000000" })}.sig`],
    ["exp null", `${header}.${b64({ exp: null })}.sig`],
    ["sub a number", `${header}.${b64({ sub: 42 })}.sig`],
    ["iat a boolean", `${header}.${b64({ iat: true })}.sig`],
  ])("returns undefined for a malformed token: %s", (_name, value) => {
    expect(decodeJwtClaims(value)).toBeUndefined();
    expect(looksLikeJwt(value)).toBe(false);
    expect(jwtExpiry(value)).toBeUndefined();
    expect(isJwtExpired(value)).toBe(false);
  });
});

describe("expiry", () => {
  const now = Date.UTC(2025, 0, 1);
  const exp = now / 1000 + 3600;

  it("returns exp as a Date", async () => {
    expect(jwtExpiry(await token({ sub: "x", exp }))).toEqual(new Date(now + 3_600_000));
    expect(jwtExpiry(await token({ sub: "x" }))).toBeUndefined();
  });

  it("is expired once exp is within the skew (default 60 s) of now", async () => {
    const jwt = await token({ sub: "x", exp });
    expect(isJwtExpired(jwt, now)).toBe(false);
    expect(isJwtExpired(jwt, now + 3_600_000 - 61_000)).toBe(false);
    expect(isJwtExpired(jwt, now + 3_600_000 - 60_000)).toBe(true);
    expect(isJwtExpired(jwt, now + 3_600_000 + 1)).toBe(true);
    expect(isJwtExpired(jwt, now + 3_600_000 - 1000, 0)).toBe(false);
    expect(isJwtExpired(jwt, now, 3600)).toBe(true);
  });

  it("uses the current time by default", async () => {
    expect(isJwtExpired(await token({ exp: Math.floor(Date.now() / 1000) - 10 }))).toBe(true);
    expect(isJwtExpired(await token({ exp: Math.floor(Date.now() / 1000) + 86_400 }))).toBe(false);
  });

  it("never considers a token without exp expired", async () => {
    expect(isJwtExpired(await token({ sub: "x" }), Number.MAX_SAFE_INTEGER)).toBe(false);
  });
});
