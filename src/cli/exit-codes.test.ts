import { describe, expect, it } from "vitest";
import {
  APIConnectionError,
  APITimeoutError,
  APIUserAbortError,
  AuthenticationError,
  InvalidArgumentError,
  MissingRequirementsError,
  ModelNotSupportedError,
  NotFoundError,
  RateLimitError,
  ServerError,
  StoreUnavailableError,
  StreamError,
  UnexpectedStatusError,
  ValidationError,
} from "../core/errors.js";
import { ExitCode, errorLine, exitCodeFor, InterruptedError, UsageError } from "./exit-codes.js";

const JWT =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3OC1hYmNkIiwiZXhwIjo0MTAyNDQ0ODAwfQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ";

describe("exitCodeFor", () => {
  const cases: Array<[string, unknown, number]> = [
    ["usage", new UsageError("bad"), ExitCode.Usage],
    ["unknown agent", new ModelNotSupportedError("Nope", ["A", "B"]), ExitCode.Usage],
    ["invalid argument", new InvalidArgumentError("bad url"), ExitCode.Usage],
    ["401", new AuthenticationError("Could not validate credentials"), ExitCode.Authentication],
    ["403", new AuthenticationError("Not authenticated", 403), ExitCode.Authentication],
    ["404", new NotFoundError("Session not found"), ExitCode.Rejected],
    ["422", new ValidationError("Field required", [{ msg: "Field required" }]), ExitCode.Rejected],
    ["429", new RateLimitError("Too Many Requests", 2000), ExitCode.Rejected],
    ["418", new UnexpectedStatusError("teapot", 418), ExitCode.Rejected],
    ["500", new ServerError("Internal Server Error", 500), ExitCode.Network],
    ["503", new ServerError("Service Unavailable", 503), ExitCode.Network],
    ["3xx", new UnexpectedStatusError("moved", 302), ExitCode.Network],
    ["connection", new APIConnectionError("ECONNREFUSED"), ExitCode.Network],
    ["timeout", new APITimeoutError("total", 1000), ExitCode.Network],
    ["truncated", new StreamError("cut", "stream_truncated"), ExitCode.Network],
    ["line too long", new StreamError("long", "line_too_long"), ExitCode.Network],
    ["store unavailable", new StoreUnavailableError("Cannot reach the store"), ExitCode.Network],
    ["abort", new APIUserAbortError(), ExitCode.Interrupted],
    ["interrupt", new InterruptedError(), ExitCode.Interrupted],
    ["missing requirement", new MissingRequirementsError("no fetch"), ExitCode.Unexpected],
    ["plain error", new TypeError("x is undefined"), ExitCode.Unexpected],
    ["non-error", "weird", ExitCode.Unexpected],
  ];
  it.each(cases)("%s", (_name, error, code) => {
    expect(exitCodeFor(error)).toBe(code);
  });
});

describe("errorLine", () => {
  it("is one line starting with robocoders:", () => {
    const line = errorLine(
      new ServerError("POST /chat failed with a server error (500): Internal\nServer Error", 500),
    );
    expect(line).toMatch(/^robocoders: /);
    expect(line).not.toContain("\n");
    expect(line).toContain("500");
    // Said once, not twice.
    expect(line.split("(500)")).toHaveLength(2);
    expect(line).toContain("Try again later");
  });

  it("lists the valid agents for an unknown agent", () => {
    const line = errorLine(
      new ModelNotSupportedError("Nope", ["GeneralCodingAgent", "RepoAgent", "FrontEndAgent"]),
    );
    expect(line).toContain('Unknown agent "Nope"');
    expect(line).toContain("GeneralCodingAgent, RepoAgent, FrontEndAgent");
  });

  it("shows the server's 422 messages", () => {
    const error = new ValidationError("POST /chat was rejected as invalid (422)", [
      { type: "missing", loc: ["body", "sid"], msg: "Field required" },
      { msg: "Input should be a valid string" },
    ]);
    const line = errorLine(error);
    expect(line).toContain("422");
    expect(line).toContain("Field required");
    expect(line).toContain("Input should be a valid string");
  });

  it("tells what to do after an authentication failure", () => {
    expect(errorLine(new AuthenticationError("Could not validate credentials"))).toContain(
      "robocoders login",
    );
  });

  it("redacts tokens and Bearer values", () => {
    const line = errorLine(new Error(`request failed with Authorization: Bearer ${JWT} and token ${JWT}`));
    expect(line).not.toContain(JWT);
    expect(line).not.toContain(JWT.slice(40));
    expect(line).toContain("[REDACTED]");
  });

  it("redacts extra secrets", () => {
    expect(errorLine(new Error("key sk-very-secret-key leaked"), ["sk-very-secret-key"])).not.toContain(
      "sk-very-secret-key",
    );
  });

  it("says interrupted without noise", () => {
    expect(errorLine(new InterruptedError())).toBe("robocoders: Interrupted.");
  });
});
