import { describe, expect, it } from "vitest";
import {
  APIConnectionError,
  APITimeoutError,
  AuthenticationError,
  ModelNotSupportedError,
  NotFoundError,
  RateLimitError,
  ServerError,
  StoreUnavailableError,
  StreamError,
  UnexpectedStatusError,
  ValidationError,
} from "../core/errors.js";
import { GatewayError, toGatewayError } from "./openai-error.js";

describe("toGatewayError", () => {
  it.each([
    [new ModelNotSupportedError("gpt-4", ["GeneralCodingAgent"]), 404, "model_not_found"],
    [
      new ValidationError("Field required (body.sid)", [{ msg: "Field required" }]),
      400,
      "upstream_validation_failed",
    ],
    [new NotFoundError("Session not found"), 502, "upstream_not_found"],
    [new RateLimitError("Too Many Requests", 2500), 429, "rate_limit_exceeded"],
    [new AuthenticationError("Could not validate credentials"), 502, "upstream_authentication_failed"],
    [new ServerError("Internal Server Error", 500), 502, "upstream_error"],
    [new ServerError("Bad Gateway", 502), 502, "upstream_error"],
    [new ServerError("Service Unavailable", 503), 503, "upstream_unavailable"],
    [new ServerError("Gateway Timeout", 504), 504, "upstream_timeout"],
    [new UnexpectedStatusError("I'm a teapot", 418), 502, "upstream_error"],
    [new APIConnectionError("ECONNREFUSED"), 502, "upstream_unreachable"],
    [new APITimeoutError("idle", 1000), 504, "upstream_timeout"],
    [new StreamError("cut", "stream_truncated"), 502, "upstream_error"],
    [new Error("boom"), 500, "internal_error"],
  ])("maps %s", (error, status, code) => {
    const mapped = toGatewayError(error);
    expect(mapped.status).toBe(status);
    expect(mapped.openaiCode).toBe(code);
    const body = mapped.toJSON();
    expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
  });

  it("keeps the upstream 422 details in the message", () => {
    const mapped = toGatewayError(
      new ValidationError("body.prompt: Field required", [{ msg: "Field required" }]),
    );
    expect(mapped.message).toContain("body.prompt: Field required");
  });

  it("gives 429 a Retry-After in whole seconds, rounded up", () => {
    expect(toGatewayError(new RateLimitError("slow down", 2500)).headers).toEqual({ "Retry-After": "3" });
    expect(toGatewayError(new RateLimitError("slow down", undefined)).headers).toEqual({});
  });

  it("answers a lost shared store with 503 store_unavailable and a Retry-After, without the store's address", () => {
    const mapped = toGatewayError(
      new StoreUnavailableError("The store at redis://:***@10.0.0.5:6379 is unavailable: ECONNREFUSED"),
    );
    expect(mapped.status).toBe(503);
    expect(mapped.openaiCode).toBe("store_unavailable");
    expect(mapped.headers).toEqual({ "Retry-After": "1" });
    expect(mapped.message).not.toContain("10.0.0.5");
  });

  it("reports a pinned session the service does not know as 404", () => {
    const mapped = toGatewayError(new NotFoundError("Session not found"), { pinnedSession: true });
    expect(mapped.status).toBe(404);
    expect(mapped.openaiCode).toBe("session_not_found");
  });

  it("redacts tokens from messages and hides unknown errors", () => {
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
    expect(toGatewayError(new ServerError(`bad ${jwt}`, 500)).message).not.toContain(jwt);
    expect(toGatewayError(new Error(`secret ${jwt}`)).message).toBe("Internal gateway error");
  });

  it("passes GatewayErrors through", () => {
    const error = new GatewayError(413, "too big", { type: "invalid_request_error" });
    expect(toGatewayError(error)).toBe(error);
  });
});
