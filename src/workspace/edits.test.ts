import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { contentAfter, splitLines, utf8Length } from "./edits.js";

describe("contentAfter", () => {
  it("takes a write's content as the whole file", () => {
    expect(contentAfter("write", { content: "x\n" }, "old")).toBe("x\n");
    expect(contentAfter("write", { content: "" }, "old")).toBe("");
    expect(contentAfter("write", {}, "old")).toBeUndefined();
  });

  it("applies the editor tool's create, str_replace and insert", () => {
    expect(contentAfter("edit", { command: "create", file_text: "new\n" }, undefined)).toBe("new\n");
    expect(contentAfter("edit", { command: "str_replace", old_str: "b", new_str: "B" }, "a\nb\nc\n")).toBe(
      "a\nB\nc\n",
    );
    expect(contentAfter("edit", { command: "str_replace", old_str: "b\n" }, "a\nb\nc\n")).toBe("a\nc\n");
    // Not found, found twice, or the file unknown: unknown.
    expect(
      contentAfter("edit", { command: "str_replace", old_str: "z", new_str: "" }, "a\n"),
    ).toBeUndefined();
    expect(
      contentAfter("edit", { command: "str_replace", old_str: "a", new_str: "" }, "a a"),
    ).toBeUndefined();
    expect(
      contentAfter("edit", { command: "str_replace", old_str: "a", new_str: "" }, undefined),
    ).toBeUndefined();
    expect(contentAfter("edit", { command: "insert", insert_line: 0, new_str: "top" }, "a\nb\n")).toBe(
      "top\na\nb\n",
    );
    expect(contentAfter("edit", { command: "insert", insert_line: 1, new_str: "mid\n" }, "a\nb\n")).toBe(
      "a\nmid\nb\n",
    );
    expect(contentAfter("edit", { command: "insert", insert_line: 2, new_str: "end" }, "a\nb")).toBe(
      "a\nb\nend",
    );
    expect(contentAfter("edit", { command: "insert", insert_line: 5, new_str: "x" }, "a\n")).toBeUndefined();
    expect(contentAfter("edit", { command: "undo_edit" }, "a\n")).toBeUndefined();
  });

  it("replaces a line range with the edit's content", () => {
    const before = "1\n2\n3\n4\n";
    expect(contentAfter("edit", { content: "all\n", start: 1, end: -1 }, undefined)).toBe("all\n");
    expect(contentAfter("edit", { content: "all\n", start: 0, end: -1 }, before)).toBe("all\n");
    expect(contentAfter("edit", { content: "two\nthree", start: 2, end: 3 }, before)).toBe(
      "1\ntwo\nthree\n4\n",
    );
    expect(contentAfter("edit", { content: "tail\n", start: 3, end: -1 }, before)).toBe("1\n2\ntail\n");
    expect(contentAfter("edit", { content: "x", start: 2, end: 3 }, undefined)).toBeUndefined();
    expect(contentAfter("edit", { content: "x", start: 3, end: 9 }, before)).toBeUndefined();
  });
});

describe("splitLines and utf8Length", () => {
  it("split lines keeping their breaks, and rejoin to the text", () => {
    expect(splitLines("a\nb")).toEqual(["a\n", "b"]);
    expect(splitLines("")).toEqual([]);
    fc.assert(
      fc.property(fc.string(), (t) => {
        expect(splitLines(t).join("")).toBe(t);
      }),
    );
  });

  it("counts UTF-8 bytes as TextEncoder does", () => {
    const encoder = new TextEncoder();
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (t) => {
        expect(utf8Length(t)).toBe(encoder.encode(t).length);
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(
        fc.string({ unit: fc.integer({ min: 0xd7f0, max: 0xe010 }).map((c) => String.fromCharCode(c)) }),
        (t) => {
          expect(utf8Length(t)).toBe(encoder.encode(t).length);
        },
      ),
    );
  });
});
