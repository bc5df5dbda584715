import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../core/errors.js";
import { type RawEvent, toEvent } from "../core/events.js";
import { applyUnifiedDiff } from "./diff.js";
import { WorkspaceTracker } from "./tracker.js";

const write = (id: number, path: string, content: string): RawEvent => ({
  id,
  source: "agent",
  action: "write",
  message: `Writing file: ${path}`,
  args: { path, content, start: 0, end: -1, thought: "" },
});
const observed = (
  id: number,
  cause: number | undefined,
  observation: string,
  extras: RawEvent = {},
  content = "",
) => ({
  id,
  ...(cause === undefined ? {} : { cause }),
  source: "agent",
  observation,
  message: "",
  content,
  extras,
});
const run = (id: number, command: string): RawEvent => ({
  id,
  source: "agent",
  action: "run",
  message: `Running command: ${command}`,
  args: { command, thought: "Let me run it" },
});

function track(events: RawEvent[], tracker = new WorkspaceTracker()) {
  const updates = events.map((raw) => tracker.apply(toEvent(raw)));
  return { tracker, updates };
}

describe("WorkspaceTracker: files", () => {
  it("records a first write as a created file with a diff from /dev/null", () => {
    const { tracker, updates } = track([
      write(1, "/workspace/app/main.py", "print('hi')\n"),
      observed(2, 1, "write", { path: "/workspace/app/main.py" }),
    ]);
    const [file] = tracker.files();
    expect(file?.path).toBe("/workspace/app/main.py");
    expect(file?.output).toEqual({ ok: true, relative: "app/main.py", segments: ["app", "main.py"] });
    expect(file?.content).toBe("print('hi')\n");
    expect(file?.size).toBe(12);
    expect(file?.versions).toHaveLength(1);
    const version = file?.versions[0];
    expect(version).toMatchObject({
      number: 1,
      kind: "write",
      created: true,
      previous: undefined,
      status: "done",
      size: 12,
    });
    expect(version?.diff).toBe("--- /dev/null\n+++ b/app/main.py\n@@ -0,0 +1,1 @@\n+print('hi')\n");
    expect(version?.action.id).toBe(1);
    expect(version?.observation?.id).toBe(2);
    expect(updates[0]?.type).toBe("file");
    expect(updates[1]).toEqual(updates[0]);
  });

  it("diffs a rewrite against the previous version and keeps every version", () => {
    const { tracker } = track([
      write(1, "/workspace/a.txt", "one\ntwo\n"),
      observed(2, 1, "write"),
      write(3, "a.txt", "one\n2\n"),
      observed(4, 3, "write"),
    ]);
    const file = tracker.file("/workspace/./a.txt");
    expect(file?.versions.map((v) => v.number)).toEqual([1, 2]);
    const second = file?.versions[1];
    expect(second).toMatchObject({
      kind: "write",
      created: false,
      previous: "one\ntwo\n",
      content: "one\n2\n",
    });
    expect(second?.diff).toBe("--- a/a.txt\n+++ b/a.txt\n@@ -1,2 +1,2 @@\n one\n-two\n+2\n");
    expect(applyUnifiedDiff(second?.previous ?? "", second?.diff ?? "")).toBe("one\n2\n");
    expect(file?.content).toBe("one\n2\n");
  });

  it("applies str_replace edits and uses the observation's new_content when it has one", () => {
    const { tracker } = track([
      write(1, "/workspace/x.py", "a = 1\nb = 2\n"),
      observed(2, 1, "write"),
      {
        id: 3,
        action: "edit",
        args: { path: "/workspace/x.py", command: "str_replace", old_str: "b = 2", new_str: "b = 3" },
      },
      observed(4, 3, "edit"),
      {
        id: 5,
        action: "edit",
        args: { path: "/workspace/x.py", command: "str_replace", old_str: "nope", new_str: "" },
      },
      observed(6, 5, "edit", {
        path: "/workspace/x.py",
        old_content: "a = 1\nb = 3\n",
        new_content: "a = 0\nb = 3\n",
      }),
    ]);
    const file = tracker.file("/workspace/x.py");
    expect(file?.versions[1]?.content).toBe("a = 1\nb = 3\n");
    expect(file?.versions[1]?.diff).toContain("-b = 2\n+b = 3\n");
    expect(file?.versions[2]?.content).toBe("a = 0\nb = 3\n");
    expect(file?.versions[2]?.diff).toContain("-a = 1\n+a = 0\n");
    expect(file?.content).toBe("a = 0\nb = 3\n");
  });

  it("leaves the content of an edit of an unknown file unknown, without a diff", () => {
    const { tracker } = track([
      { id: 1, action: "edit", args: { path: "/workspace/y.py", content: "z", start: 3, end: 4 } },
      observed(2, 1, "edit"),
    ]);
    const file = tracker.file("/workspace/y.py");
    expect(file?.content).toBeUndefined();
    expect(file?.size).toBeUndefined();
    expect(file?.versions[0]).toMatchObject({
      created: true,
      content: undefined,
      diff: undefined,
      status: "done",
    });
  });

  it("uses what a whole-file read showed as the previous content", () => {
    const { tracker } = track([
      { id: 1, action: "read", args: { path: "/workspace/r.txt", start: 0, end: -1 } },
      observed(2, 1, "read", { path: "/workspace/r.txt" }, "old\n"),
      write(3, "/workspace/r.txt", "new\n"),
    ]);
    const version = tracker.file("/workspace/r.txt")?.versions[0];
    expect(version).toMatchObject({ created: false, previous: "old\n", status: "pending" });
    expect(version?.diff).toBe("--- a/r.txt\n+++ b/r.txt\n@@ -1,1 +1,1 @@\n-old\n+new\n");
  });

  it("diffs the first write of a remembered file against what it held, and ignores files already tracked", () => {
    const tracker = new WorkspaceTracker();
    tracker.remember("app/r.txt", "old\n");
    tracker.remember("/workspace/s.txt", "s\n");
    track([write(1, "/workspace/app/r.txt", "new\n"), write(2, "/workspace/s.txt", "s2\n")], tracker);
    tracker.remember("/workspace/s.txt", "ignored\n");
    const version = tracker.file("/workspace/app/r.txt")?.versions[0];
    expect(version).toMatchObject({ created: false, previous: "old\n" });
    expect(version?.diff).toBe("--- a/app/r.txt\n+++ b/app/r.txt\n@@ -1,1 +1,1 @@\n-old\n+new\n");
    expect(tracker.file("s.txt")?.content).toBe("s2\n");
    expect(tracker.file("s.txt")?.versions[0]?.previous).toBe("s\n");
  });

  it("marks a write answered by an error as failed and keeps the content before it", () => {
    const { tracker } = track([
      write(1, "/workspace/f", "good\n"),
      observed(2, 1, "write"),
      write(3, "/workspace/f", "bad\n"),
      observed(4, 3, "error", {}, "Permission denied"),
    ]);
    const file = tracker.file("/workspace/f");
    expect(file?.versions[1]).toMatchObject({ status: "failed", error: "Permission denied" });
    expect(file?.content).toBe("good\n");
  });

  it("pairs observations without cause by path, oldest first", () => {
    const { tracker } = track([
      write(1, "/workspace/a", "A"),
      write(2, "/workspace/b", "B"),
      observed(3, undefined, "write", { path: "/workspace/b" }),
    ]);
    expect(tracker.file("/workspace/a")?.versions[0]?.status).toBe("pending");
    expect(tracker.file("/workspace/b")?.versions[0]?.status).toBe("done");
  });

  it("ignores a replayed event and keeps paths it refuses to map", () => {
    const events = [write(1, "/etc/passwd", "x"), write(1, "/etc/passwd", "x"), write(2, "../up", "y")];
    const { tracker, updates } = track(events);
    expect(updates[1]).toBeUndefined();
    expect(tracker.files().map((f) => [f.path, f.output.ok])).toEqual([
      ["/etc/passwd", false],
      ["/workspace/../up", false],
    ]);
    expect(tracker.file("/etc/passwd")?.versions).toHaveLength(1);
    // The diff of an unmappable path names it as it is.
    expect(tracker.file("/etc/passwd")?.versions[0]?.diff).toContain("+++ b/etc/passwd");
  });

  it("tracks files of events without ids too", () => {
    const { tracker } = track([
      { action: "write", args: { path: "n.txt", content: "1" } },
      { action: "write", args: { path: "n.txt", content: "2" } },
    ]);
    expect(tracker.file("n.txt")?.versions.map((v) => v.content)).toEqual(["1", "2"]);
  });
});

describe("WorkspaceTracker: commands", () => {
  it("pairs a command with its observation by cause and records the exit code and output", () => {
    const { tracker, updates } = track([
      run(1, "python3 main.py"),
      run(2, "pytest -q"),
      observed(3, 2, "run", { command: "pytest -q", exit_code: 1 }, "1 failed"),
      observed(4, 1, "run", { command: "python3 main.py", exit_code: 0 }, "hi\n"),
    ]);
    // Updates hand out the live records: the first one now shows the finished command.
    expect(updates[0]).toMatchObject({ type: "command", command: { status: "done" } });
    const fresh = new WorkspaceTracker().apply(toEvent(run(1, "ls")));
    expect(fresh).toMatchObject({ type: "command", command: { status: "running", output: "" } });
    expect(
      tracker.commands().map((c) => ({
        id: c.id,
        command: c.command,
        status: c.status,
        exitCode: c.exitCode,
        output: c.output,
      })),
    ).toEqual([
      { id: 1, command: "python3 main.py", status: "done", exitCode: 0, output: "hi\n" },
      { id: 2, command: "pytest -q", status: "failed", exitCode: 1, output: "1 failed" },
    ]);
    expect(tracker.commands()[0]?.thought).toBe("Let me run it");
  });

  it("pairs an observation without cause by its command, else the oldest running one", () => {
    const { tracker } = track([
      run(1, "a"),
      run(2, "b"),
      observed(3, undefined, "run", { command: "b", exit_code: 0 }),
      observed(4, undefined, "run", { exit_code: 2 }),
    ]);
    expect(tracker.commands().map((c) => [c.command, c.exitCode])).toEqual([
      ["a", 2],
      ["b", 0],
    ]);
  });

  it("records IPython cells, background commands and errors", () => {
    const { tracker } = track([
      { id: 1, action: "run_ipython", args: { code: "print(1)", thought: "" } },
      observed(2, 1, "run_ipython", {}, "1"),
      { id: 3, action: "run", args: { command: "npm start", background: true } },
      observed(4, 3, "error", {}, "sandbox gone"),
    ]);
    expect(tracker.commands().map((c) => [c.kind, c.command, c.status, c.background, c.output])).toEqual([
      ["run_ipython", "print(1)", "done", false, "1"],
      ["run", "npm start", "failed", true, "sandbox gone"],
    ]);
  });

  it("does not let an observation of another kind answer an action", () => {
    const { tracker, updates } = track([run(1, "ls"), observed(2, 1, "write"), observed(3, 99, "run")]);
    expect(updates.slice(1)).toEqual([undefined, undefined]);
    expect(tracker.commands()[0]?.status).toBe("running");
  });

  it("refuses a relative root", () => {
    expect(() => new WorkspaceTracker({ root: "work" })).toThrow(InvalidArgumentError);
  });
});
