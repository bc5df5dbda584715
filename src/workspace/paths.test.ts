import * as nodePath from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../core/errors.js";
import { DEFAULT_WORKSPACE_ROOT, normalizeWorkspacePath, toOutputPath } from "./paths.js";

const accepted = (path: string, root?: string) => {
  const result = toOutputPath(path, root === undefined ? {} : { root });
  if (!result.ok) throw new Error(`refused ${path}: ${result.reason}`);
  return result.relative;
};
const reason = (path: string, root?: string) => {
  const result = toOutputPath(path, root === undefined ? {} : { root });
  if (result.ok) throw new Error(`accepted ${path} as ${result.relative}`);
  return result.reason;
};

describe("toOutputPath (the output path rule)", () => {
  it("removes the workspace root from absolute paths", () => {
    expect(DEFAULT_WORKSPACE_ROOT).toBe("/workspace");
    expect(accepted("/workspace/app/main.py")).toBe("app/main.py");
    expect(accepted("/workspace/main.py")).toBe("main.py");
    expect(toOutputPath("/workspace/app/main.py")).toEqual({
      ok: true,
      relative: "app/main.py",
      segments: ["app", "main.py"],
    });
  });

  it("takes relative paths as relative to the root", () => {
    expect(accepted("app/main.py")).toBe("app/main.py");
    expect(accepted("./app/main.py")).toBe("app/main.py");
    expect(accepted(".env")).toBe(".env");
  });

  it("drops repeated slashes and . segments", () => {
    expect(accepted("/workspace//app/./main.py")).toBe("app/main.py");
    expect(accepted("//workspace/app//main.py/")).toBe("app/main.py");
  });

  it("honours another root", () => {
    expect(accepted("/home/agent/x/y.txt", "/home/agent")).toBe("x/y.txt");
    expect(reason("/workspace/y.txt", "/home/agent")).toMatch(/outside the workspace root \/home\/agent/);
    expect(accepted("/a.txt", "/")).toBe("a.txt");
  });

  it("refuses .. anywhere, even when it would stay inside", () => {
    expect(reason("../etc/passwd")).toMatch(/"\.\."/);
    expect(reason("/workspace/../etc/passwd")).toMatch(/"\.\."/);
    expect(reason("/workspace/app/../main.py")).toMatch(/"\.\."/);
    expect(reason("app/..")).toMatch(/"\.\."/);
  });

  it("refuses absolute paths outside the root, including look-alike prefixes", () => {
    expect(reason("/etc/passwd")).toMatch(/outside the workspace root \/workspace/);
    expect(reason("/workspace2/x.py")).toMatch(/outside/);
    expect(reason("/workspacex")).toMatch(/outside/);
    expect(reason("/")).toMatch(/outside/);
  });

  it("refuses the root itself, empty paths, backslashes, drive letters and control characters", () => {
    expect(reason("/workspace")).toMatch(/root, not a file/);
    expect(reason("/workspace/")).toMatch(/root, not a file/);
    expect(reason(".")).toMatch(/root, not a file/);
    expect(reason("")).toMatch(/empty/);
    expect(reason("app\\..\\..\\x")).toMatch(/backslash/);
    expect(reason("C:/Windows/x")).toMatch(/drive letter/);
    expect(reason("/workspace/a\u0000b")).toMatch(/control character/);
    expect(reason("a\nb")).toMatch(/control character/);
  });

  it("refuses names Windows cannot hold", () => {
    expect(reason("app/CON")).toMatch(/reserved on Windows/);
    expect(reason("nul.txt")).toMatch(/reserved on Windows/);
    expect(reason("x/a:b")).toMatch(/reserved character/);
    expect(reason("x/a?b")).toMatch(/reserved character/);
    expect(reason("notes.")).toMatch(/dot or a space/);
    expect(reason("x/y ")).toMatch(/dot or a space/);
    expect(accepted("console.log")).toBe("console.log");
  });

  it("throws for a relative root", () => {
    expect(() => toOutputPath("x", { root: "workspace" })).toThrow(InvalidArgumentError);
    expect(() => toOutputPath("x", { root: "/a/../b" })).toThrow(InvalidArgumentError);
  });

  it("never throws, and what it accepts stays under any folder it is joined to", () => {
    const piece = fc.oneof(
      fc.constantFrom("..", ".", "", "workspace", "/", "\\", "C:", "a", "CON", " ", "~", "\u0000"),
      fc.string({ maxLength: 6 }),
    );
    const path = fc
      .array(piece, { maxLength: 8 })
      .map((parts) => parts.join(fc.sample(fc.constantFrom("/", ""), 1)[0] ?? "/"));
    fc.assert(
      fc.property(
        fc.oneof(
          path,
          fc.string(),
          fc.array(piece).map((p) => `/workspace/${p.join("/")}`),
        ),
        (input) => {
          const result = toOutputPath(input);
          if (!result.ok) {
            expect(result.reason).not.toBe("");
            return;
          }
          expect(result.relative).toBe(result.segments.join("/"));
          expect(result.segments.length).toBeGreaterThan(0);
          for (const segment of result.segments) {
            expect(["", ".", ".."]).not.toContain(segment);
            expect(segment).not.toMatch(/[/\\\0]/);
          }
          for (const base of ["/out", "C:\\out"]) {
            const impl = base.startsWith("/") ? nodePath.posix : nodePath.win32;
            const joined = impl.join(base, ...result.segments);
            const back = impl.relative(base, joined);
            expect(back === ".." || back.startsWith(`..${impl.sep}`)).toBe(false);
            expect(impl.isAbsolute(back)).toBe(false);
            expect(back.split(impl.sep)).toEqual(result.segments);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("maps /workspace/<p> and <p> to the same safe path", () => {
    const name = fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,8}[A-Za-z0-9_-]$/);
    fc.assert(
      fc.property(fc.array(name, { minLength: 1, maxLength: 5 }), (segments) => {
        const relative = segments.join("/");
        expect(accepted(`/workspace/${relative}`)).toBe(relative);
        expect(accepted(relative)).toBe(relative);
        expect(normalizeWorkspacePath(relative)).toBe(`/workspace/${relative}`);
        expect(normalizeWorkspacePath(`/workspace/./${relative}`)).toBe(`/workspace/${relative}`);
      }),
    );
  });
});

describe("normalizeWorkspacePath", () => {
  it("puts relative paths under the root and keeps .. as written", () => {
    expect(normalizeWorkspacePath("app//x.py")).toBe("/workspace/app/x.py");
    expect(normalizeWorkspacePath("/tmp/x")).toBe("/tmp/x");
    expect(normalizeWorkspacePath("/workspace/a/../b")).toBe("/workspace/a/../b");
    expect(normalizeWorkspacePath("x", { root: "/home/u/" })).toBe("/home/u/x");
  });
});
