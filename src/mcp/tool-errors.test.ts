import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import {
  APIConnectionError,
  APITimeoutError,
  APIUserAbortError,
  AuthenticationError,
  InvalidArgumentError,
  ModelNotSupportedError,
  NotFoundError,
  RateLimitError,
  ServerError,
  StreamError,
} from "../core/errors.js";
import { toolFailure } from "./tool-errors.js";

const context = { session: "s-1", baseURL: "http://127.0.0.1:9" };

describe("toolFailure", () => {
  it("gives the wait time of a rate limit, rounded up to whole seconds", () => {
    expect(toolFailure(new RateLimitError("429", 1500), context)).toEqual({
      code: "rate_limited",
      retryAfterSeconds: 2,
      text: "Rate limited by the Robocoders service (HTTP 429). Wait 2 seconds, then call the tool again with the same arguments.",
    });
    expect(toolFailure(new RateLimitError("429", 200), context).text).toContain("Wait 1 second,");
    expect(toolFailure(new RateLimitError("429", undefined), context).retryAfterSeconds).toBe(60);
  });

  it("names the unknown session and says how to start a new one", () => {
    const failure = toolFailure(new NotFoundError("Session not found"), context);
    expect(failure.code).toBe("not_found");
    expect(failure.text).toMatch(/^Unknown session: Session s-1 is not known/);
    expect(failure.text).toContain("run_task without the session argument");
  });

  it("reports an unreachable service with its URL, and the other service failures", () => {
    expect(toolFailure(new APIConnectionError("connect ECONNREFUSED"), context).text).toBe(
      "The Robocoders service at http://127.0.0.1:9 is unreachable (connect ECONNREFUSED). Check the network or the configured base URL, then try again.",
    );
    expect(toolFailure(new ServerError("boom", 503), context).text).toContain("HTTP 503");
    expect(toolFailure(new APITimeoutError("idle", 1000), context).code).toBe("timeout");
    expect(toolFailure(new AuthenticationError("no"), context).text).toContain("robocoders login");
    expect(
      toolFailure(new StreamError("cut", "stream_truncated", { eventsDelivered: 4 }), context).text,
    ).toContain("after 4 events");
  });

  it("turns invalid arguments into protocol errors", () => {
    for (const error of [
      new ModelNotSupportedError("x", ["GeneralCodingAgent"]),
      new InvalidArgumentError("bad"),
    ]) {
      let thrown: unknown;
      try {
        toolFailure(error, context);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(McpError);
      expect((thrown as McpError).code).toBe(ErrorCode.InvalidParams);
    }
  });

  it("rethrows a cancellation and errors that are not the library's", () => {
    const abort = new APIUserAbortError();
    expect(() => toolFailure(abort, context)).toThrow(abort);
    const bug = new TypeError("x is undefined");
    expect(() => toolFailure(bug, context)).toThrow(bug);
  });
});
