import { describe, expect, it } from "vitest";
import {
  APIConnectionError,
  RateLimitError,
  ServerError,
  StreamError,
  ValidationError,
} from "../../core/errors.js";
import { entryFrame, idleFrame, resumePoint } from "./sse.js";
import { turnError } from "./turn-error.js";

describe("turnError", () => {
  it("says how long a rate limit asks to wait", () => {
    expect(turnError(new RateLimitError("429", 7000))).toMatchObject({
      code: "rate_limited",
      retryAfterMs: 7000,
      retryable: true,
      message: "The Robocoders API is rate limiting requests; try again in 7 s.",
    });
    expect(turnError(new RateLimitError("429", undefined)).message).toContain("in a moment");
  });

  it("names an unreachable API, a cut stream and server errors; keeps other errors' codes", () => {
    expect(turnError(new APIConnectionError("connect ECONNREFUSED"))).toMatchObject({
      code: "connection_failed",
      retryable: true,
    });
    expect(turnError(new APIConnectionError("connect ECONNREFUSED")).message).toMatch(/unreachable/);
    expect(turnError(new StreamError("cut", "stream_truncated")).message).toMatch(/cut off/);
    expect(turnError(new ServerError("boom", 502))).toMatchObject({ code: "server_error", status: 502 });
    expect(turnError(new ValidationError("bad", []))).toMatchObject({
      code: "validation_failed",
      retryable: false,
    });
    expect(turnError(new Error("secret stack"))).toEqual({
      code: "internal_error",
      message: "The workspace failed to run the turn.",
      retryable: true,
    });
  });

  it("never repeats a token", () => {
    const token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlc2lnbmF0dXJl";
    expect(JSON.stringify(turnError(new APIConnectionError(`failed with ${token}`)))).not.toContain(token);
  });
});

describe("SSE framing", () => {
  it("writes one frame per entry with its seq as id, and the idle frame without id", () => {
    const entry = {
      seq: 4,
      time: "t",
      turn: 1,
      type: "prompt",
      prompt: "a\nb",
      auto: false,
      agent: "RepoAgent",
    } as const;
    expect(entryFrame(entry)).toBe(`id: 4\nevent: prompt\ndata: ${JSON.stringify(entry)}\n\n`);
    expect(
      entryFrame(entry)
        .split("\n")
        .filter((l) => l.startsWith("data:")),
    ).toHaveLength(1);
    expect(idleFrame({ status: "finished" })).toBe('event: idle\ndata: {"status":"finished"}\n\n');
  });

  it("resumes after Last-Event-ID, else ?after=, else from the start", () => {
    expect(resumePoint("12", "3")).toBe(12);
    expect(resumePoint(undefined, "3")).toBe(3);
    expect(resumePoint("x", "3")).toBe(3);
    expect(resumePoint("-1", undefined)).toBe(0);
    expect(resumePoint(undefined, undefined)).toBe(0);
  });
});
