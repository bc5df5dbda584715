/**
 * Complete (non-streamed) HTTP answers as the real stack writes them: uvicorn's `server` header, FastAPI's
 * JSON errors, plain-text 500s and nginx's HTML pages for 502-504. Every answer reports its status to a
 * callback first, for the counters.
 */
import type { ServerResponse } from "node:http";
import { proxyErrorPage } from "./pages.js";
import type { Faults } from "./types.js";

/** Sends complete responses on one `ServerResponse`. */
export interface Replier {
  /** Sends `body` (a string as UTF-8) with a `content-length`. */
  send(status: number, body: string | Buffer, contentType: string, headers?: Record<string, string>): void;
  /** Sends `value` as compact JSON. */
  json(status: number, value: unknown, headers?: Record<string, string>): void;
  /** FastAPI's 401 for a bad or expired token. */
  invalidCredentials(): void;
  /** The error response a status fault asks for (default 500), with `Retry-After` for 429 and 503. */
  faultStatus(faults: Faults): void;
}

/** A {@link Replier} for `res`; `onStatus` hears each status before it is written. */
export function replier(res: ServerResponse, onStatus: (status: number) => void): Replier {
  const send: Replier["send"] = (status, body, contentType, headers = {}) => {
    onStatus(status);
    const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
    res.writeHead(status, {
      server: "uvicorn",
      "content-type": contentType,
      "content-length": String(bytes.length),
      ...headers,
    });
    res.end(bytes);
  };
  const json: Replier["json"] = (status, value, headers) =>
    send(status, JSON.stringify(value), "application/json", headers);
  const invalidCredentials = (): void =>
    json(401, { detail: "Could not validate credentials" }, { "www-authenticate": "Bearer" });

  const faultStatus = (faults: Faults): void => {
    const status = faults.status ?? 500;
    const headers: Record<string, string> = {};
    const retryAfter = faults.retryAfter ?? (status === 429 ? 1 : undefined);
    if (retryAfter !== undefined && (status === 429 || status === 503)) {
      headers["retry-after"] =
        retryAfter === "date" ? new Date(Date.now() + 2000).toUTCString() : String(retryAfter);
    }
    switch (status) {
      case 401:
        invalidCredentials();
        return;
      case 403:
        json(403, { detail: "Not authenticated" });
        return;
      case 404:
        json(404, { detail: "Session not found" });
        return;
      case 422:
        json(422, {
          detail: [{ type: "missing", loc: ["body", "sid"], msg: "Field required", input: {} }],
        });
        return;
      case 429:
        json(429, { detail: "Too Many Requests" }, headers);
        return;
      case 500:
        send(500, "Internal Server Error", "text/plain; charset=utf-8");
        return;
      default:
        send(status, proxyErrorPage(status), "text/html", { ...headers, server: "nginx" });
    }
  };

  return { send, json, invalidCredentials, faultStatus };
}
