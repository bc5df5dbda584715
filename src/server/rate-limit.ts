/**
 * `--rate-limit <n>/<s|min|h>`: each caller's chat completions are counted in the store (atomically across
 * the instances that share it); past the limit, 429 `rate_limit_exceeded` with `Retry-After`. The caller is
 * the API key in use (a digest), else the client's address.
 */
import { createHash } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import type { RateLimitRule, Store } from "../store/types.js";
import { GatewayError, toGatewayError } from "./openai-error.js";
import { incomingOf } from "./request-body.js";

/** The rate limit as a middleware: `callerOf` names the caller from the request headers (`""`: unknown). */
export function rateLimit(
  store: Store,
  rule: RateLimitRule,
  callerOf: (header: (name: string) => string | undefined) => string,
  errorResponse: (error: GatewayError) => Response,
): MiddlewareHandler {
  return async (c, next) => {
    let caller = callerOf((name) => c.req.header(name));
    if (caller === "") caller = `addr:${incomingOf(c)?.socket.remoteAddress ?? "unknown"}`;
    const bucket = createHash("sha256").update(caller).digest("hex").slice(0, 32);
    let decision: Awaited<ReturnType<Store["rateLimit"]>>;
    try {
      decision = await store.rateLimit(bucket, rule);
    } catch (error) {
      return errorResponse(toGatewayError(error));
    }
    if (decision.allowed) return next();
    const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    return errorResponse(
      new GatewayError(
        429,
        `Rate limit reached (${rule.limit} requests per ${periodName(rule)}); try again in ${seconds} s`,
        {
          type: "rate_limit_error",
          code: "rate_limit_exceeded",
          headers: { "Retry-After": String(seconds) },
        },
      ),
    );
  };
}

function periodName(rule: RateLimitRule): string {
  if (rule.periodMs === 1000) return "second";
  if (rule.periodMs === 60_000) return "minute";
  if (rule.periodMs === 3_600_000) return "hour";
  return `${rule.periodMs} ms`;
}
