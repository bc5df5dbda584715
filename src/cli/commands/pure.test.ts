import { describe, expect, it } from "vitest";
import { colorEnabled } from "../context.js";
import { isGitHubUsername, relativeTime, statusJson, statusLines } from "./account.js";
import { chatOptionsFrom, outputMode, separatorAfter } from "./chat.js";

describe("outputMode", () => {
  it("prefers --json, then --raw, then the terminal", () => {
    expect(outputMode({ json: true }, true)).toBe("json");
    expect(outputMode({ raw: true }, true)).toBe("raw");
    expect(outputMode({ raw: true }, false)).toBe("raw");
    expect(outputMode({}, true)).toBe("tty");
    expect(outputMode({ json: false }, false)).toBe("text");
    expect(outputMode({}, undefined)).toBe("text");
  });
});

describe("chatOptionsFrom", () => {
  it("starts a new session unless -c or --session says otherwise", () => {
    expect(chatOptionsFrom({ agent: "RepoAgent", session: "s1" })).toEqual({ agent: "RepoAgent", sid: "s1" });
    expect(chatOptionsFrom({ maxContinues: 3 })).toEqual({ newSession: true, maxContinues: 3 });
    expect(chatOptionsFrom({ autoContinue: false, maxContinues: 3 })).toEqual({
      newSession: true,
      maxContinues: 0,
    });
    expect(chatOptionsFrom({ continue: true })).toEqual({});
  });
});

describe("separatorAfter", () => {
  it("puts one blank line between texts, none at the start", () => {
    expect(separatorAfter("")).toBe("");
    expect(separatorAfter("a")).toBe("\n\n");
    expect(separatorAfter("a\n")).toBe("\n");
    expect(separatorAfter("\n\n")).toBe("");
  });
});

describe("colorEnabled", () => {
  it("follows --no-color, NO_COLOR, FORCE_COLOR and the terminal", () => {
    expect(colorEnabled({ isTTY: true }, {}, undefined)).toBe(true);
    expect(colorEnabled({ isTTY: true }, {}, false)).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: "1" }, true)).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: "" }, true)).toBe(true);
    expect(colorEnabled({ isTTY: false }, {}, true)).toBe(false);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: "1" }, true)).toBe(true);
    expect(colorEnabled({ isTTY: true }, { TERM: "dumb" }, true)).toBe(false);
  });
});

describe("account helpers", () => {
  const now = new Date("2025-01-01T00:00:00Z");
  it("says durations in words", () => {
    expect(relativeTime(new Date("2025-12-31T00:00:00Z"), now)).toBe("in 364 days");
    expect(relativeTime(new Date("2025-01-01T05:30:00Z"), now)).toBe("in 5 hours");
    expect(relativeTime(new Date("2024-12-30T00:00:00Z"), now)).toBe("2 days ago");
    expect(relativeTime(new Date("2025-01-01T00:00:10Z"), now)).toBe("in less than a minute");
  });

  it("describes the status without a token", () => {
    const status = {
      cacheFile: "/home/u/.cache/robocoders/robocoders.json",
      tokenSource: "cache" as const,
      tokenExpiresAt: new Date("2025-12-31T00:00:00Z"),
      tokenExpired: false,
      sid: "0b5a",
    };
    const lines = Object.fromEntries(statusLines(status, "https://api.robocoders.ai", now));
    expect(lines.Cache).toBe(status.cacheFile);
    expect(lines.Token).toBe("cached, expires 2025-12-31T00:00:00.000Z (in 364 days)");
    expect(lines.Session).toBe("0b5a");
    expect(statusJson(status, "u")).toEqual({
      baseURL: "u",
      cacheFile: status.cacheFile,
      tokenSource: "cache",
      tokenExpiresAt: "2025-12-31T00:00:00.000Z",
      tokenExpired: false,
      sid: "0b5a",
    });
    const none = Object.fromEntries(
      statusLines(
        {
          cacheFile: undefined,
          tokenSource: "none",
          tokenExpiresAt: undefined,
          tokenExpired: false,
          sid: undefined,
        },
        "u",
        now,
      ),
    );
    expect(none.Token).toMatch(/^none/);
    expect(none.Cache).toBe("disabled");
  });

  it("validates GitHub user names", () => {
    for (const ok of ["octocat", "a", "a-b", "A1-2b", "x".repeat(39)])
      expect(isGitHubUsername(ok)).toBe(true);
    for (const bad of ["", "-a", "a-", "a--b", "a_b", "a b", "x".repeat(40), "../x"]) {
      expect(isGitHubUsername(bad)).toBe(false);
    }
  });
});
