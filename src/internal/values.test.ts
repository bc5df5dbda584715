import { describe, expect, it } from "vitest";
import { errorCode, isRecord } from "./values.js";

describe("isRecord", () => {
  it("accepts objects, rejects null, arrays and primitives", () => {
    expect(isRecord({})).toBe(true);
    expect(isRecord(JSON.parse('{"a":1}'))).toBe(true);
    expect(isRecord(new Error("x"))).toBe(true);
    for (const value of [null, undefined, [], [1], "x", 1, true]) expect(isRecord(value)).toBe(false);
  });
});

describe("errorCode", () => {
  it("reads the code of a system error", async () => {
    const { readFile } = await import("node:fs/promises");
    const error = await readFile("/nonexistent/robocoders").catch((e: unknown) => e);
    expect(errorCode(error)).toBe("ENOENT");
  });

  it("is undefined without a string code", () => {
    expect(errorCode(new Error("plain"))).toBeUndefined();
    expect(errorCode(Object.assign(new Error("numeric"), { code: 42 }))).toBeUndefined();
    expect(errorCode("ENOENT")).toBeUndefined();
    expect(errorCode(null)).toBeUndefined();
    expect(errorCode({ code: "EEXIST" })).toBe("EEXIST");
  });
});
