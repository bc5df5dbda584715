/**
 * The API key check: callers present the key as `Authorization: Bearer <key>` or `x-api-key: <key>`.
 * Missing → 401 `missing_api_key`; wrong → 401 `invalid_api_key` (OpenAI's status and code, which clients
 * map to their authentication error). Keys are compared as SHA-256 digests in constant time.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { GatewayError } from "./openai-error.js";

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
  /** The error for a request's headers, or `undefined` when it may pass. */
  errorFor(header: (name: string) => string | undefined): GatewayError | undefined;
  /**
   * Who is calling, for scoping conversations: a digest of the presented key (never the key itself);
   * `""` when no key is configured.
   */
  callerOf(header: (name: string) => string | undefined): string;
}

/** The check for `key`; `undefined` or `""` checks nothing (every request passes). */
export function apiKeyCheck(key: string | undefined): ApiKeyCheck {
  if (key === undefined || key === "") return { errorFor: () => undefined, callerOf: () => "" };
  const expected = digest(key);
  const caller = `key:${createHash("sha256").update(`robocoders-caller\0${key}`).digest("hex").slice(0, 32)}`;
  return {
    errorFor(header) {
      const presented = presentedKey(header);
      if (presented === undefined) {
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
      if (!timingSafeEqual(digest(presented), expected)) {
        return new GatewayError(401, "Incorrect API key provided", {
          type: "invalid_request_error",
          code: "invalid_api_key",
          headers: { "WWW-Authenticate": `${CHALLENGE}, error="invalid_token"` },
        });
      }
      return undefined;
    },
    callerOf: () => caller,
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
    const error = check.errorFor((name) => c.req.header(name));
    return error === undefined ? next() : errorResponse(error);
  };
}
