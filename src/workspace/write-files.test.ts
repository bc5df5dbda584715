import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as nodePath from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { saveWorkspaceFile, writeUnder } from "./write-files.js";

let root: string;
let out: string;
let outside: string;

beforeEach(async () => {
  root = await fs.mkdtemp(nodePath.join(os.tmpdir(), "robocoders-write-"));
  out = nodePath.join(root, "out");
  outside = nodePath.join(root, "outside");
  await fs.mkdir(outside);
  await fs.writeFile(nodePath.join(outside, "secret.txt"), "keep\n");
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

const read = (path: string) => fs.readFile(path, "utf8");
const listing = async (dir: string) => (await fs.readdir(dir, { recursive: true })).sort();

describe("writeUnder", () => {
  it("creates the folder and the subfolders and writes the file", async () => {
    const result = await writeUnder(out, "app/src/main.py", "print('é')\n");
    const real = await fs.realpath(out);
    expect(result).toEqual({
      ok: true,
      relative: "app/src/main.py",
      path: nodePath.join(real, "app/src/main.py"),
      bytes: 12,
    });
    expect(await read(nodePath.join(out, "app/src/main.py"))).toBe("print('é')\n");
    expect(await listing(out)).toEqual(["app", "app/src", "app/src/main.py"]);
  });

  it("replaces an existing file and keeps its mode", async () => {
    await fs.mkdir(out);
    await fs.writeFile(nodePath.join(out, "run.sh"), "old", { mode: 0o750 });
    await fs.chmod(nodePath.join(out, "run.sh"), 0o750);
    expect((await writeUnder(out, "run.sh", "new")).ok).toBe(true);
    expect(await read(nodePath.join(out, "run.sh"))).toBe("new");
    expect((await fs.stat(nodePath.join(out, "run.sh"))).mode & 0o777).toBe(0o750);
    expect(await listing(out)).toEqual(["run.sh"]);
  });

  it("refuses a symbolic link to a folder outside on the way", async () => {
    await fs.mkdir(out);
    await fs.symlink(outside, nodePath.join(out, "app"));
    const result = await writeUnder(out, "app/secret.txt", "pwned");
    expect(result).toEqual({ ok: false, relative: "app/secret.txt", reason: "app is a symbolic link" });
    expect(await read(nodePath.join(outside, "secret.txt"))).toBe("keep\n");
  });

  it("refuses a symbolic link at the file, even a dangling one, and writes nothing", async () => {
    await fs.mkdir(out);
    await fs.symlink(nodePath.join(outside, "secret.txt"), nodePath.join(out, "x.txt"));
    await fs.symlink(nodePath.join(outside, "new.txt"), nodePath.join(out, "y.txt"));
    expect(await writeUnder(out, "x.txt", "pwned")).toMatchObject({
      ok: false,
      reason: "x.txt is a symbolic link",
    });
    expect(await writeUnder(out, "y.txt", "pwned")).toMatchObject({
      ok: false,
      reason: "y.txt is a symbolic link",
    });
    expect(await read(nodePath.join(outside, "secret.txt"))).toBe("keep\n");
    await expect(fs.stat(nodePath.join(outside, "new.txt"))).rejects.toThrow();
    expect(await listing(out)).toEqual(["x.txt", "y.txt"]);
  });

  it("refuses a symbolic link inside the folder too", async () => {
    await fs.mkdir(nodePath.join(out, "real"), { recursive: true });
    await fs.symlink(nodePath.join(out, "real"), nodePath.join(out, "alias"));
    expect(await writeUnder(out, "alias/f", "x")).toMatchObject({
      ok: false,
      reason: "alias is a symbolic link",
    });
  });

  it("replaces a hard link instead of writing through it", async () => {
    await fs.mkdir(out);
    await fs.link(nodePath.join(outside, "secret.txt"), nodePath.join(out, "linked.txt"));
    expect((await writeUnder(out, "linked.txt", "new")).ok).toBe(true);
    expect(await read(nodePath.join(out, "linked.txt"))).toBe("new");
    expect(await read(nodePath.join(outside, "secret.txt"))).toBe("keep\n");
  });

  it("refuses a file where a folder should be and a folder where the file should be", async () => {
    await fs.mkdir(nodePath.join(out, "dir"), { recursive: true });
    await fs.writeFile(nodePath.join(out, "file"), "");
    expect(await writeUnder(out, "file/x", "x")).toMatchObject({
      ok: false,
      reason: "file exists and is not a folder",
    });
    expect(await writeUnder(out, "dir", "x")).toMatchObject({
      ok: false,
      reason: "dir exists and is not a file",
    });
  });

  it("refuses paths that are not plain relative paths", async () => {
    for (const bad of ["", "../x", "a/../../x", "/etc/passwd", "a//b", "./a", "a\\b", "C:", "a/\0"]) {
      expect(await writeUnder(out, bad, "x")).toMatchObject({ ok: false });
    }
    await expect(fs.stat(nodePath.join(root, "x"))).rejects.toThrow();
  });

  it("allows the chosen folder itself to be a symbolic link", async () => {
    const target = nodePath.join(root, "target");
    await fs.mkdir(target);
    await fs.symlink(target, out);
    expect((await writeUnder(out, "a.txt", "x")).ok).toBe(true);
    expect(await read(nodePath.join(target, "a.txt"))).toBe("x");
  });
});

describe("saveWorkspaceFile", () => {
  it("maps the workspace path by the output path rule", async () => {
    expect(await saveWorkspaceFile(out, "/workspace/app/main.py", "x")).toMatchObject({
      ok: true,
      relative: "app/main.py",
    });
    expect(await read(nodePath.join(out, "app/main.py"))).toBe("x");
  });

  it("refuses paths the rule refuses, before touching the disk", async () => {
    expect(await saveWorkspaceFile(out, "/etc/passwd", "x")).toEqual({
      ok: false,
      reason: "the path is outside the workspace root /workspace",
    });
    expect(await saveWorkspaceFile(out, "/workspace/../x", "x")).toMatchObject({ ok: false });
    await expect(fs.stat(out)).rejects.toThrow();
  });
});
