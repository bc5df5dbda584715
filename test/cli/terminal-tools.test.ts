/**
 * The terminal tools end to end on the built CLI, through plain pipes: the settings file (`config`) and
 * its precedence, the session registry (`session list|use|name|forget`), shell completion scripts run
 * by real shells, `get-code --open` with a fake browser opener, and a start-up that loads none of them.
 */
import { execFile, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cacheFileName } from "../../src/client/options.js";
import { runRecordingModules } from "../support.js";
import { CLI, cliEnv, cliFixture, runCli, tempDir } from "./helpers.js";

const fx = cliFixture();

/** A fresh cache folder and config folder, the environment pointing at both and at the emulator. */
function fresh() {
  const { cacheDir, env } = fx.fresh();
  const configDir = join(cacheDir, "config");
  const all: Record<string, string> = { ...env, ROBOCODERS_CONFIG_DIR: configDir };
  return { cacheDir, configDir, env: all, baseUrl: env.ROBOCODERS_BASE_URL };
}

const has = (shell: string) => spawnSync(shell, ["-c", "exit 0"]).status === 0;

/** Runs a shell without blocking the test process (the emulator lives in it). */
function runShell(shell: string, args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    execFile(shell, args, { env: cliEnv(env), encoding: "utf8" }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== "number") reject(error);
      else resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr });
    });
  });
}

describe("config", () => {
  it("prints the file's path, stores checked values owner-only and lists them with their source", async () => {
    const { configDir, env, baseUrl } = fresh();
    expect(await runCli(["config", "path"], { env })).toMatchObject({
      code: 0,
      stdout: `${join(configDir, "config.json")}\n`,
    });
    expect((await runCli(["config", "set", "agent", "repo"], { env })).code).toBe(0);
    expect((await runCli(["config", "set", "auto-continue", "3"], { env })).code).toBe(0);
    const file = join(configDir, "config.json");
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ agent: "RepoAgent", "auto-continue": 3 });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const list = await runCli(["config", "list"], { env });
    expect(list.stdout.split("\n").map((l) => l.replace(/ +/g, " "))).toEqual([
      "agent=RepoAgent (file)",
      `base-url=${baseUrl} (env)`,
      "auto-continue=3 (file)",
      "color=auto (default)",
      "",
    ]);
    expect((await runCli(["config", "unset", "agent"], { env })).code).toBe(0);
    expect((await runCli(["config", "get", "agent"], { env })).stdout).toBe("GeneralCodingAgent\n");
  });

  it("applies flag > environment > file > default", async () => {
    const { env, baseUrl } = fresh();
    await runCli(["config", "set", "base-url", "http://file.example"], { env });
    await runCli(["config", "set", "color", "always"], { env });
    const { ROBOCODERS_BASE_URL: _unused, ...noEnv } = env;
    expect((await runCli(["config", "get", "base-url"], { env: noEnv })).stdout).toBe(
      "http://file.example\n",
    );
    expect((await runCli(["config", "get", "base-url"], { env })).stdout).toBe(`${baseUrl}\n`);
    expect(
      (await runCli(["--base-url", "http://flag.example", "config", "get", "base-url"], { env })).stdout,
    ).toBe("http://flag.example\n");
    expect((await runCli(["config", "get", "color"], { env })).stdout).toBe("always\n");
    expect((await runCli(["config", "get", "color"], { env: { ...env, NO_COLOR: "1" } })).stdout).toBe(
      "never\n",
    );
    expect((await runCli(["--no-color", "config", "get", "color"], { env })).stdout).toBe("never\n");
    const json = await runCli(["config", "list", "--json"], { env: { ...env, ROBOCODERS_AGENT: "ui" } });
    expect(JSON.parse(json.stdout)).toContainEqual(
      expect.objectContaining({
        key: "agent",
        value: "FrontEndAgent",
        source: "env",
        env: "ROBOCODERS_AGENT",
      }),
    );
  });

  it("refuses unknown settings and bad values with a usage error, and survives a corrupt file", async () => {
    const { configDir, env } = fresh();
    expect(await runCli(["config", "set", "colour", "never"], { env })).toMatchObject({ code: 2 });
    const bad = await runCli(["config", "set", "agent", "NoSuchAgent"], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Unknown agent "NoSuchAgent"');
    expect((await runCli(["config", "set", "base-url", "ftp://x"], { env })).code).toBe(2);
    expect((await runCli(["config", "set", "auto-continue", "-1"], { env })).code).toBe(2);
    expect(existsSync(join(configDir, "config.json"))).toBe(false);
    mkdirSync(configDir, { recursive: true });
    writeFileSync(join(configDir, "config.json"), "{not json");
    const list = await runCli(["config", "get", "agent"], { env });
    expect(list).toMatchObject({ code: 0, stdout: "GeneralCodingAgent\n" });
    expect(list.stderr).toMatch(/config\.json is not valid JSON; it is ignored/);
    expect((await runCli(["config", "set", "agent", "repo"], { env })).code).toBe(0);
    expect((await runCli(["config", "get", "agent"], { env })).stdout).toBe("RepoAgent\n");
  });
});

describe("session registry commands", () => {
  function seed(cacheDir: string) {
    const sessions = [
      {
        sid: "11111111-aaaa-4aaa-8aaa-000000000001",
        agent: "GeneralCodingAgent",
        firstPrompt: "Write a todo app",
        lastUsed: "2026-12-01T10:00:00.000Z",
        baseUrl: "http://127.0.0.1:1",
      },
      {
        sid: "22222222-bbbb-4bbb-8bbb-000000000002",
        agent: "RepoAgent",
        firstPrompt: "Fix the parser",
        lastUsed: "2026-12-01T11:00:00.000Z",
        baseUrl: "http://127.0.0.1:1",
        name: "parser",
      },
    ];
    writeFileSync(join(cacheDir, "sessions.json"), JSON.stringify({ version: 1, sessions }));
  }

  it("lists, names, uses and forgets sessions by name, id or id prefix", async () => {
    const { cacheDir, env } = fresh();
    seed(cacheDir);
    const list = await runCli(["session", "list"], { env });
    expect(list.code).toBe(0);
    const lines = list.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^\s+NAME\s+SESSION\s+AGENT\s+LAST USE\s+BASE URL\s+FIRST PROMPT$/);
    expect(lines[1]).toMatch(
      /^ {3}parser\s+22222222-\S+\s+RepoAgent\s+2026-12-01 \d\d:00\s+http:\/\/127\.0\.0\.1:1\s+Fix the parser$/,
    );
    expect(lines[2]).toMatch(/^ {3}-\s+11111111-/);

    expect(await runCli(["session", "name", "1111", "todo"], { env })).toMatchObject({ code: 0 });
    const use = await runCli(["session", "use", "todo"], { env });
    expect(use).toMatchObject({ code: 0, stdout: "11111111-aaaa-4aaa-8aaa-000000000001\n" });
    expect(JSON.parse(readFileSync(join(cacheDir, cacheFileName("http://127.0.0.1:1")), "utf8")).sid).toBe(
      "11111111-aaaa-4aaa-8aaa-000000000001",
    );
    const json = JSON.parse((await runCli(["session", "list", "--json"], { env })).stdout) as Array<
      Record<string, unknown>
    >;
    expect(json.map((s) => [s.name, s.current])).toEqual([
      ["parser", false],
      ["todo", true],
    ]);
    expect((await runCli(["session", "list", "--names"], { env })).stdout).toBe(
      "parser\ntodo\n22222222-bbbb-4bbb-8bbb-000000000002\n11111111-aaaa-4aaa-8aaa-000000000001\n",
    );

    expect(await runCli(["session", "forget", "todo"], { env })).toMatchObject({ code: 0 });
    // The cache held only that session: it is gone with it.
    expect(existsSync(join(cacheDir, cacheFileName("http://127.0.0.1:1")))).toBe(false);
    expect(statSync(join(cacheDir, "sessions.json")).mode & 0o777).toBe(0o600);
    expect((await runCli(["session", "list", "--names"], { env })).stdout).toBe(
      "parser\n22222222-bbbb-4bbb-8bbb-000000000002\n",
    );
  });

  it("reports unknown sessions and invalid names as usage errors", async () => {
    const { cacheDir, env } = fresh();
    seed(cacheDir);
    for (const args of [
      ["session", "use", "nope"],
      ["session", "forget", "nope"],
      ["session", "name", "nope", "x"],
    ]) {
      const result = await runCli(args, { env });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('No session "nope" on this machine');
    }
    const bad = await runCli(["session", "name", "parser", "../x"], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("is not a valid session name");
  });

  it("treats a corrupt registry as empty and replaces it on the next change", async () => {
    const { cacheDir, env } = fresh();
    writeFileSync(join(cacheDir, "sessions.json"), "garbage");
    const list = await runCli(["session", "list"], { env });
    expect(list).toMatchObject({ code: 0, stdout: "" });
    expect(list.stderr).toContain("No sessions yet");
  });
});

describe("completion", () => {
  it("refuses an unknown shell", async () => {
    expect(await runCli(["completion", "tcsh"])).toMatchObject({ code: 2 });
  });

  /** A folder with a `robocoders` wrapper running the built CLI, for the scripts' dynamic completions. */
  function wrapper(env: Record<string, string>) {
    const bin = tempDir("robocoders-bin-");
    const path = join(bin.path, "robocoders");
    const exports = Object.entries(env)
      .map(([k, v]) => `export ${k}='${v}'`)
      .join("\n");
    writeFileSync(path, `#!/bin/sh\n${exports}\nexec '${process.execPath}' '${CLI}' "$@"\n`);
    chmodSync(path, 0o755);
    return bin;
  }

  it("bash completes commands, subcommands, options, agents and session names", async () => {
    const { cacheDir, env } = fresh();
    writeFileSync(
      join(cacheDir, "sessions.json"),
      JSON.stringify({
        version: 1,
        sessions: [
          {
            sid: "abcd-1",
            agent: "A",
            firstPrompt: "p",
            lastUsed: "2026-01-01T00:00:00Z",
            baseUrl: "u",
            name: "demo",
          },
        ],
      }),
    );
    const script = (await runCli(["completion", "bash"])).stdout;
    const bin = wrapper(env);
    const cases: Array<[string[], string[]]> = [
      [
        ["robocoders", "se"],
        ["session", "serve"],
      ],
      [
        ["robocoders", "session", ""],
        ["new", "show", "list", "use", "name", "forget"],
      ],
      [
        ["robocoders", "session", "use", ""],
        ["demo", "abcd-1"],
      ],
      [["robocoders", "--base-url", "http://x", "chat", "--ag"], ["--agent"]],
      [["robocoders", "chat", "-a", "Re"], ["RepoAgent"]],
      [["robocoders", "chat", "--session", "d"], ["demo"]],
      [
        ["robocoders", "config", "set", "a"],
        ["agent", "auto-continue"],
      ],
      [["robocoders", "completion", "f"], ["fish"]],
    ];
    // One shell runs every case, printing each answer and a separator line.
    const calls = cases
      .map(([words]) => {
        const line = words.map((w) => `'${w}'`).join(" ");
        return `COMP_WORDS=(${line}); COMP_CWORD=${words.length - 1}; _robocoders_complete; printf '%s\\n' "\${COMPREPLY[@]}" ---`;
      })
      .join("\n");
    try {
      const result = await runShell("bash", ["-c", `${script}\n${calls}`], {
        PATH: `${bin.path}:${process.env.PATH}`,
      });
      expect(result.stderr).toBe("");
      const answers = result.stdout
        .split("---\n")
        .slice(0, -1)
        .map((a) => a.split("\n").filter((w) => w !== ""));
      expect(answers).toHaveLength(cases.length);
      cases.forEach(([words, expected], i) => {
        const answer = answers[i] ?? [];
        if (words.at(-1) === "") expect(answer, words.join(" ")).toEqual(expect.arrayContaining(expected));
        else expect(answer, words.join(" ")).toEqual(expected);
      });
    } finally {
      bin.remove();
    }
  }, 120_000);

  it.skipIf(!has("zsh"))("zsh loads the script and completes through bashcompinit", async () => {
    const script = (await runCli(["completion", "zsh"])).stdout;
    expect(script.startsWith("#compdef robocoders\n")).toBe(true);
    const result = spawnSync(
      "zsh",
      [
        "-f",
        "-c",
        `${script}\nsetopt ksharrays; COMP_WORDS=(robocoders config ''); COMP_CWORD=2; _robocoders_complete; print -l -- "\${COMPREPLY[@]}"`,
      ],
      { env: cliEnv({}), encoding: "utf8" },
    );
    expect(result.stderr).toBe("");
    // zsh filters the candidates by what is typed itself; the script gives those of the context.
    const candidates = result.stdout.trim().split("\n");
    expect(candidates).toEqual(expect.arrayContaining(["path", "list", "get", "set", "unset", "--help"]));
    expect(candidates).not.toContain("chat");
  });

  it.skipIf(!has("fish"))("fish completes commands, subcommands and options", async () => {
    const script = (await runCli(["completion", "fish"])).stdout;
    const lines = [
      "robocoders comp",
      "robocoders session f",
      "robocoders config get base",
      "robocoders chat --max",
    ];
    const calls = lines.map((line) => `complete -C '${line}'; echo ---`).join("\n");
    const result = await runShell("fish", ["--no-config", "-c", `${script}\n${calls}`]);
    expect(result.stderr).toBe("");
    const answers = result.stdout
      .split("---\n")
      .slice(0, -1)
      .map((a) =>
        a
          .split("\n")
          .filter((l) => l !== "")
          .map((l) => l.split("\t")[0]),
      );
    expect(answers).toEqual([["completion"], ["forget"], ["base-url"], ["--max-continues"]]);
  });
});

describe("get-code --open", () => {
  /** A fresh cache with a session, as `get-code` needs one. */
  async function withSession() {
    const f = fresh();
    expect((await runCli(["session", "new"], { env: f.env })).code).toBe(0);
    return f;
  }

  /** A fake opener: a shell script recording its arguments, exiting with `code`. */
  function fakeOpener(name: string, code: number) {
    const bin = tempDir("robocoders-opener-");
    const log = join(bin.path, "opened.txt");
    writeFileSync(join(bin.path, name), `#!/bin/sh\nprintf '%s\\n' "$@" > '${log}'\nexit ${code}\n`);
    chmodSync(join(bin.path, name), 0o755);
    return { bin, log };
  }

  it("opens the repository URL with the platform opener and prints it", async () => {
    const { env } = await withSession();
    const { bin, log } = fakeOpener("xdg-open", 0);
    try {
      const result = await runCli(["get-code", "octocat", "--open"], {
        env: { ...env, PATH: `${bin.path}:/usr/bin:/bin` },
      });
      expect(result.code).toBe(0);
      const url = result.stdout.trim();
      expect(url).toMatch(/^https:\/\/github\.com\//);
      expect(readFileSync(log, "utf8")).toBe(`${url}\n`);
      expect(result.stderr).not.toContain("Could not open");
    } finally {
      bin.remove();
    }
  });

  it("uses $BROWSER when set", async () => {
    const { env } = await withSession();
    const { bin, log } = fakeOpener("my-browser", 0);
    try {
      const result = await runCli(["get-code", "octocat", "--open"], {
        env: { ...env, BROWSER: join(bin.path, "my-browser") },
      });
      expect(result.code).toBe(0);
      expect(readFileSync(log, "utf8")).toBe(result.stdout);
    } finally {
      bin.remove();
    }
  });

  it("prints the URL and says so when no browser can be opened", async () => {
    const { env } = await withSession();
    const failing = fakeOpener("xdg-open", 3);
    const empty = tempDir("robocoders-empty-");
    try {
      for (const PATH of [`${failing.bin.path}:/usr/bin:/bin`, empty.path]) {
        const result = await runCli(["get-code", "octocat", "--open"], { env: { ...env, PATH } });
        expect(result.code).toBe(0);
        const url = result.stdout.trim();
        expect(url).toMatch(/^https:\/\/github\.com\//);
        expect(result.stderr).toMatch(
          /^Could not open a browser \(xdg-open (exited with code 3|was not found)\); open https:\/\/github\.com\/\S+$/m,
        );
      }
    } finally {
      failing.bin.remove();
      empty.remove();
    }
  });
});

describe("start-up", () => {
  it.each([["--version"], ["--help"], ["completion", "--help"]])(
    "%s loads no Markdown, highlighting or diff library",
    async (...args) => {
      const result = await runRecordingModules([CLI, ...args], cliEnv({}));
      expect(result.status).toBe(0);
      for (const heavy of [
        "/node_modules/marked/",
        "/node_modules/lowlight/",
        "/node_modules/highlight.js/",
        "/node_modules/diff/",
        "/node_modules/wrap-ansi/",
      ]) {
        expect(result.loaded).not.toContain(heavy);
      }
    },
  );
});
