import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createVerboseLogger, formatLogRecord } from "./verbose-logger.js";

const JWT =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3OC1hYmNkIiwiZXhwIjo0MTAyNDQ0ODAwfQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ";

describe("formatLogRecord", () => {
  it("prints a request as method, path, status, duration", () => {
    expect(
      formatLogRecord("debug", "request", {
        method: "POST",
        path: "/chat",
        status: 200,
        durationMs: 812.4,
        attempt: 1,
      }),
    ).toBe("robocoders debug → POST /chat 200 812 ms");
  });

  it("does not repeat a message that restates the request (gateway request logs)", () => {
    expect(
      formatLogRecord("info", "GET /v1/models 200", {
        method: "GET",
        path: "/v1/models",
        status: 200,
        durationMs: 1,
        model: "RepoAgent",
      }),
    ).toBe("robocoders info → GET /v1/models 200 1 ms model=RepoAgent");
  });

  it("shows retries", () => {
    const line = formatLogRecord("debug", "request", {
      method: "GET",
      path: "/auth",
      status: 503,
      durationMs: 3,
      attempt: 3,
    });
    expect(line).toContain("503");
    expect(line).toContain("(retry 2)");
  });

  it("keeps other fields and non-request records", () => {
    expect(
      formatLogRecord("debug", "request", { method: "GET", path: "/x", status: 200, sid: "abc" }),
    ).toContain("sid=abc");
    expect(formatLogRecord("warn", "skipped a malformed line", { bytes: 12 })).toBe(
      'robocoders warn skipped a malformed line {"bytes":12}',
    );
  });

  it("prints retries as one readable line", () => {
    expect(
      formatLogRecord("debug", "retrying", { code: "server_error", status: 503, retry: 1, delayMs: 389.2 }),
    ).toBe("robocoders debug ↻ retry 1 in 389 ms after server_error 503");
  });

  it("redacts tokens in messages and fields", () => {
    const line = formatLogRecord("debug", `auth with Bearer ${JWT}`, {
      method: "GET",
      path: "/create-session",
      status: 200,
      authorization: `Bearer ${JWT}`,
      access_token: "plain-secret-value",
      note: `token=${JWT}`,
    });
    expect(line).not.toContain(JWT);
    expect(line).not.toContain("plain-secret-value");
    expect(line).toContain("[REDACTED]");
  });

  it("redacts extra secrets", () => {
    expect(
      formatLogRecord("info", "key my-server-api-key", {}, undefined, ["my-server-api-key"]),
    ).not.toContain("my-server-api-key");
  });
});

describe("createVerboseLogger", () => {
  it("writes one line per record and calls beforeWrite", () => {
    let out = "";
    let before = 0;
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        out += chunk.toString();
        cb();
      },
    });
    const logger = createVerboseLogger({ stream, beforeWrite: () => before++ });
    logger.debug("request", { method: "GET", path: "/auth", status: 200, durationMs: 5 });
    logger.error("boom");
    expect(out).toBe("robocoders debug → GET /auth 200 5 ms\nrobocoders error boom\n");
    expect(before).toBe(2);
  });
});
