/**
 * The checks every request passes before any route sees it, whatever the route (the gateway's own, or
 * one mounted later on the app):
 *
 * 1. **Host** (DNS rebinding): while the gateway is bound to a loopback address, the `Host` header must
 *    name a loopback host (`localhost`, `*.localhost`, `127.0.0.0/8`, `[::1]`, any port) or one of the
 *    allowed hosts; else 403 `host_not_allowed`.
 * 2. **Origin** (web pages): a request with an `Origin` header gets 403 `origin_not_allowed` unless the
 *    origin is the gateway's own (`http://` + the `Host` header) or one of the CORS origins. CORS is off by
 *    default; with CORS origins, preflights (`OPTIONS` with `Access-Control-Request-Method`) get 204 with
 *    the allowed methods and headers (those of the chat API, of MCP over Streamable HTTP at `/mcp` and of
 *    the web API's resumable event streams), and answers carry `Access-Control-Allow-Origin` and expose
 *    `X-Robocoders-Session`, `X-Robocoders-Ignored`, `Retry-After` and `Mcp-Session-Id`.
 *
 * The content-type check (`requireJsonBody`) is in `request-body.ts`; the API key check in `api-key.ts`.
 */
import type { MiddlewareHandler } from "hono";
import { InvalidArgumentError } from "../core/errors.js";
import { isLoopbackHost } from "./bind.js";
import { type GatewayEnv, safeValue } from "./logging.js";
import { GatewayError } from "./openai-error.js";

/**
 * Methods allowed by CORS preflight answers: `DELETE` ends an MCP session (and deletes a conversation of
 * the web API), `PATCH` renames a conversation.
 */
export const CORS_ALLOWED_METHODS = "GET, POST, PATCH, DELETE, OPTIONS";
/**
 * Request headers allowed by CORS preflight answers: the chat API's, MCP's (`mcp-session-id`,
 * `mcp-protocol-version`) and `last-event-id`, which resumes an event stream of the web API or of MCP.
 */
export const CORS_ALLOWED_HEADERS =
  "authorization, content-type, x-api-key, x-robocoders-session, mcp-session-id, mcp-protocol-version, last-event-id";
/** Response headers exposed to cross-origin scripts (an MCP client reads its session from `Mcp-Session-Id`). */
export const CORS_EXPOSED_HEADERS = "X-Robocoders-Session, X-Robocoders-Ignored, Retry-After, Mcp-Session-Id";
/** How long browsers may cache a preflight answer, in seconds. */
const CORS_MAX_AGE = "600";

/** Options of {@link requestGuard}. */
export interface GuardOptions {
  /**
   * Check the `Host` header against loopback names and {@link allowedHosts} (a defence against DNS
   * rebinding, for a gateway bound to a loopback address). Default: true.
   */
  checkHost?: boolean;
  /** Extra host names (without port) accepted in the `Host` header. Default: none. */
  allowedHosts?: readonly string[];
  /**
   * Origins (`scheme://host[:port]`) allowed to call the gateway from a web page; `*` allows any origin
   * and needs an API key. Default: none (CORS off; requests with a foreign `Origin` get 403).
   */
  corsOrigins?: readonly string[];
  /** Whether an API key is configured (required for `corsOrigins: ["*"]`). */
  hasApiKey?: boolean;
}

/** The host name of a `Host` header value, lower case, without port and brackets; `undefined` if malformed. */
export function hostName(header: string): string | undefined {
  const value = header.trim().toLowerCase();
  const match = /^(\[[0-9a-f:.]+\]|[^\s:[\]/@]+)(?::(\d{1,5}))?$/.exec(value);
  if (match?.[1] === undefined) return undefined;
  return match[1];
}

/** An origin in canonical form (`scheme://host[:port]`, lower case, default port dropped), or `undefined`. */
export function canonicalOrigin(origin: string): string | undefined {
  if (origin === "null") return undefined;
  try {
    const url = new URL(origin);
    if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

/** Whether an origin (canonical) names the host of a `Host` header: the gateway's own pages. */
function sameHost(origin: string, host: string): boolean {
  const value = host.trim().toLowerCase();
  const url = new URL(origin);
  return url.host === value || (url.port === "" && url.hostname === value.replace(/:(80|443)$/, ""));
}

function forbidden(message: string, code: string): GatewayError {
  return new GatewayError(403, message, { type: "permission_error", code });
}

/** The gateway's request checks as a middleware; see the module comment for the rules. */
export function requestGuard(
  options: GuardOptions,
  errorResponse: (error: GatewayError) => Response,
): MiddlewareHandler<GatewayEnv> {
  const checkHost = options.checkHost ?? true;
  const allowedHosts = new Set(
    (options.allowedHosts ?? []).map((h) => {
      const name = hostName(h);
      if (name === undefined) throw new InvalidArgumentError(`Not a host name: ${safeValue(h)}`);
      return name;
    }),
  );
  const any = (options.corsOrigins ?? []).includes("*");
  if (any && options.hasApiKey !== true) {
    throw new InvalidArgumentError(
      "CORS origin '*' lets every web page call the gateway: it needs an API key (--api-key-file)",
    );
  }
  const corsOrigins = new Set<string>();
  for (const origin of options.corsOrigins ?? []) {
    if (origin === "*") continue;
    const canonical = canonicalOrigin(origin);
    if (canonical === undefined) {
      throw new InvalidArgumentError(
        `Not an origin: ${safeValue(origin)} (expected scheme://host[:port], e.g. http://localhost:3000)`,
      );
    }
    corsOrigins.add(canonical);
  }
  const corsOn = any || corsOrigins.size > 0;

  return async (c, next) => {
    const host = c.req.header("host");
    if (checkHost) {
      const name = host === undefined ? undefined : hostName(host);
      if (name === undefined || !(isLoopbackHost(name) || allowedHosts.has(name))) {
        return errorResponse(
          forbidden(
            `Host ${host === undefined ? "(none)" : `"${safeValue(host)}"`} is not allowed; ` +
              "start the gateway with --allowed-host <name> to accept it",
            "host_not_allowed",
          ),
        );
      }
    }

    const origin = c.req.header("origin");
    let allowOrigin: string | undefined;
    if (origin !== undefined) {
      const canonical = canonicalOrigin(origin);
      if (canonical !== undefined && corsOrigins.has(canonical)) allowOrigin = canonical;
      else if (any) allowOrigin = "*";
      else if (!(canonical !== undefined && host !== undefined && sameHost(canonical, host))) {
        return errorResponse(
          forbidden(
            `Origin "${safeValue(origin)}" is not allowed; ` +
              "start the gateway with --cors-origin <origin> to accept it",
            "origin_not_allowed",
          ),
        );
      }
    }
    if (allowOrigin !== undefined) {
      c.set("cors", {
        "access-control-allow-origin": allowOrigin,
        "access-control-expose-headers": CORS_EXPOSED_HEADERS,
        vary: "Origin",
      });
    }
    /** Adds the CORS headers of this request to an answer. */
    const withCors = (response: Response): Response => {
      if (!corsOn) return response;
      response.headers.append("vary", "Origin");
      if (allowOrigin !== undefined) {
        response.headers.set("access-control-allow-origin", allowOrigin);
        response.headers.set("access-control-expose-headers", CORS_EXPOSED_HEADERS);
      }
      return response;
    };

    if (corsOn && c.req.method === "OPTIONS" && c.req.header("access-control-request-method") !== undefined) {
      const headers = new Headers();
      if (allowOrigin !== undefined) {
        headers.set("access-control-allow-origin", allowOrigin);
        headers.set("access-control-allow-methods", CORS_ALLOWED_METHODS);
        headers.set("access-control-allow-headers", CORS_ALLOWED_HEADERS);
        headers.set("access-control-max-age", CORS_MAX_AGE);
      }
      headers.set("vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
      return new Response(null, { status: 204, headers });
    }

    await next();
    // An answer written straight to Node's response (a stream) carries its CORS headers already; the
    // placeholder response that stands for it is shared and must not be touched.
    if (!c.res.headers.has("x-hono-already-sent")) withCors(c.res);
    return undefined;
  };
}
