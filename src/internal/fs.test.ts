import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ensureDir } from "./fs.js";

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("ensureDir", () => {
  it("creates the missing folders owner-only, and accepts one that exists", async () => {
    const root = mkdtempSync(join(tmpdir(), "robocoders-fs-"));
    made.push(root);
    const dir = join(root, "a", "b", "c");
    await ensureDir(dir);
    await ensureDir(dir);
    for (const folder of [join(root, "a"), join(root, "a", "b"), dir]) {
      expect(statSync(folder).mode & 0o777).toBe(0o700);
    }
  });

  it("takes another mode (less the umask)", async () => {
    const root = mkdtempSync(join(tmpdir(), "robocoders-fs-"));
    made.push(root);
    await ensureDir(join(root, "open"), 0o755);
    expect(statSync(join(root, "open")).mode & 0o700).toBe(0o700);
  });

  it("rejects with the system's error where recursive mkdir loops forever (/proc)", async () => {
    await expect(ensureDir("/proc/nonexist/deeper")).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("rejects under a file", async () => {
    const root = mkdtempSync(join(tmpdir(), "robocoders-fs-"));
    made.push(root);
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(root, "file"), "");
    await expect(ensureDir(join(root, "file", "below"))).rejects.toMatchObject({ code: "ENOTDIR" });
  });
});
