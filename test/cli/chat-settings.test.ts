/**
 * What `robocoders chat` takes from the settings file, the environment and its flags (flag > environment
 * > file > default, each level checked for the agent, the base URL, the automatic continues and the
 * colours), and the session list: every chat records its session, and `-c`/`--session` take its names.
 * The built CLI through plain pipes, against the emulator.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cacheFileName } from "../../src/client/options.js";
import { cliFixture, runCli } from "./helpers.js";

const fx = cliFixture();

/** A fresh cache folder and settings folder, the environment pointing at both and at the emulator. */
function fresh(settings: Record<string, string | number> = {}) {
  const { cacheDir, env } = fx.fresh();
  const configDir = join(cacheDir, "config");
  mkdirSync(configDir);
  writeFileSync(join(configDir, "config.json"), JSON.stringify(settings));
  const all: Record<string, string> = { ...env, ROBOCODERS_CONFIG_DIR: configDir };
  return { cacheDir, env: all };
}

/** The emulator's records of the session the chat left in the cache. */
function lastSession(cacheDir: string, baseUrl = fx.emulator.url) {
  const { sid } = JSON.parse(readFileSync(join(cacheDir, cacheFileName(baseUrl)), "utf8")) as { sid: string };
  return { sid, records: fx.emulator.chats.filter((r) => r.sid === sid) };
}

describe("settings in chat: flag > environment > file > default", () => {
  it("agent", async () => {
    const cases: Array<[Record<string, string>, Record<string, string>, string[], string]> = [
      [{}, {}, [], "GeneralCodingAgent"],
      [{ agent: "RepoAgent" }, {}, [], "RepoAgent"],
      [{ agent: "RepoAgent" }, { ROBOCODERS_AGENT: "ui" }, [], "FrontEndAgent"],
      [{ agent: "RepoAgent" }, { ROBOCODERS_AGENT: "ui" }, ["-a", "general"], "GeneralCodingAgent"],
    ];
    for (const [file, extra, flags, agent] of cases) {
      const { env, cacheDir } = fresh(file);
      const result = await runCli(["chat", "--no-auto-continue", ...flags, "hello"], {
        env: { ...env, ...extra },
      });
      expect(result.code, result.stderr).toBe(0);
      expect(lastSession(cacheDir).records.map((r) => r.agent)).toEqual([agent]);
    }
  });

  it("auto-continue", async () => {
    const cases: Array<[Record<string, number>, Record<string, string>, string[], number]> = [
      [{}, {}, [], 2],
      [{ "auto-continue": 0 }, {}, [], 1],
      [{ "auto-continue": 0 }, { ROBOCODERS_AUTO_CONTINUE: "1" }, [], 2],
      [{ "auto-continue": 0 }, { ROBOCODERS_AUTO_CONTINUE: "1" }, ["--no-auto-continue"], 1],
      [{}, { ROBOCODERS_AUTO_CONTINUE: "0" }, ["--max-continues", "1"], 2],
    ];
    for (const [file, extra, flags, requests] of cases) {
      const { env, cacheDir } = fresh(file);
      const result = await runCli(["chat", ...flags, "hello"], { env: { ...env, ...extra } });
      expect(result.code, result.stderr).toBe(0);
      expect(lastSession(cacheDir).records, JSON.stringify([file, extra, flags])).toHaveLength(requests);
    }
  });

  it("base-url", async () => {
    const dead = "http://127.0.0.1:9";
    const url = fx.emulator.url;
    const cases: Array<[Record<string, string>, Record<string, string>, string[]]> = [
      [{ "base-url": url }, {}, []],
      [{ "base-url": dead }, { ROBOCODERS_BASE_URL: url }, []],
      [{ "base-url": dead }, { ROBOCODERS_BASE_URL: dead }, ["--base-url", url]],
    ];
    for (const [file, extra, flags] of cases) {
      const { env, cacheDir } = fresh(file);
      const { ROBOCODERS_BASE_URL: _drop, ...rest } = env;
      const result = await runCli([...flags, "chat", "--no-auto-continue", "hello"], {
        env: { ...rest, ...extra },
      });
      expect(result.code, result.stderr).toBe(0);
      expect(lastSession(cacheDir).records).toHaveLength(1);
    }
  });

  it("base-url: without flag, environment or file, the chat goes to https://api.robocoders.ai", async () => {
    // A proxy that records what it is asked to reach and refuses it (no network in tests).
    const asked: string[] = [];
    const sockets = new Set<Socket>();
    const proxy = createServer((socket) => {
      sockets.add(socket);
      socket.once("data", (data) => {
        asked.push(data.toString("latin1").split("\r\n")[0] ?? "");
        socket.end("HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
      });
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    try {
      const { env } = fresh();
      const { ROBOCODERS_BASE_URL: _drop, ...rest } = env;
      const port = (proxy.address() as { port: number }).port;
      const result = await runCli(["--timeout", "10", "chat", "--no-auto-continue", "hello"], {
        env: { ...rest, ROBOCODERS_PROXY: `http://127.0.0.1:${port}` },
      });
      expect(result.code).not.toBe(0);
      expect(asked[0]).toBe("CONNECT api.robocoders.ai:443 HTTP/1.1");
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });

  it("color", async () => {
    const ANSI = /\x1b\[/;
    // Colours show in the file views of --show-files, even through a pipe when the setting says always.
    const cases: Array<[Record<string, string>, Record<string, string>, string[], boolean]> = [
      [{}, {}, [], false],
      [{ color: "always" }, {}, [], true],
      [{ color: "always" }, { ROBOCODERS_COLOR: "never" }, [], false],
      [{ color: "always" }, { NO_COLOR: "1" }, [], false],
      [{ color: "never" }, { ROBOCODERS_COLOR: "always" }, [], true],
      [{ color: "never" }, { ROBOCODERS_COLOR: "always" }, ["--no-color"], false],
    ];
    for (const [file, extra, flags, coloured] of cases) {
      const { env } = fresh(file);
      const result = await runCli([...flags, "chat", "--show-files", "hello [[fault:write=a.py]]"], {
        env: { ...env, ...extra },
      });
      expect(result.code, result.stderr).toBe(0);
      expect(ANSI.test(result.stdout), JSON.stringify([file, extra, flags])).toBe(coloured);
      expect(result.stdout).toContain("a.py");
    }
  });

  it("an invalid environment value is skipped with a warning", async () => {
    const { env, cacheDir } = fresh({ agent: "RepoAgent" });
    const result = await runCli(["chat", "--no-auto-continue", "hello"], {
      env: { ...env, ROBOCODERS_AGENT: "NoSuchAgent", ROBOCODERS_COLOR: "sometimes" },
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      'robocoders: warning: ROBOCODERS_AGENT is ignored: Unknown agent "NoSuchAgent"',
    );
    expect(result.stderr).toContain(
      'robocoders: warning: ROBOCODERS_COLOR is ignored: "sometimes" is not one of',
    );
    expect(lastSession(cacheDir).records.map((r) => r.agent)).toEqual(["RepoAgent"]);
  });

  it("a corrupt settings file is ignored with one warning", async () => {
    const { env, cacheDir } = fresh();
    writeFileSync(join(cacheDir, "config", "config.json"), "{oops");
    const result = await runCli(["chat", "--no-auto-continue", "hello"], { env });
    expect(result.code).toBe(0);
    expect(result.stderr.match(/warning: .*config\.json is not valid JSON; it is ignored/g)).toHaveLength(1);
  });
});

describe("the session list and chat", () => {
  it("every chat records its session: agent, first prompt, base URL", async () => {
    const { env, cacheDir } = fresh();
    expect((await runCli(["chat", "--no-auto-continue", "-a", "repo", "First task"], { env })).code).toBe(0);
    const { sid } = lastSession(cacheDir);
    expect((await runCli(["chat", "-c", "--no-auto-continue", "Second message"], { env })).code).toBe(0);
    const list = JSON.parse((await runCli(["session", "list", "--json"], { env })).stdout) as Array<
      Record<string, unknown>
    >;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      sid,
      agent: "RepoAgent",
      firstPrompt: "First task",
      baseUrl: fx.emulator.url,
      name: null,
      current: true,
    });
  });

  it("--session and -c take session names; a word after -c that names no session starts the prompt", async () => {
    const { env, cacheDir } = fresh();
    await runCli(["chat", "--no-auto-continue", "Named task"], { env });
    const named = lastSession(cacheDir).sid;
    expect((await runCli(["session", "name", named, "work"], { env })).code).toBe(0);
    await runCli(["chat", "--no-auto-continue", "Other task"], { env });
    const other = lastSession(cacheDir).sid;
    expect(other).not.toBe(named);

    expect(
      (await runCli(["chat", "--no-auto-continue", "--session", "work", "via --session"], { env })).code,
    ).toBe(0);
    expect((await runCli(["chat", "--no-auto-continue", "-c", "work", "via -c"], { env })).code).toBe(0);
    expect(
      (await runCli(["chat", "--no-auto-continue", "-c", named, "via -c and the id"], { env })).code,
    ).toBe(0);
    const prompts = (sid: string) => fx.emulator.chats.filter((r) => r.sid === sid).map((r) => r.cleanPrompt);
    expect(prompts(named)).toEqual(["Named task", "via --session", "via -c", "via -c and the id"]);

    // `-c Now add a flag`: "Now" names no session, so it is the prompt's first word, in the last session.
    expect((await runCli(["chat", "--no-auto-continue", "-c", "Now add a flag"], { env })).code).toBe(0);
    const last = lastSession(cacheDir).sid;
    expect(prompts(last).at(-1)).toBe("Now add a flag");
  });
});
