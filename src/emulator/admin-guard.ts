/**
 * The checks every request to the emulator's admin API passes before it is served. The admin API listens
 * on a port a web page can reach: a page the user visits could post to it (cross-origin), or rebind its own
 * DNS name to 127.0.0.1 and talk to it as its own origin. So the guard refuses, in this order:
 * - a `Host` that is not a loopback name when the emulator listens on loopback (DNS rebinding);
 * - a request a browser marks as cross-site: an `Origin` other than the emulator's own, or
 *   `Sec-Fetch-Site: cross-site`/`same-site`;
 * - a missing or wrong admin token, when one is set;
 * - a body that is not JSON: a `content-type` other than `application/json`, or a body without one
 *   (a form or `text/plain` post is what a page can send without asking).
 * Pure: it reads headers and answers what is wrong. The host, origin and content-type parsing is the
 * gateway's (`src/server/host-origin.ts`, `src/server/request-body.ts`).
 */
import { timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { isLoopbackHost } from "../server/bind.js";
import { canonicalOrigin, hostName } from "../server/host-origin.js";
import { isJsonContentType } from "../server/request-body.js";

export { hostName, isJsonContentType };

/** The header that may carry the admin token (besides `Authorization: Bearer <token>`). */
export const ADMIN_TOKEN_HEADER = "x-emulator-admin-token";

/** A refused request: status and the `detail` of its JSON body. */
export interface GuardRefusal {
  status: 400 | 401 | 403 | 415;
  detail: string;
  headers?: Record<string, string>;
}

/** What the guard knows about the emulator. */
export interface GuardSettings {
  /** Whether the emulator listens on a loopback address (then the `Host` must be a loopback name). */
  loopback: boolean;
  /** The admin token, when one is required. */
  token?: string | undefined;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Whether `origin` is the emulator's own: `http://` and the `Host` header. */
function sameOrigin(origin: string, host: string): boolean {
  const canonical = canonicalOrigin(origin);
  return canonical !== undefined && canonical === canonicalOrigin(`http://${host.trim()}`);
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given, "utf8");
  const b = Buffer.from(expected, "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The admin token a request carries: `Authorization: Bearer <token>`, else `x-emulator-admin-token`. */
function presentedToken(headers: IncomingHttpHeaders): string | undefined {
  const match = /^bearer\s+(\S+)\s*$/i.exec(header(headers, "authorization") ?? "");
  return match?.[1] ?? header(headers, ADMIN_TOKEN_HEADER)?.trim();
}

/**
 * Checks a request's origin and credentials (everything but the body). Returns why it is refused, or
 * `undefined` when it may go on.
 */
export function checkAdminRequest(
  headers: IncomingHttpHeaders,
  settings: GuardSettings,
): GuardRefusal | undefined {
  const host = header(headers, "host");
  if (settings.loopback) {
    const name = host === undefined ? undefined : hostName(host);
    if (name === undefined || !isLoopbackHost(name)) {
      return { status: 403, detail: "The admin API answers only requests addressed to a loopback host" };
    }
  }
  const origin = header(headers, "origin");
  if (origin !== undefined && (host === undefined || !sameOrigin(origin, host))) {
    return { status: 403, detail: "Cross-origin requests to the admin API are refused" };
  }
  const site = header(headers, "sec-fetch-site")?.toLowerCase();
  if (site === "cross-site" || site === "same-site") {
    return { status: 403, detail: "Cross-origin requests to the admin API are refused" };
  }
  if (settings.token !== undefined) {
    const given = presentedToken(headers);
    if (given === undefined || !sameSecret(given, settings.token)) {
      return {
        status: 401,
        detail: `The admin API needs its token (Authorization: Bearer <token> or ${ADMIN_TOKEN_HEADER})`,
        headers: { "www-authenticate": "Bearer" },
      };
    }
  }
  return undefined;
}

/**
 * Checks the body of a request that has one: it must be declared `application/json`. An empty body
 * without a `content-type` passes (a bare `curl -X POST`).
 */
export function checkAdminBody(headers: IncomingHttpHeaders, body: string): GuardRefusal | undefined {
  const type = header(headers, "content-type");
  if (type === undefined && body === "") return undefined;
  if (!isJsonContentType(type)) {
    return { status: 415, detail: "The admin API accepts only application/json bodies" };
  }
  return undefined;
}
