import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AuthenticationError,
  NotFoundError,
  RateLimitError,
  ServerError,
  UnexpectedStatusError,
  ValidationError,
} from "../core/errors.js";
import {
  backoffDelay,
  errorFromResponse,
  htmlToText,
  MAX_BACKOFF_MS,
  MAX_RETRY_AFTER_MS,
  parseRetryAfter,
} from "./http-errors.js";

const headers = (values: Record<string, string> = {}) => ({ get: (name: string) => values[name] ?? null });

describe("parseRetryAfter", () => {
  const now = Date.parse("2024-11-15T16:57:20Z");
  it("reads seconds and HTTP dates, capped", () => {
    expect(parseRetryAfter("3", now)).toBe(3000);
    expect(parseRetryAfter("0", now)).toBe(0);
    expect(parseRetryAfter("Fri, 15 Nov 2024 16:57:25 GMT", now)).toBe(5000);
    expect(parseRetryAfter("Fri, 15 Nov 2024 16:50:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("86400", now)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter("soon", now)).toBeUndefined();
  });
});

describe("backoffDelay", () => {
  it("grows exponentially with at most 25 % jitter, capped, and Retry-After wins", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (retry, random) => {
          const delay = backoffDelay(retry, 500, undefined, () => random);
          const full = Math.min(500 * 2 ** retry, MAX_BACKOFF_MS);
          expect(delay).toBeLessThanOrEqual(full);
          expect(delay).toBeGreaterThanOrEqual(Math.floor(full * 0.75));
        },
      ),
    );
    expect(backoffDelay(3, 500, 1234)).toBe(1234);
  });
});

describe("errorFromResponse", () => {
  it("maps statuses to typed errors", () => {
    expect(
      errorFromResponse(401, '{"detail": "Could not validate credentials"}', "POST /chat", headers()),
    ).toBeInstanceOf(AuthenticationError);
    const forbidden = errorFromResponse(403, '{"detail": "Not authenticated"}', "POST /chat", headers());
    expect(forbidden).toBeInstanceOf(AuthenticationError);
    expect(forbidden.status).toBe(403);
    expect(errorFromResponse(404, '{"detail": "Session not found"}', "POST /chat", headers()).message).toBe(
      "POST /chat returned 404: Session not found",
    );
    expect(errorFromResponse(404, "", "POST /chat", headers())).toBeInstanceOf(NotFoundError);
    const limited = errorFromResponse(
      429,
      '{"detail": "Too Many Requests"}',
      "POST /chat",
      headers({ "retry-after": "2" }),
    );
    expect(limited).toBeInstanceOf(RateLimitError);
    expect((limited as RateLimitError).retryAfterMs).toBe(2000);
    expect(
      errorFromResponse(504, "<html><title>504 Gateway Time-out</title></html>", "GET /auth", headers())
        .message,
    ).toContain("504 Gateway Time-out");
    expect(errorFromResponse(500, "Internal Server Error", "GET /auth", headers())).toBeInstanceOf(
      ServerError,
    );
    expect(errorFromResponse(418, "teapot", "GET /auth", headers())).toBeInstanceOf(UnexpectedStatusError);
  });

  it("puts every validation message in the 422 message, and keeps a string detail", () => {
    const body = JSON.stringify({
      detail: [
        { type: "missing", loc: ["body", "sid"], msg: "Field required", input: {} },
        { type: "string_type", loc: ["body", "prompt"], msg: "Input should be a valid string", input: 1 },
      ],
    });
    const error = errorFromResponse(422, body, "POST /chat", headers()) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.issues).toHaveLength(2);
    expect(error.message).toContain("body.sid: Field required");
    expect(error.message).toContain("body.prompt: Input should be a valid string");
    const plain = errorFromResponse(
      422,
      '{"detail": "bad agent"}',
      "POST /chat",
      headers(),
    ) as ValidationError;
    expect(plain.issues).toEqual([{ msg: "bad agent" }]);
    expect(plain.message).toContain("bad agent");
  });

  it("redacts tokens echoed by the server", () => {
    const token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
    const error = errorFromResponse(
      401,
      JSON.stringify({ detail: `bad token ${token}` }),
      "POST /chat",
      headers(),
      [token],
    );
    expect(error.message).not.toContain(token);
    expect(JSON.stringify(error.body)).not.toContain(token);
  });
});

describe("htmlToText", () => {
  it("prefers the title, else the text without tags", () => {
    expect(htmlToText("<html><head><title>502 Bad Gateway</title></head><body>x</body></html>")).toBe(
      "502 Bad Gateway",
    );
    expect(htmlToText("<p>Service <b>unavailable</b></p><script>evil()</script>")).toBe(
      "Service unavailable",
    );
  });
});
