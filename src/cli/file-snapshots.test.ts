import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  loadSnapshot,
  MAX_SNAPSHOT_FILE_BYTES,
  MAX_SNAPSHOTS,
  removeSnapshot,
  SNAPSHOTS_FOLDER,
  saveSnapshot,
  snapshotPath,
} from "./file-snapshots.js";

const dirs: string[] = [];
function cacheDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "robocoders-snapshots-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("file snapshots", () => {
  it("round-trips a session's files owner-only, under a hashed name", async () => {
    const dir = cacheDir();
    const files = new Map([
      ["/workspace/a.py", "print(1)\n"],
      ["/workspace/b/c.txt", "é 😀\n"],
    ]);
    await saveSnapshot(dir, "../../etc/passwd", files);
    const path = snapshotPath(dir, "../../etc/passwd");
    expect(path.startsWith(join(dir, SNAPSHOTS_FOLDER))).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, SNAPSHOTS_FOLDER)).mode & 0o777).toBe(0o700);
    expect(await loadSnapshot(dir, "../../etc/passwd")).toEqual(files);
    await removeSnapshot(dir, "../../etc/passwd");
    expect(await loadSnapshot(dir, "../../etc/passwd")).toEqual(new Map());
  });

  it("reads a missing, corrupt or foreign file as empty", async () => {
    const dir = cacheDir();
    expect(await loadSnapshot(dir, "s1")).toEqual(new Map());
    mkdirSync(join(dir, SNAPSHOTS_FOLDER));
    writeFileSync(snapshotPath(dir, "s1"), "{not json");
    expect(await loadSnapshot(dir, "s1")).toEqual(new Map());
    writeFileSync(snapshotPath(dir, "s1"), JSON.stringify({ sid: "s2", files: { "/workspace/a": "x" } }));
    expect(await loadSnapshot(dir, "s1")).toEqual(new Map());
    writeFileSync(
      snapshotPath(dir, "s1"),
      JSON.stringify({ sid: "s1", files: { "/workspace/a": 1, b: "y" } }),
    );
    expect(await loadSnapshot(dir, "s1")).toEqual(new Map([["b", "y"]]));
  });

  it("skips files over the limit and keeps the most recent sessions only", async () => {
    const dir = cacheDir();
    await saveSnapshot(
      dir,
      "big",
      new Map([
        ["/workspace/big", "x".repeat(MAX_SNAPSHOT_FILE_BYTES + 1)],
        ["/workspace/small", "y"],
      ]),
    );
    expect([...(await loadSnapshot(dir, "big")).keys()]).toEqual(["/workspace/small"]);
    const folder = join(dir, SNAPSHOTS_FOLDER);
    for (let i = 0; i < MAX_SNAPSHOTS; i++) {
      const path = join(folder, `old-${i}.json`);
      writeFileSync(path, "{}");
      utimesSync(path, new Date(2000, 0, 1), new Date(2000, 0, 1 + (i % 28)));
    }
    await saveSnapshot(dir, "new", new Map([["/workspace/n", "n"]]));
    const names = readdirSync(folder);
    expect(names).toHaveLength(MAX_SNAPSHOTS);
    expect(names).toContain(snapshotPath(dir, "new").split("/").pop());
  });
});
