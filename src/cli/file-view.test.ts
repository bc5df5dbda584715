import pc from "picocolors";
import { describe, expect, it } from "vitest";
import { toEvent } from "../core/events.js";
import { WorkspaceTracker } from "../workspace/index.js";
import { renderDiff, renderFileContent, renderFileVersion } from "./file-view.js";
import { stripStyles } from "./terminal-text.js";

const colours = pc.createColors(true);

function versions(...contents: string[]) {
  const tracker = new WorkspaceTracker();
  contents.forEach((content, i) => {
    tracker.apply(toEvent({ id: i + 1, action: "write", args: { path: "/workspace/app/main.py", content } }));
  });
  const file = tracker.file("/workspace/app/main.py");
  if (file === undefined) throw new Error("not tracked");
  return file;
}

describe("file views", () => {
  it("prints a new file with line numbers and highlighting", () => {
    const file = versions("def f():\n    return 1\n");
    const version = file.versions[0];
    if (version === undefined) throw new Error("no version");
    const out = renderFileVersion(file, version, { palette: colours });
    expect(out).toContain(colours.magenta("def"));
    expect(stripStyles(out)).toBe("✎ app/main.py (22 B, new)\n 1 │ def f():\n 2 │     return 1\n");
  });

  it("prints a rewrite as a coloured diff with its line counts", () => {
    const file = versions("a\nb\n", "a\nc\n");
    const version = file.versions[1];
    if (version === undefined) throw new Error("no version");
    const out = renderFileVersion(file, version, { palette: colours });
    expect(out).toContain(colours.red("-b"));
    expect(out).toContain(colours.green("+c"));
    expect(out).toContain(colours.cyan("@@ -1,2 +1,2 @@"));
    expect(stripStyles(out)).toBe(
      "✎ app/main.py (4 B, +1 −1)\n--- a/app/main.py\n+++ b/app/main.py\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n",
    );
    const same = versions("x\n", "x\n");
    const unchanged = same.versions[1];
    if (unchanged === undefined) throw new Error("no version");
    expect(renderFileVersion(same, unchanged)).toBe("✎ app/main.py (2 B, +0 −0)\n  (no change)\n");
  });

  it("notes unknown contents and failed changes", () => {
    const tracker = new WorkspaceTracker();
    tracker.apply(toEvent({ id: 1, action: "edit", args: { path: "x.py", content: "z", start: 4, end: 5 } }));
    tracker.apply(toEvent({ id: 2, action: "write", args: { path: "y.py", content: "z" } }));
    tracker.apply(toEvent({ id: 3, cause: 2, observation: "error", content: "disk full" }));
    const [x, y] = tracker.files();
    expect(renderFileVersion(x!, x!.versions[0]!)).toBe("✎ x.py (new)\n  (the new content is not known)\n");
    expect(renderFileVersion(y!, y!.versions[0]!)).toBe("✎ y.py (1 B, new, failed)\n  disk full\n");
  });

  it("cuts long files and diffs, makes control characters visible", () => {
    expect(renderFileContent("a.txt", "1\n2\n3\n4\n", { maxLines: 2 })).toBe(
      " 1 │ 1\n 2 │ 2\n  … 2 more lines\n",
    );
    expect(renderFileContent("a.txt", "")).toBe("  (empty file)\n");
    expect(renderFileContent("a.txt", "\x1b[2J")).toBe(" 1 │ ␛[2J\n");
    expect(renderDiff("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-\x1b]0;t\x07\n+ok\n", { maxLines: 4 })).toBe(
      "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-␛]0;t␇\n… 1 more lines\n",
    );
  });
});
