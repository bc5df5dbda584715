import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../core/errors.js";
import { InsecureBindError, isLoopbackHost } from "./bind.js";

describe("isLoopbackHost", () => {
  it.each([
    "127.0.0.1",
    "127.1.2.3",
    "localhost",
    "LOCALHOST",
    "::1",
    "[::1]",
    "::ffff:127.0.0.1",
    "app.localhost",
  ])("%s is loopback", (host) => expect(isLoopbackHost(host)).toBe(true));
  it.each(["0.0.0.0", "::", "192.168.1.10", "example.com", "128.0.0.1", "127.0.0.1.example.com"])(
    "%s is not loopback",
    (host) => expect(isLoopbackHost(host)).toBe(false),
  );
});

describe("InsecureBindError", () => {
  it("is an invalid_argument error naming the fix", () => {
    const error = new InsecureBindError("0.0.0.0");
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.code).toBe("invalid_argument");
    expect(error.message).toMatch(/0\.0\.0\.0.*--api-key.*ROBOCODERS_SERVER_API_KEY.*--force/);
  });
});
