import { describe, expect, it } from "vitest";
import { InvalidArgumentError, RobocodersError } from "../core/errors.js";
import {
  extractDirectives,
  FaultSpecError,
  faultNames,
  mergeFaults,
  parseFaultRule,
  parseFaultSpec,
  parseSize,
  ruleEndpoints,
} from "./faults.js";

describe("parseFaultSpec", () => {
  it("parses every token", () => {
    expect(
      parseFaultSpec(
        "status=429, retry-after=date; count=2 endpoint=auth+chat tag=x expired-token chunk=7 crlf split-crlf utf8 " +
          "blank-lines no-final-newline malformed non-object nan control error-frame long-line=200KiB silence=5 " +
          "slow-first-byte=6 slow-body=7 cut-mid-line=3 missing-final-chunk verbose",
      ),
    ).toEqual({
      status: 429,
      retryAfter: "date",
      count: 2,
      endpoint: ["auth", "chat"],
      expiredToken: true,
      chunking: { mode: "fixed", size: 7 },
      crlf: true,
      splitCrlf: true,
      rawUtf8: true,
      blankLines: true,
      noFinalNewline: true,
      malformedLines: true,
      nonObjectLines: true,
      nanLines: true,
      controlFrames: true,
      errorFrame: true,
      longLineBytes: 200 * 1024,
      silenceMs: 5,
      firstByteDelayMs: 6,
      bodyDelayMs: 7,
      cutMidLine: 3,
      missingFinalChunk: true,
      verbose: true,
    });
  });

  it("knows the chunk policies, bare statuses and defaults", () => {
    expect(parseFaultSpec("chunk=lines").chunking).toEqual({ mode: "lines" });
    expect(parseFaultSpec("chunk=whole").chunking).toEqual({ mode: "whole" });
    expect(parseFaultSpec("chunk=split").chunking).toEqual({ mode: "split" });
    expect(parseFaultSpec("chunk=random").chunking).toEqual({ mode: "random", seed: 1 });
    expect(parseFaultSpec("chunk=random:42").chunking).toEqual({ mode: "random", seed: 42 });
    expect(parseFaultSpec("503")).toEqual({ status: 503 });
    expect(parseFaultSpec("long-line", 1234).longLineBytes).toBe(1234);
    expect(parseFaultSpec("cut-mid-line").cutMidLine).toBe(true);
    expect(parseFaultSpec("retry-after=30").retryAfter).toBe(30);
    expect(parseFaultSpec("  ")).toEqual({});
  });

  it.each([
    "bogus",
    "status=418",
    "status",
    "chunk=0",
    "chunk=zigzag",
    "count=-1",
    "silence=soon",
    "endpoint=admin",
    "long-line=5 parsecs",
  ])("rejects %j with a clear error", (spec) => {
    expect(() => parseFaultSpec(spec)).toThrow(FaultSpecError);
  });

  it("reports a bad spec as a RobocodersError with code invalid_argument", () => {
    const error = (() => {
      try {
        parseFaultSpec("status=503 bogus=1");
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(FaultSpecError);
    expect(error).toBeInstanceOf(RobocodersError);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({ name: "FaultSpecError", code: "invalid_argument" });
    expect((error as Error).message).toBe('unknown fault "bogus"');
  });

  it("parses sizes", () => {
    expect(parseSize("4MiB")).toBe(4 * 1024 * 1024);
    expect(parseSize("1.5k")).toBe(1536);
    expect(parseSize("2MB")).toBe(2_000_000);
    expect(parseSize("100")).toBe(100);
  });
});

describe("extractDirectives", () => {
  it("removes fault and verbose directives from the prompt", () => {
    expect(extractDirectives("fix it [[fault:chunk=1, crlf]] please [[verbose]] [[fault:nan]]")).toEqual({
      specs: ["chunk=1, crlf", "nan"],
      verbose: true,
      prompt: "fix it please",
    });
    expect(extractDirectives("plain")).toEqual({ specs: [], verbose: false, prompt: "plain" });
  });
});

describe("rule scope and merging", () => {
  it("defaults the endpoints by kind of fault", () => {
    expect(ruleEndpoints({ status: 503 })).toContain("auth");
    expect(ruleEndpoints({ status: 503 })).toHaveLength(6);
    expect(ruleEndpoints({ expiredToken: true })).toEqual(["auth"]);
    expect(ruleEndpoints({ crlf: true })).toEqual(["chat"]);
    expect(ruleEndpoints({ crlf: true, endpoint: "auth" })).toEqual(["auth"]);
  });

  it("merges later over earlier and names what it merged", () => {
    const merged = mergeFaults([{ silenceMs: 1, crlf: true, count: 3 }, { silenceMs: 2 }]);
    expect(merged).toEqual({ silenceMs: 2, crlf: true });
    expect(faultNames({ ...merged, status: 500, chunking: { mode: "fixed", size: 1 } })).toEqual([
      "status:500",
      "chunk:fixed",
      "crlf",
      "silence",
    ]);
  });
});

describe("script shapes", () => {
  it("parses ask-again (default 1) and text-after-ask, in specs and rules", () => {
    expect(parseFaultSpec("ask-again")).toEqual({ askAgain: 1 });
    expect(parseFaultSpec("ask-again=3, text-after-ask")).toEqual({ askAgain: 3, textAfterAsk: true });
    expect(() => parseFaultSpec("ask-again=many")).toThrow(FaultSpecError);
    expect(parseFaultRule({ askAgain: 2, textAfterAsk: true })).toEqual({ askAgain: 2, textAfterAsk: true });
    expect(ruleEndpoints(parseFaultSpec("ask-again"))).toEqual(["chat"]);
  });

  it("parses write=<path> (repeatable, in order) and markdown, in specs and rules", () => {
    expect(parseFaultSpec("write=app/x.py, write=../y.py write=app/x.py markdown")).toEqual({
      writes: ["app/x.py", "../y.py", "app/x.py"],
      markdown: true,
    });
    expect(() => parseFaultSpec("write")).toThrow(FaultSpecError);
    expect(() => parseFaultSpec("write=")).toThrow(FaultSpecError);
    expect(parseFaultRule({ writes: ["/etc/x"], markdown: true })).toEqual({
      writes: ["/etc/x"],
      markdown: true,
    });
    expect(() => parseFaultRule({ writes: "a.py" })).toThrow(FaultSpecError);
    expect(() => parseFaultRule({ writes: [""] })).toThrow(FaultSpecError);
    expect(faultNames({ writes: ["a"], markdown: true })).toEqual(["markdown", "write"]);
  });

  it("names them, except ask-again=0", () => {
    expect(faultNames({ askAgain: 2, textAfterAsk: true })).toEqual(["text-after-ask", "ask-again"]);
    expect(faultNames({ askAgain: 0 })).toEqual([]);
  });
});

describe("parseFaultRule", () => {
  it("accepts every field of a rule as JSON", () => {
    const rule = {
      status: 429,
      retryAfter: "date",
      count: 2,
      endpoint: ["auth", "chat"],
      expiredToken: true,
      chunking: { mode: "random", seed: 3, min: 1, max: 9 },
      crlf: true,
      blankLines: true,
      longLineBytes: 4096,
      cutMidLine: 3,
      silenceMs: 0,
      verbose: false,
    };
    expect(parseFaultRule(rule)).toEqual(rule);
    expect(parseFaultRule({ endpoint: "chat", chunking: { mode: "fixed", size: 1 } })).toEqual({
      endpoint: ["chat"],
      chunking: { mode: "fixed", size: 1 },
    });
    expect(parseFaultRule({ crlf: null })).toEqual({});
  });

  it.each([
    [[], "a fault rule must be a JSON object"],
    [{ status: "503" }, '"status" must be a number'],
    [{ status: 418 }, '"status" must be one of'],
    [{ count: -1 }, '"count" must be a non-negative integer'],
    [{ silenceMs: 1.5 }, '"silenceMs" must be a non-negative integer'],
    [{ retryAfter: "later" }, '"retryAfter"'],
    [{ cutMidLine: "half" }, '"cutMidLine"'],
    [{ chunking: { mode: "fixed", size: 0 } }, '"chunking"'],
    [{ chunking: { mode: "lines", size: 3 } }, '"chunking"'],
    [{ endpoint: ["chat", "admin"] }, 'unknown endpoint "admin"'],
    [{ crlf: 1 }, '"crlf" must be true or false'],
    [{ teleport: true }, 'unknown fault rule field "teleport"'],
  ])("rejects %j", (value, message) => {
    expect(() => parseFaultRule(value)).toThrow(FaultSpecError);
    expect(() => parseFaultRule(value)).toThrow(message);
  });
});
