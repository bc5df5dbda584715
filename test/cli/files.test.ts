/**
 * The agent's files in `robocoders chat`, end to end on the built CLI against the emulator (whose
 * `write=<path>` script shape makes the agent write any path): `--output <dir>` saves them by the output
 * path rule and refuses every path that would land outside dir; `--show-files` prints new files and diffs,
 * plain through a pipe, coloured on a pseudo-terminal; the conversation's `/files` command.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cacheFileName } from "../../src/client/options.js";
import type { ChatRecord } from "../../src/emulator/types.js";
import { sentText } from "../support.js";
import { cliFixture, HAS_SCRIPT, runCli, runCliInTty, stripAnsi } from "./helpers.js";

const fx = cliFixture();
const COLOUR = /\x1b\[(3[0-9]|1|2)m/;
const PROMPT = "Add two numbers";

/** The emulator's records of the session cached in `cacheDir`. */
function records(cacheDir: string): ChatRecord[] {
  const { sid } = JSON.parse(readFileSync(join(cacheDir, cacheFileName(fx.emulator.url)), "utf8")) as {
    sid: string;
  };
  return fx.emulator.chats.filter((r) => r.sid === sid);
}

/** The content of every `write` the emulator sent, by path, the last one winning. */
function written(recs: ChatRecord[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const record of recs) {
    for (const line of record.lines) {
      const value = line.value as { action?: string; args?: { path?: string; content?: string } } | undefined;
      if (value?.action === "write" && value.args?.path !== undefined) {
        files.set(value.args.path, value.args.content ?? "");
      }
    }
  }
  return files;
}

/** Every file under a folder, relative, sorted (symbolic links listed, not followed). */
function tree(dir: string, prefix = ""): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) =>
      entry.isDirectory()
        ? tree(join(dir, entry.name), `${prefix}${entry.name}/`)
        : [`${prefix}${entry.name}`],
    )
    .sort();
}

const directive = (...paths: string[]) => `${PROMPT} [[fault:${paths.map((p) => `write=${p}`).join(" ")}]]`;

describe("chat --output <dir>", () => {
  it("saves every file the agent writes under dir by the output path rule, the last version winning", async () => {
    const { env, cacheDir } = fx.fresh();
    const out = join(cacheDir, "out");
    const result = await runCli(
      ["chat", "--output", out, directive("app/a.py", "/workspace/app/b.py", "app//./c.py", "app/a.py")],
      { env },
    );
    expect(result.code).toBe(0);
    const sent = written(records(cacheDir));
    const slug = "add_two_numbers";
    expect(tree(out)).toEqual(
      ["app/a.py", "app/b.py", "app/c.py", `${slug}/main.py`, `${slug}/test_main.py`].sort(),
    );
    expect(readFileSync(join(out, slug, "main.py"), "utf8")).toBe(sent.get(`/workspace/${slug}/main.py`));
    expect(readFileSync(join(out, "app/b.py"), "utf8")).toBe(sent.get("/workspace/app/b.py"));
    // app/a.py was written twice: the second version is on disk.
    expect(readFileSync(join(out, "app/a.py"), "utf8")).toContain("return 2");
    expect(result.stderr).toBe(`Saved 5 files under ${out}.\n`);
    expect(result.stdout).not.toContain("warning");
  });

  it.each([
    ["a relative path through ..", "../up.py", 'leaves the workspace through ".."'],
    ["an absolute path through ..", "/workspace/../up.py", 'leaves the workspace through ".."'],
    ["a path that climbs after going down", "app/../../up.py", 'leaves the workspace through ".."'],
    [
      "an absolute path outside the workspace",
      "/etc/robocoders-evil",
      "outside the workspace root /workspace",
    ],
    ["the workspace root itself", "/workspace", "names the workspace root"],
  ])("refuses %s with a warning and writes nothing outside dir", async (_name, path, reason) => {
    const { env, cacheDir } = fx.fresh();
    const parent = join(cacheDir, "parent");
    const out = join(parent, "out");
    mkdirSync(out, { recursive: true });
    const result = await runCli(["chat", "--output", out, directive(path, "app/ok.py")], { env });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`robocoders: warning: not saved: ${path}: `);
    expect(result.stderr).toContain(reason);
    expect(result.stderr).toMatch(/Saved 3 files under .*; 1 file not saved\.\n$/);
    // Only the out folder in parent, and only the accepted files in it.
    expect(readdirSync(parent)).toEqual(["out"]);
    expect(tree(out)).toEqual(["add_two_numbers/main.py", "add_two_numbers/test_main.py", "app/ok.py"]);
    expect(existsSync("/etc/robocoders-evil")).toBe(false);
  });

  it("refuses a path through a symbolic link inside dir, to a folder or to a file, pointing out", async () => {
    const { env, cacheDir } = fx.fresh();
    const out = join(cacheDir, "out");
    const elsewhere = join(cacheDir, "elsewhere");
    mkdirSync(join(out, "app"), { recursive: true });
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, "target.py"), "untouched\n");
    symlinkSync(elsewhere, join(out, "link"));
    symlinkSync(join(elsewhere, "target.py"), join(out, "app", "c.py"));
    const result = await runCli(
      ["chat", "--output", out, directive("link/x.py", "/workspace/link/sub/y.py", "app/c.py")],
      { env },
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("robocoders: warning: not saved: link/x.py: link is a symbolic link");
    expect(result.stderr).toContain(
      "robocoders: warning: not saved: /workspace/link/sub/y.py: link is a symbolic link",
    );
    expect(result.stderr).toContain("robocoders: warning: not saved: app/c.py: app/c.py is a symbolic link");
    expect(result.stderr).toMatch(/; 3 files not saved\.\n$/);
    expect(readdirSync(elsewhere)).toEqual(["target.py"]);
    expect(readFileSync(join(elsewhere, "target.py"), "utf8")).toBe("untouched\n");
  });

  it("leaves --raw output byte-identical to the provider's text", async () => {
    const { env, cacheDir } = fx.fresh();
    const out = join(cacheDir, "out");
    const result = await runCli(["chat", "--raw", "--output", out, directive("app/a.py", "../x.py")], {
      env,
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(sentText(records(cacheDir)));
    expect(existsSync(join(out, "app", "a.py"))).toBe(true);
    expect(result.stderr).toContain("not saved: ../x.py");
  });

  it("works with --json: one event per line on stdout, the files on disk", async () => {
    const { env, cacheDir } = fx.fresh();
    const out = join(cacheDir, "out");
    const result = await runCli(["chat", "--json", "--output", out, directive("app/a.py")], { env });
    expect(result.code).toBe(0);
    const events = result.stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as { kind: string; action?: string });
    expect(events.filter((e) => e.action === "write")).toHaveLength(3);
    expect(tree(out)).toEqual(["add_two_numbers/main.py", "add_two_numbers/test_main.py", "app/a.py"]);
  });

  it("leaves piped text output as it is without --output", async () => {
    const withOutput = fx.fresh();
    const saved = await runCli(["chat", "--output", join(withOutput.cacheDir, "out"), PROMPT], {
      env: withOutput.env,
    });
    const plain = await runCli(["chat", PROMPT], { env: fx.fresh().env });
    expect(saved.code).toBe(0);
    expect(saved.stdout).toBe(plain.stdout);
    expect(plain.stdout).toContain("def solve(");
  });

  it("refuses an --output that is a file, before sending anything", async () => {
    const { env, cacheDir } = fx.fresh();
    const file = join(cacheDir, "file");
    writeFileSync(file, "");
    const before = fx.emulator.chats.length;
    const result = await runCli(["chat", "--output", file, "hello"], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("exists and is not a folder");
    // One that cannot be created (Node's recursive mkdir would loop forever under /proc).
    const proc = await runCli(["chat", "--output", "/proc/robocoders-nonexist/out", "hello"], { env });
    expect(proc.code).toBe(2);
    expect(proc.stderr).toContain("Cannot create --output /proc/robocoders-nonexist/out");
    expect(fx.emulator.chats.length).toBe(before);
  });
});

describe("chat --show-files through a pipe", () => {
  it("prints new files in full and rewrites as plain unified diffs, in place of the file's text", async () => {
    const { env, cacheDir } = fx.fresh();
    const result = await runCli(["chat", "--show-files", directive("app/a.py", "app/a.py")], { env });
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(/\x1b/);
    expect(result.stdout).toContain(
      [
        "✎ app/a.py (102 B, new)",
        ' 1 │ """app/a.py"""',
        " 2 │ ",
        " 3 │ ",
        " 4 │ def version() -> int:",
        " 5 │     return 1",
      ].join("\n"),
    );
    expect(result.stdout).toContain(
      [
        "✎ app/a.py (102 B, +1 −1)",
        "--- a/app/a.py",
        "+++ b/app/a.py",
        "@@ -2,7 +2,7 @@",
        " ",
        " ",
        " def version() -> int:",
        "-    return 1",
        "+    return 2",
      ].join("\n"),
    );
    expect(result.stdout).toMatch(
      /^✎ add_two_numbers\/main\.py \(\d+ B, new\)\n {2}1 │ """Add two numbers$/m,
    );
    // The other texts are there as without --show-files, separated by blank lines.
    const texts = sentText(records(cacheDir));
    expect(result.stdout).toContain("Thanks! Before I start on");
    expect(texts).toContain("def version()");
    expect(result.stdout.endsWith("All done! What's next on the agenda?\n")).toBe(true);
    expect(result.stdout).toMatch(/\n\n✎ app\/a\.py \(102 B, new\)\n/);
  });

  it("diffs against what an earlier chat in the session saw (chat -c), kept owner-only until the session is forgotten", async () => {
    const { env, cacheDir } = fx.fresh();
    const first = await runCli(["chat", "--show-files", PROMPT], { env });
    expect(first.stdout).toMatch(/^✎ add_two_numbers\/main\.py \(\d+ B, new\)$/m);
    const { sid } = JSON.parse(readFileSync(join(cacheDir, cacheFileName(fx.emulator.url)), "utf8")) as {
      sid: string;
    };
    // The same task again in the same session: main.py's docstring changes, test_main.py does not.
    const second = await runCli(["chat", "-c", "--show-files", `${PROMPT}!`], { env });
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(
      /^✎ add_two_numbers\/main\.py \(\d+ B, \+1 −1\)\n--- a\/add_two_numbers\/main\.py\n/m,
    );
    expect(second.stdout).toContain('-"""Add two numbers\n+"""Add two numbers!\n');
    expect(second.stdout).toMatch(/^✎ add_two_numbers\/test_main\.py \(131 B, \+0 −0\)\n {2}\(no change\)$/m);
    const folder = join(cacheDir, "files");
    const [snapshot, ...more] = readdirSync(folder);
    expect(more).toEqual([]);
    expect(statSync(join(folder, snapshot ?? "")).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(folder, snapshot ?? ""), "utf8")).toContain("Add two numbers!");
    expect((await runCli(["session", "forget", sid], { env })).code).toBe(0);
    expect(readdirSync(folder)).toEqual([]);
  });

  it("is refused with --raw and with --json", async () => {
    const { env } = fx.fresh();
    for (const flag of ["--raw", "--json"]) {
      const result = await runCli(["chat", "--show-files", flag, "hello"], { env });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`--show-files cannot be used with ${flag}`);
    }
  });
});

describe.skipIf(!HAS_SCRIPT)("chat --show-files on a terminal", () => {
  it("highlights new files and colours the diff of a rewrite", async () => {
    const { env } = fx.fresh();
    const { code, output } = await runCliInTty(["chat", "--show-files", directive("app/a.py", "app/a.py")], {
      env,
    });
    expect(code).toBe(0);
    expect(output).toMatch(/\x1b\[35mdef\x1b\[39m/); // a keyword, magenta
    expect(output).toContain("\x1b[31m-    return 1\x1b[39m");
    expect(output).toContain("\x1b[32m+    return 2\x1b[39m");
    const text = stripAnsi(output);
    expect(text).toMatch(/^Now the implementation:\n✎ add_two_numbers\/main\.py \(\d+ B, new\)\n {2}1 │ /m);
    expect(text).toMatch(/^✎ app\/a\.py \(102 B, \+1 −1\)\n--- a\/app\/a\.py\n/m);
  });

  it("NO_COLOR prints the same views without colours", async () => {
    const { env } = fx.fresh();
    const { code, output } = await runCliInTty(["chat", "--show-files", directive("app/a.py", "app/a.py")], {
      env: { ...env, NO_COLOR: "1" },
    });
    expect(code).toBe(0);
    expect(output).not.toMatch(COLOUR);
    expect(stripAnsi(output)).toContain("-    return 1\n+    return 2\n");
  });

  it("in a conversation: /files lists the files, /files <name> shows one, /files on shows diffs across turns", async () => {
    const { env } = fx.fresh();
    const { code, output } = await runCliInTty(["chat"], {
      env,
      steps: [
        { waitFor: "› ", send: "/files\r" },
        { waitFor: "No files written", send: "Add two numbers\r" },
        { waitFor: /finished[\s\S]*› /, send: "/files\r" },
        { waitFor: "test_main.py", send: "/files add_two_numbers/test_main.py\r" },
        { waitFor: "def test_floats", send: "/files on\r" },
        { waitFor: "is shown", send: "Add two numbers!\r" },
        { waitFor: /finished[\s\S]*› /, send: "/exit\r" },
      ],
    });
    expect(code).toBe(0);
    const text = stripAnsi(output);
    expect(text).toMatch(
      /^✎ add_two_numbers\/main\.py \(\d+ B\)\n✎ add_two_numbers\/test_main\.py \(131 B\)$/m,
    );
    expect(text).toMatch(/^add_two_numbers\/test_main\.py \(131 B\)\n 1 │ from main import solve$/m);
    // The second task rewrites main.py: a diff against the first turn's version.
    expect(text).toMatch(
      /^✎ add_two_numbers\/main\.py \(\d+ B, \+1 −1\)\n--- a\/add_two_numbers\/main\.py$/m,
    );
    expect(text).toContain('-"""Add two numbers\n+"""Add two numbers!\n');
  }, 60_000);
});
