import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyUnifiedDiff, classifyDiff, diffStats, unifiedDiff } from "./diff.js";

/** Texts made of few distinct lines (so diffs have real common parts), with or without a final newline. */
const text = fc
  .tuple(
    fc.array(fc.constantFrom("a", "b", "c", "", "  x", "-- y", "++ z", "\\ n", "é", "😀", "a\r"), {
      maxLength: 30,
    }),
    fc.boolean(),
  )
  .map(([lines, finalNewline]) => lines.join("\n") + (finalNewline && lines.length > 0 ? "\n" : ""));

describe("unifiedDiff", () => {
  it("writes a git-style diff with a/ and b/ names and a missing-newline note", () => {
    expect(unifiedDiff("/app/x.py", "a\nb\nc\n", "a\nB\nc\nd")).toBe(
      "--- a/app/x.py\n+++ b/app/x.py\n@@ -1,3 +1,4 @@\n a\n-b\n+B\n c\n+d\n\\ No newline at end of file\n",
    );
  });

  it("diffs a created file against /dev/null", () => {
    expect(unifiedDiff("x.py", "", "hello\n", { created: true })).toBe(
      "--- /dev/null\n+++ b/x.py\n@@ -0,0 +1,1 @@\n+hello\n",
    );
  });

  it("has no hunk for equal contents", () => {
    expect(unifiedDiff("x", "same\n", "same\n")).toBe("--- a/x\n+++ b/x\n");
  });

  it("gives up past maxEdits changed lines", () => {
    expect(unifiedDiff("x", "x\n".repeat(50), "y\n".repeat(50), { maxEdits: 10 })).toBeUndefined();
    expect(unifiedDiff("x", "x\n".repeat(50), "y\n".repeat(50))).toBeDefined();
  });

  it("honours the context size", () => {
    const before = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
    const after = before.replace("5", "five");
    expect(unifiedDiff("n", before, after, { context: 1 })).toBe(
      "--- a/n\n+++ b/n\n@@ -4,3 +4,3 @@\n 4\n-5\n+five\n 6\n",
    );
  });

  it("round-trips: applying the diff to the old text gives the new text", () => {
    fc.assert(
      fc.property(text, text, fc.boolean(), (before, after, created) => {
        const diff = unifiedDiff("dir/file.txt", created ? "" : before, after, { created });
        expect(diff).toBeDefined();
        expect(applyUnifiedDiff(created ? "" : before, diff ?? "")).toBe(after);
      }),
      { numRuns: 1000 },
    );
  });

  it("classifies every line so that the hunks rebuild both texts", () => {
    fc.assert(
      fc.property(text, text, (before, after) => {
        const diff = unifiedDiff("f", before, after, { context: Number.MAX_SAFE_INTEGER }) ?? "";
        const lines = classifyDiff(diff);
        expect(lines.slice(0, 2).map((l) => l.kind)).toEqual(["header", "header"]);
        const body = (keep: string) =>
          lines.filter((l) => l.kind === "context" || l.kind === keep).map((l) => l.text.slice(1));
        const count = (t: string) => (t === "" ? 0 : t.split("\n").length - (t.endsWith("\n") ? 1 : 0));
        if (before === after) return;
        expect(body("remove")).toHaveLength(count(before));
        expect(body("add")).toHaveLength(count(after));
        const stats = diffStats(diff);
        expect(stats.added).toBe(lines.filter((l) => l.kind === "add").length);
        expect(stats.removed).toBe(lines.filter((l) => l.kind === "remove").length);
      }),
      { numRuns: 500 },
    );
  });
});

describe("classifyDiff", () => {
  it("keeps a removed line that looks like a header a removal, and reads several files", () => {
    const diff = [
      "--- a/x",
      "+++ b/x",
      "@@ -1,2 +1,2 @@",
      "--- not a header",
      "+++ not a header either",
      " same",
      "\\ No newline at end of file",
      "--- a/y",
      "+++ b/y",
      "@@ -1 +1 @@",
      "-old",
      "+new",
      "",
    ].join("\n");
    expect(classifyDiff(diff).map((l) => l.kind)).toEqual([
      "header",
      "header",
      "hunk",
      "remove",
      "add",
      "context",
      "note",
      "header",
      "header",
      "hunk",
      "remove",
      "add",
    ]);
    expect(diffStats(diff)).toEqual({ added: 2, removed: 2 });
  });
});
