import { APICallError, NoSuchModelError } from "@ai-sdk/provider";
import { describe, expect, it } from "vitest";
import {
  APIConnectionError,
  APITimeoutError,
  APIUserAbortError,
  AuthenticationError,
  InvalidArgumentError,
  ModelNotSupportedError,
  RateLimitError,
  ServerError,
  StreamError,
  ValidationError,
} from "../core/errors.js";
import { mapRobocodersError } from "./robocoders-error.js";

const context = {
  url: "http://127.0.0.1:1/chat",
  requestBodyValues: { sid: "s", prompt: "p", agent: "RepoAgent" },
};
const TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";

function asCallError(error: unknown): APICallError {
  expect(APICallError.isInstance(error)).toBe(true);
  if (!APICallError.isInstance(error)) throw new Error("not an APICallError");
  return error;
}

describe("mapRobocodersError", () => {
  it("makes a 429 retryable and passes its delay as retry-after-ms", () => {
    const error = asCallError(
      mapRobocodersError(
        new RateLimitError("Too Many Requests", 1500, { body: { detail: "Too Many Requests" } }),
        context,
      ),
    );
    expect(error).toMatchObject({
      statusCode: 429,
      isRetryable: true,
      url: context.url,
      requestBodyValues: context.requestBodyValues,
      responseBody: '{"detail":"Too Many Requests"}',
      responseHeaders: { "retry-after-ms": "1500" },
    });
  });

  it("makes 5xx, connection failures and timeouts retryable", () => {
    expect(
      asCallError(mapRobocodersError(new ServerError("boom", 503, { body: "<html>" }), context)),
    ).toMatchObject({
      statusCode: 503,
      isRetryable: true,
      responseBody: "<html>",
    });
    expect(asCallError(mapRobocodersError(new APIConnectionError("refused"), context)).isRetryable).toBe(
      true,
    );
    expect(asCallError(mapRobocodersError(new APITimeoutError("idle", 10), context)).isRetryable).toBe(true);
  });

  it("makes 4xx and broken streams not retryable", () => {
    const issues = [{ msg: "Field required", loc: ["body", "sid"] }];
    expect(asCallError(mapRobocodersError(new ValidationError("invalid", issues), context))).toMatchObject({
      statusCode: 422,
      isRetryable: false,
    });
    expect(asCallError(mapRobocodersError(new AuthenticationError("no"), context)).isRetryable).toBe(false);
    expect(
      asCallError(mapRobocodersError(new StreamError("cut", "stream_truncated"), context)).isRetryable,
    ).toBe(false);
  });

  it("never retries once output was received", () => {
    expect(
      asCallError(mapRobocodersError(new APIConnectionError("reset"), { ...context, afterOutput: true }))
        .isRetryable,
    ).toBe(false);
  });

  it("keeps the token out of the message and body", () => {
    const error = asCallError(
      mapRobocodersError(
        new AuthenticationError(`bad Bearer ${TOKEN}`, 401, { body: { token: TOKEN } }),
        context,
      ),
    );
    expect(JSON.stringify({ m: error.message, b: error.responseBody })).not.toContain(TOKEN);
  });

  it("maps an unknown agent to NoSuchModelError naming the valid ones", () => {
    const error = mapRobocodersError(
      new ModelNotSupportedError("gpt-4", ["GeneralCodingAgent", "RepoAgent"]),
      context,
    );
    expect(NoSuchModelError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({
      modelId: "gpt-4",
      message: expect.stringContaining("GeneralCodingAgent, RepoAgent"),
    });
  });

  it("turns aborts into AbortError or the signal's reason", () => {
    const mapped = mapRobocodersError(new APIUserAbortError(), context);
    expect(mapped).toBeInstanceOf(DOMException);
    expect(mapped).toMatchObject({ name: "AbortError" });
    const controller = new AbortController();
    const reason = new Error("stop");
    controller.abort(reason);
    expect(
      mapRobocodersError(new APIConnectionError("x"), { ...context, abortSignal: controller.signal }),
    ).toBe(reason);
  });

  it("passes other errors through", () => {
    const error = new InvalidArgumentError("bad");
    expect(mapRobocodersError(error, context)).toBe(error);
  });
});
