/**
 * The API key check: callers present the key as `Authorization: Bearer <key>` or `x-api-key: <key>`.
 * Missing → 401 `missing_api_key`; wrong → 401 `invalid_api_key` (OpenAI's status and code, which clients
 * map to their authentication error). Keys are compared as SHA-256 digests in constant time.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { GatewayError, toGatewayError } from "./openai-error.js";

/** `WWW-Authenticate` of the 401 answers. */
const CHALLENGE = 'Bearer realm="robocoders"';

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/** The key a request presents (Bearer first, then `x-api-key`), or `undefined`. */
export function presentedKey(header: (name: string) => string | undefined): string | undefined {
  const authorization = header("authorization");
  const bearer =
    authorization !== undefined ? /^Bearer\s+(\S+)\s*$/i.exec(authorization.trim())?.[1] : undefined;
  const key = bearer ?? header("x-api-key")?.trim();
  return key === "" ? undefined : key;
}

/** A check of presented keys against one configured key. */
export interface ApiKeyCheck {
  /**
   * The error for a request's headers, or `undefined` when it may pass. Asynchronous for keys kept in a
   * shared store (it may then reject with `StoreUnavailableError`).
   */
  errorFor(
    header: (name: string) => string | undefined,
  ): GatewayError | undefined | Promise<GatewayError | undefined>;
  /**
   * Who is calling, for scoping conversations: a digest of the presented key (never the key itself);
   * `""` when no key is configured.
   */
  callerOf(header: (name: string) => string | undefined): string;
}

/** The caller id of a key: a digest, never the key itself. */
function callerId(key: string): string {
  return `key:${createHash("sha256").update(`robocoders-caller\0${key}`).digest("hex").slice(0, 32)}`;
}

function missingKey(): GatewayError {
  return new GatewayError(
    401,
    "Missing API key: send it as 'Authorization: Bearer <key>' or 'x-api-key: <key>'",
    {
      type: "invalid_request_error",
      code: "missing_api_key",
      headers: { "WWW-Authenticate": CHALLENGE },
    },
  );
}

function invalidKey(): GatewayError {
  return new GatewayError(401, "Incorrect API key provided", {
    type: "invalid_request_error",
    code: "invalid_api_key",
    headers: { "WWW-Authenticate": `${CHALLENGE}, error="invalid_token"` },
  });
}

/** The check for `key`; `undefined` or `""` checks nothing (every request passes). */
export function apiKeyCheck(key: string | undefined): ApiKeyCheck {
  if (key === undefined || key === "") return { errorFor: () => undefined, callerOf: () => "" };
  const expected = digest(key);
  const caller = callerId(key);
  return {
    errorFor(header) {
      const presented = presentedKey(header);
      if (presented === undefined) return missingKey();
      return timingSafeEqual(digest(presented), expected) ? undefined : invalidKey();
    },
    callerOf: () => caller,
  };
}

/** What {@link storeApiKeyCheck} needs of the store's keys (`ApiKeys` of `robocoders/store`). */
export interface KeyVerifier {
  /** The record of a valid key, `undefined` for an unknown or revoked one; may reject (store unavailable). */
  verify(key: string): Promise<unknown>;
}

/**
 * The check against the keys of a shared store (added with `robocoders keys add`), and against `key` too
 * when one is given. The caller of a request is a digest of the key it presented.
 */
export function storeApiKeyCheck(keys: KeyVerifier, key?: string): ApiKeyCheck {
  const fixed = key === undefined || key === "" ? undefined : digest(key);
  return {
    async errorFor(header) {
      const presented = presentedKey(header);
      if (presented === undefined) return missingKey();
      if (fixed !== undefined && timingSafeEqual(digest(presented), fixed)) return undefined;
      return (await keys.verify(presented)) === undefined ? invalidKey() : undefined;
    },
    callerOf(header) {
      const presented = presentedKey(header);
      return presented === undefined ? "" : callerId(presented);
    },
  };
}

/**
 * The API key check as a middleware for every path but `publicPaths` (exact paths, e.g. `/health`).
 */
export function requireApiKey(
  check: ApiKeyCheck,
  publicPaths: ReadonlySet<string>,
  errorResponse: (error: GatewayError) => Response,
): MiddlewareHandler {
  return async (c, next) => {
    if (publicPaths.has(c.req.path)) return next();
    let error: GatewayError | undefined;
    try {
      error = await check.errorFor((name) => c.req.header(name));
    } catch (failure) {
      error = toGatewayError(failure);
    }
    return error === undefined ? next() : errorResponse(error);
  };
}
