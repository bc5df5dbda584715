/**
 * Every other command end to end: --version and --help (and that they load nothing heavy), models,
 * login/logout/status, session, get-code, emulate, serve and demo.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { processIO } from "../../src/cli/context.js";
import { createProgram, HONOURED_GLOBALS } from "../../src/cli/program.js";
import { cacheFileName } from "../../src/client/options.js";
import { runRecordingModules } from "../support.js";
import { CLI, cliEnv, cliFixture, ROOT, runCli, startCli } from "./helpers.js";

const fx = cliFixture();
/** The cache file of the fixture's emulator in a cache folder. */
const cacheFileIn = (cacheDir: string): string => join(cacheDir, cacheFileName(fx.emulator.url));
const fresh = () => fx.fresh();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function readCache(cacheDir: string): Record<string, unknown> {
  const file = cacheFileIn(cacheDir);
  if (!existsSync(file)) return {};
  return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
}

describe("--version and --help", () => {
  it("--version prints package.json's version", async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    const result = await runCli(["--version"]);
    expect(result).toMatchObject({ code: 0, stdout: `${pkg.version}\n`, stderr: "" });
  });

  it("--help lists every command and the exit codes", async () => {
    const result = await runCli(["--help"]);
    expect(result.code).toBe(0);
    for (const command of [
      "chat",
      "models",
      "login",
      "logout",
      "status",
      "session",
      "get-code",
      "emulate",
      "serve",
      "keys",
      "demo",
    ]) {
      expect(result.stdout).toMatch(new RegExp(`^  ${command}\\b`, "m"));
    }
    expect(result.stdout).toContain("130  interrupted");
  });

  it.each(
    [
      ["chat"],
      ["models"],
      ["login"],
      ["logout"],
      ["status"],
      ["session"],
      ["session", "new"],
      ["session", "show"],
      ["get-code"],
      ["emulate"],
      ["serve"],
      ["keys", "add"],
      ["keys", "list"],
      ["keys", "revoke"],
      ["demo"],
    ].map((command) => ({ name: command.join(" "), command })),
  )("$name --help", async ({ command }) => {
    const result = await runCli([...command, "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Usage: robocoders ${command.join(" ")}`);
    expect(result.stderr).toBe("");
  });

  it.each(
    [
      { command: ["chat"], globals: ["--base-url", "--proxy", "--timeout", "--verbose", "--no-color"] },
      { command: ["get-code"], globals: ["--base-url", "--proxy", "--timeout", "--verbose", "--no-color"] },
      { command: ["mcp"], globals: ["--base-url", "--proxy", "--timeout", "--verbose"] },
      { command: ["demo"], globals: ["--timeout", "--verbose", "--no-color"] },
      { command: ["models"], globals: ["--no-color"] },
      { command: ["emulate"], globals: ["--no-color"] },
      { command: ["logout"], globals: ["--base-url"] },
      { command: ["session", "use"], globals: [] },
      { command: ["config", "set"], globals: [] },
      { command: ["completion"], globals: [] },
    ].map((c) => ({ ...c, name: c.command.join(" ") })),
  )("$name --help lists only the global options it honours", async ({ command, globals }) => {
    const result = await runCli([...command, "--help"]);
    expect(result.code).toBe(0);
    const section = /^Global Options:\n((?:[ ]+.*\n)*)/m.exec(result.stdout)?.[1] ?? "";
    const listed = [...section.matchAll(/^ {2}(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]);
    expect(listed).toEqual(globals);
    if (globals.length === 0) expect(result.stdout).not.toContain("Global Options:");
  });

  it("every subcommand says which global options it honours", () => {
    const program = createProgram(processIO(), "0.0.0");
    const paths: string[] = [];
    const walk = (command: Command, prefix: string[]) => {
      for (const sub of command.commands) {
        const path = [...prefix, sub.name()];
        paths.push(path.join(" "));
        walk(sub, path);
      }
    };
    walk(program, []);
    expect(paths.length).toBeGreaterThan(20);
    expect(paths.filter((path) => !(path in HONOURED_GLOBALS))).toEqual([]);
  });

  it("an unknown command is a usage error", async () => {
    const result = await runCli(["frobnicate"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown command 'frobnicate'");
  });

  it.each(
    [["--version"], ["--help"], ["chat", "--help"], ["serve", "--help"]].map((args) => ({
      name: args.join(" "),
      args,
    })),
  )("$name loads no HTTP stack, HTML parser, emulator or gateway", async ({ args }) => {
    const result = await runRecordingModules([CLI, ...args], cliEnv({}));
    expect(result.status).toBe(0);
    const loaded = result.loaded;
    // The hook saw the entry point; --version is answered before even commander loads.
    expect(loaded).toContain("/dist/cli/main.js");
    if (args[0] === "--version") expect(loaded).not.toContain("/node_modules/commander/");
    else expect(loaded).toContain("/node_modules/commander/");
    for (const heavy of [
      "/node_modules/htmlparser2/",
      "/node_modules/undici/",
      "/node_modules/hono/",
      "/node_modules/@hono/",
      "/node_modules/jose/",
      "/dist/client/robocoders.js",
      "/dist/emulator/",
      "/dist/server/",
      "/dist/store/",
      "/node_modules/ioredis/",
    ]) {
      expect(loaded).not.toContain(heavy);
    }
  });
});

describe("models", () => {
  it("lists the three agents with a description each", async () => {
    const result = await runCli(["models"]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^GeneralCodingAgent\s+\S.+\(default\)/);
    expect(lines[1]).toMatch(/^RepoAgent\s+\S.+/);
    expect(lines[2]).toMatch(/^FrontEndAgent\s+\S.+React/);
    expect(result.stdout).not.toContain("\x1b[");
  });

  it("--json", async () => {
    const result = await runCli(["models", "--json"]);
    const list = JSON.parse(result.stdout) as Array<{ id: string; description: string; default: boolean }>;
    expect(list.map((m) => m.id)).toEqual(["GeneralCodingAgent", "RepoAgent", "FrontEndAgent"]);
    expect(list.every((m) => m.description.length > 10)).toBe(true);
    expect(list.filter((m) => m.default).map((m) => m.id)).toEqual(["GeneralCodingAgent"]);
  });
});

describe("login, logout, status", () => {
  it("login fetches a token from /auth; status shows its expiry, never the token; logout removes it", async () => {
    const { env, cacheDir } = fresh();
    const before = fx.emulator.stats.tokensIssued;
    const login = await runCli(["login"], { env });
    expect(login.code).toBe(0);
    expect(fx.emulator.stats.tokensIssued).toBe(before + 1);
    expect(login.stderr).toMatch(/Logged in\. The token expires \d{4}-\d\d-\d\dT.* \(in 36[45] days\)/);
    const token = readCache(cacheDir).access_token;
    expect(typeof token).toBe("string");

    const status = await runCli(["status"], { env });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(cacheFileIn(cacheDir));
    expect(status.stdout).toMatch(/Token:\s+cached, expires \d{4}-/);
    expect(status.stdout).toMatch(/Session:\s+none/);
    const json = await runCli(["status", "--json"], { env });
    expect(JSON.parse(json.stdout)).toMatchObject({ tokenSource: "cache", tokenExpired: false, sid: null });
    for (const out of [login, status, json]) expect(out.stdout + out.stderr).not.toContain(String(token));

    const logout = await runCli(["logout"], { env });
    expect(logout.code).toBe(0);
    expect(readCache(cacheDir).access_token).toBeUndefined();
    const after = await runCli(["status", "--json"], { env });
    expect(JSON.parse(after.stdout)).toMatchObject({ tokenSource: "none", tokenExpiresAt: null });
  });

  it("login --token stores a given JWT without printing it, also from stdin", async () => {
    const { env, cacheDir } = fresh();
    const token = await fx.emulator.mintToken({ expiresInSeconds: 3600 });
    const before = fx.emulator.stats.totalRequests;
    const result = await runCli(["--verbose", "login", "--token", token], { env });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/in (59 minutes|1 hour)/);
    expect(result.stdout + result.stderr).not.toContain(token);
    expect(readCache(cacheDir).access_token).toBe(token);
    expect(fx.emulator.stats.totalRequests).toBe(before);

    const other = fresh();
    const piped = await runCli(["login", "--token", "-"], { env: other.env, input: `${token}\n` });
    expect(piped.code).toBe(0);
    expect(readCache(other.cacheDir).access_token).toBe(token);
  });

  it("login --token refuses what is not an unexpired JWT", async () => {
    const { env, cacheDir } = fresh();
    const expired = await fx.emulator.mintToken({ expiresInSeconds: -60 });
    const bad = await runCli(["login", "--token", "not-a-jwt"], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^robocoders: The access token is not a JWT/);
    const old = await runCli(["login", "--token", expired], { env });
    expect(old.code).toBe(2);
    expect(old.stderr).toMatch(/expired/);
    expect(old.stderr).not.toContain(expired);
    expect(readCache(cacheDir).access_token).toBeUndefined();
  });

  it("login when /auth fails → exit 5", async () => {
    const { env } = fresh();
    fx.emulator.addFault({ status: 503, endpoint: "auth" });
    const result = await runCli(["login"], { env });
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/^robocoders: GET \/auth failed with a server error \(503\)/);
  });
});

describe("session", () => {
  it("session new creates, caches and prints a session; session show prints it", async () => {
    const { env } = fresh();
    const empty = await runCli(["session", "show"], { env });
    expect(empty).toMatchObject({ code: 0, stdout: "" });
    expect(empty.stderr).toContain("No session yet");

    const created = await runCli(["session", "new"], { env });
    expect(created.code).toBe(0);
    const sid = created.stdout.trim();
    expect(sid).toMatch(UUID);
    expect(fx.emulator.hasSession(sid)).toBe(true);
    const shown = await runCli(["session", "show"], { env });
    expect(shown.stdout).toBe(`${sid}\n`);
    const json = await runCli(["session", "show", "--json"], { env });
    expect(JSON.parse(json.stdout)).toEqual({ sid });

    // `chat -c` talks in it.
    const chat = await runCli(["chat", "-c", "--no-auto-continue", "hello"], { env });
    expect(chat.code).toBe(0);
    expect(fx.emulator.chats.at(-1)?.sid).toBe(sid);
  });

  it("session new with a rejected token → exit 3", async () => {
    const { env } = fresh();
    fx.emulator.addFault({ status: 401, endpoint: ["auth", "create-session"] });
    const result = await runCli(["session", "new"], { env });
    expect(result.code).toBe(3);
  });
});

describe("a cache folder that cannot be written", () => {
  it("login, session new fail with a clear error and exit 1 within a second; nothing claims success", async () => {
    const { env } = fresh();
    for (const args of [["login"], ["session", "new"]]) {
      const started = Date.now();
      const result = await runCli(args, { env: { ...env, ROBOCODERS_CACHE_DIR: "/proc/nonexist" } });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /Could not write the credential cache \/proc\/nonexist\/.*ROBOCODERS_CACHE_DIR/,
      );
      expect(result.stderr).not.toMatch(/Logged in|Saved|Unexpected/);
      expect(result.stdout).toBe("");
    }
  });

  it("config set and unset under /proc fail with a clear error within seconds (no mkdir loop)", async () => {
    const { env } = fresh();
    for (const args of [
      ["config", "set", "agent", "repo"],
      ["config", "unset", "agent"],
    ]) {
      const run = startCli(args, { env: { ...env, ROBOCODERS_CONFIG_DIR: "/proc/nonexist/robocoders" } });
      const killer = setTimeout(() => run.child.kill("SIGKILL"), 10_000);
      const result = await run.done.finally(() => clearTimeout(killer));
      expect(result.signal).toBeNull();
      // As for the credential cache: a file that cannot be written is not a usage error.
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /Could not write the settings file \/proc\/nonexist\/robocoders\/config\.json \(ENOENT\)\. .*ROBOCODERS_CONFIG_DIR/,
      );
      expect(result.stderr).not.toMatch(/saved|removed|Unexpected/);
    }
  });

  it("login --token under a file fails with exit 1", async () => {
    const { env, cacheDir } = fresh();
    writeFileSync(join(cacheDir, "file"), "");
    const token = await fx.emulator.mintToken();
    const result = await runCli(["login", "--token", token], {
      env: { ...env, ROBOCODERS_CACHE_DIR: join(cacheDir, "file", "cache") },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Could not write the credential cache/);
    expect(result.stderr).not.toContain(token);
  });

  it("a chat still answers and warns once on stderr, without --verbose", async () => {
    const { env } = fresh();
    const result = await runCli(["chat", "hello"], {
      env: { ...env, ROBOCODERS_CACHE_DIR: "/proc/nonexist" },
    });
    expect(result.code).toBe(0);
    expect(result.stdout.length).toBeGreaterThan(0);
    const warnings = result.stderr.split("\n").filter((line) => line.includes("warning"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/Could not write the credential cache.*kept in memory/);
  });
});

describe("a base URL that is not the API", () => {
  it("says so, naming the URL, and keeps the cached session", async () => {
    const { env, cacheDir } = fresh();
    const first = await runCli(["session", "new"], { env });
    expect(first.code).toBe(0);
    const before = readCache(cacheDir);
    // Another server on the same base URL: /chat, /create-session and /auth all answer 404.
    fx.emulator.setFaults("status=404, endpoint=chat+create-session+auth");
    const result = await runCli(["chat", "--session", String(before.sid), "hello"], { env });
    fx.emulator.clearFaults();
    expect(result.code).not.toBe(0);
    expect(readCache(cacheDir)).toEqual(before);
    const wrong = await runCli(["--base-url", `${fx.emulator.url}/v1`, "chat", "hello"], { env });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(`${fx.emulator.url}/v1 does not look like the Robocoders API`);
    expect(wrong.stderr).not.toMatch(/session may have expired/);
    expect(readCache(cacheDir)).toEqual(before);
  });

  it("a base URL that is not an http(s) URL is a usage error naming it", async () => {
    const { env } = fresh();
    for (const [args, extra] of [
      [["--base-url", "htp://api.example", "chat", "hello"], {}],
      [["chat", "hello"], { ROBOCODERS_BASE_URL: "htp://api.example" }],
    ] as const) {
      const result = await runCli([...args], { env: { ...env, ...extra } });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(
        'The base URL "htp://api.example" is not a valid http(s) URL: it must start with http:// or https://',
      );
      expect(result.stderr).not.toMatch(/got htp:/);
    }
  });
});

describe("get-code", () => {
  it("prints the repository URL of the session", async () => {
    const { env } = fresh();
    const sid = (await runCli(["session", "new"], { env })).stdout.trim();
    const result = await runCli(["get-code", "octocat"], { env });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^https:\/\/github\.com\/\S+\n$/);
    expect(result.stdout).toContain(sid);
    expect(result.stderr).toContain("Collaborator added successfully");
    const json = await runCli(["get-code", "octocat", "--json", "--session", sid], { env });
    expect(JSON.parse(json.stdout)).toMatchObject({ repoUrl: expect.stringContaining(sid) });
  });

  it("without a session it says to chat first → exit 2", async () => {
    const { env } = fresh();
    const result = await runCli(["get-code", "octocat"], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^robocoders: There is no current session/);
    // It names the flag get-code has, not one it lacks.
    expect(result.stderr).toContain("--session <sid>");
    expect(result.stderr).not.toMatch(/--new-session|pass a sid/);
  });

  it("rejects an invalid user name before any request", async () => {
    const { env } = fresh();
    const before = fx.emulator.stats.totalRequests;
    const result = await runCli(["get-code", "not a user"], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("not a valid GitHub user name");
    expect(fx.emulator.stats.totalRequests).toBe(before);
  });

  it("a 422 from the service → exit 4 with its message", async () => {
    const { env } = fresh();
    await runCli(["session", "new"], { env });
    fx.emulator.addFault({ status: 422, endpoint: "get-session-code" });
    const result = await runCli(["get-code", "octocat"], { env });
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/\(422\).*Field required/);
  });
});

/** Starts a long-running command and returns the URL it prints on stdout. */
async function startServerCommand(args: string[], env: Record<string, string> = {}) {
  const cli = startCli(args, { env, keepStdinOpen: true });
  const stdout = await cli.waitForStdout(/^http:\/\/\S+\n/m);
  const url = stdout.trim().split("\n")[0] ?? "";
  return { cli, url };
}

describe("emulate", () => {
  it("serves the API on the printed URL until SIGTERM", async () => {
    const { cli, url } = await startServerCommand(["emulate", "--port", "0"]);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const auth = await fetch(`${url}/auth`);
    expect(auth.status).toBe(200);
    expect(await auth.text()).toContain('id="token"');
    // The CLI talks to it too.
    const { env } = fresh();
    const models = await runCli(["session", "new"], { env: { ...env, ROBOCODERS_BASE_URL: url } });
    expect(models.stdout.trim()).toMatch(UUID);
    cli.child.kill("SIGTERM");
    const result = await cli.done;
    expect(result.code).toBe(0);
  });

  it("--verbose-events and --fault shape the streams", async () => {
    const { cli, url } = await startServerCommand([
      "emulate",
      "--port",
      "0",
      "--verbose-events",
      "--fault",
      "status=503, endpoint=chat, count=3",
    ]);
    const { env } = fresh();
    const target = { ...env, ROBOCODERS_BASE_URL: url };
    // The first call and its two retries get 503; the next call streams, with observations.
    const failed = await runCli(["chat", "hi"], { env: target });
    expect(failed.code).toBe(5);
    const ok = await runCli(["chat", "--json", "--no-auto-continue", "hi"], { env: target });
    expect(ok.code).toBe(0);
    const kinds = ok.stdout
      .trimEnd()
      .split("\n")
      .map((line) => (JSON.parse(line) as { kind: string }).kind);
    expect(kinds).toContain("observation");
    cli.child.kill("SIGINT");
    expect((await cli.done).code).toBe(0);
  });

  it("a bad --port is a usage error", async () => {
    const result = await runCli(["emulate", "--port", "70000"]);
    expect(result.code).toBe(2);
  });
});

describe("serve", () => {
  it("runs the gateway on the printed URL, in front of the API", async () => {
    const { cli, url } = await startServerCommand(["serve", "--port", "0", "--grace", "0"], {
      ROBOCODERS_BASE_URL: fx.emulator.url,
      ROBOCODERS_CACHE_DIR: fresh().cacheDir,
    });
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    const models = (await (await fetch(`${url}/v1/models`)).json()) as { data: Array<{ id: string }> };
    expect(models.data.map((m) => m.id)).toContain("GeneralCodingAgent");
    const completion = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "GeneralCodingAgent", messages: [{ role: "user", content: "hello" }] }),
    });
    expect(completion.status).toBe(200);
    cli.child.kill("SIGTERM");
    expect((await cli.done).code).toBe(0);
  });

  it("requires the API key when one is set", async () => {
    const { cli, url } = await startServerCommand(
      ["serve", "--port", "0", "--grace", "0", "--api-key", "sk-test-key-123"],
      {
        ROBOCODERS_BASE_URL: fx.emulator.url,
      },
    );
    expect((await fetch(`${url}/v1/models`)).status).toBe(401);
    const ok = await fetch(`${url}/v1/models`, { headers: { authorization: "Bearer sk-test-key-123" } });
    expect(ok.status).toBe(200);
    cli.child.kill("SIGTERM");
    const result = await cli.done;
    expect(result.stdout + result.stderr).not.toContain("sk-test-key-123");
  });

  it("refuses a non-loopback host without an API key", async () => {
    const result = await runCli(["serve", "--host", "0.0.0.0", "--port", "0"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^robocoders: .*0\.0\.0\.0/);
  });
});

describe("demo", () => {
  it.each([
    [["demo", "-a", "bogus"], /Unknown agent "bogus"/],
    [["demo", "--prompt", ""], /--prompt is empty/],
    [["--base-url", "http://127.0.0.1:9", "demo"], /demo does not use --base-url/],
  ])("%j is a usage error before anything starts", async (args, message) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe("");
  });

  it("runs a whole conversation offline, cleans up and exits 0", async () => {
    const result = await runCli(["demo"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Emulator listening on http:\/\/127\.0\.0\.1:\d+/);
    expect(result.stdout).toContain("Access token scraped from GET /auth");
    expect(result.stdout).toMatch(/Session [0-9a-f-]{36} created/);
    expect(result.stdout).toContain("$ python3");
    expect(result.stdout).toContain("✎ write");
    expect(result.stdout).toContain("↻ continue (sent automatically)");
    expect(result.stdout).toContain("✔ finished");
    expect(result.stdout).toContain("Demo finished");
    expect(result.stdout).not.toContain("\x1b[");
    expect(result.stdout).not.toMatch(/eyJ[\w-]+\.[\w-]+/);
    const cacheFile = /cached in (\S+robocoders\S*\.json)/.exec(result.stdout)?.[1];
    expect(cacheFile).toBeDefined();
    expect(existsSync(cacheFile ?? "")).toBe(false);
  });
});
