import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toEvent } from "../core/events.js";
import {
  fileUri,
  listResources,
  mimeTypeOf,
  parseResourceUri,
  RESOURCE_NOT_FOUND,
  readResource,
  timelineUri,
} from "./resources.js";
import { SessionRegistry } from "./sessions.js";

describe("resource URIs", () => {
  it("round-trip any session id (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", minLength: 1, maxLength: 80 }), (sid) => {
        expect(parseResourceUri(timelineUri(sid))).toEqual({ kind: "timeline", sid });
      }),
    );
  });

  it("round-trip any absolute path, dot segments and reserved characters included (property)", () => {
    const segment = fc.oneof(
      fc.constantFrom(".", "..", "...", "a b", "%20", "?x", "#y", "é", "main.py"),
      fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 }).filter((s) => !s.includes("/")),
    );
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40 }).filter((sid) => !/^\.+$/.test(sid)),
        fc.array(segment, { minLength: 1, maxLength: 6 }),
        (sid, segments) => {
          const path = `/${segments.join("/")}`;
          const uri = fileUri(sid, path);
          expect(parseResourceUri(uri)).toEqual({ kind: "file", sid, path });
          // No URI normalization can move it: no raw dot segment, no query, no fragment.
          expect(new URL(uri).href).toBe(uri);
        },
      ),
    );
    expect(fileUri("s", "/workspace/app/main.py")).toBe(
      "robocoders://sessions/s/files/workspace/app/main.py",
    );
    expect(fileUri("s", "/workspace/../etc/passwd")).toBe(
      "robocoders://sessions/s/files/workspace%2F..%2Fetc/passwd",
    );
  });

  it("reject other URIs", () => {
    for (const uri of [
      "robocoders://sessions/a/b/timeline.jsonl",
      "robocoders://sessions//timeline.jsonl",
      "robocoders://sessions/%E0%A4%A/timeline.jsonl",
      "file:///etc/passwd",
      "robocoders://sessions/a/timeline.jsonl?x=1",
      "robocoders://sessions/a/files/",
      "robocoders://sessions/a/files/x%2Fy",
    ]) {
      expect(parseResourceUri(uri)).toBeUndefined();
    }
  });
});

describe("timeline resources", () => {
  it("list each session, newest first, and read its events as JSON Lines", () => {
    const registry = new SessionRegistry();
    const a = registry.use("a", "RepoAgent");
    registry.append(
      a,
      toEvent({ id: 1, action: "run", args: { command: "ls" }, message: "Running command: ls" }),
    );
    registry.append(a, toEvent({ id: 2, observation: "run", content: "x\ny", extras: { exit_code: 0 } }));
    a.lastUsed = new Date(1000);
    registry.use("b", "FrontEndAgent");
    expect(listResources(registry).map((r) => r.uri)).toEqual([timelineUri("b"), timelineUri("a")]);
    const read = readResource(registry, timelineUri("a"));
    expect(read.contents).toEqual([
      {
        uri: timelineUri("a"),
        mimeType: "application/jsonl",
        text:
          '{"id":1,"action":"run","args":{"command":"ls"},"message":"Running command: ls"}\n' +
          '{"id":2,"observation":"run","content":"x\\ny","extras":{"exit_code":0}}\n',
      },
    ]);
    expect(readResource(registry, timelineUri("b")).contents[0]).toMatchObject({ text: "" });
  });

  it("list and read the latest content of each file written or edited, in the order first written", () => {
    const registry = new SessionRegistry();
    let changes = 0;
    registry.onChange(() => changes++);
    const s = registry.use("s", "GeneralCodingAgent");
    const write = (id: number, path: string, content: string) =>
      registry.append(
        s,
        toEvent({ id, action: "write", args: { path, content, start: 0, end: -1, thought: "" } }),
      );
    write(1, "/workspace/app/main.py", "print(1)\n");
    write(2, "/workspace/README.md", "# App\n");
    write(3, "/workspace/app/main.py", "print(2)\n");
    expect(changes).toBe(3);
    const files = listResources(registry).slice(1);
    expect(files).toEqual([
      expect.objectContaining({
        uri: fileUri("s", "/workspace/app/main.py"),
        name: "/workspace/app/main.py",
        mimeType: "text/x-python",
        size: 9,
      }),
      expect.objectContaining({ uri: fileUri("s", "/workspace/README.md"), mimeType: "text/markdown" }),
    ]);
    expect(readResource(registry, fileUri("s", "/workspace/app/main.py")).contents).toEqual([
      { uri: fileUri("s", "/workspace/app/main.py"), mimeType: "text/x-python", text: "print(2)\n" },
    ]);
    expect(() => readResource(registry, fileUri("s", "/workspace/nope.py"))).toThrow(
      expect.objectContaining({ code: RESOURCE_NOT_FOUND }),
    );
  });

  it("name MIME types by extension", () => {
    expect(mimeTypeOf("/w/a.TSX")).toBe("text/typescript");
    expect(mimeTypeOf("/w/.env")).toBe("text/plain");
    expect(mimeTypeOf("/w/Makefile")).toBe("text/plain");
  });

  it("answer an unknown session or URI with the resource-not-found error", () => {
    const registry = new SessionRegistry();
    expect(() => readResource(registry, timelineUri("nope"))).toThrow(
      expect.objectContaining({ code: RESOURCE_NOT_FOUND }),
    );
    expect(() => readResource(registry, "robocoders://other")).toThrow(
      expect.objectContaining({ code: RESOURCE_NOT_FOUND }),
    );
  });

  it("bound memory: the least recently used session and the oldest events go first", () => {
    const registry = new SessionRegistry({ maxSessions: 2, maxTimelineBytes: 60 });
    let changes = 0;
    registry.onChange(() => changes++);
    const a = registry.use("a", "RepoAgent");
    registry.use("b", "RepoAgent");
    registry.use("a", "RepoAgent");
    registry.use("c", "RepoAgent");
    expect(
      registry
        .list()
        .map((r) => r.sid)
        .sort(),
    ).toEqual(["a", "c"]);
    expect(changes).toBe(3);
    for (let id = 1; id <= 5; id++) registry.append(a, toEvent({ id, message: "0123456789" }));
    expect(a.timelineBytes).toBeLessThanOrEqual(60);
    expect(a.droppedEvents).toBeGreaterThan(0);
    expect(a.timeline.at(-1)).toBe('{"id":5,"message":"0123456789"}');
    expect(listResources(registry).find((r) => r.uri === timelineUri("a"))?.description).toContain(
      "were dropped",
    );
  });
});
