/**
 * `robocoders chat` end to end: the built CLI as a child process against the emulator, non-terminal
 * output (exactly the library's text), stdin prompts, --json, --verbose and redaction, exit codes, Ctrl-C.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cacheFileName } from "../../src/client/options.js";
import { startEmulator } from "../../src/emulator/index.js";
import { RobocodersAPI } from "../../src/provider/index.js";
import { sentText } from "../support.js";
import { cliFixture, runCli, startCli, until } from "./helpers.js";

const fx = cliFixture();
/** The cache file of the fixture's emulator in a cache folder. */
const cacheFileIn = (cacheDir: string): string => join(cacheDir, cacheFileName(fx.emulator.url));
const fresh = () => fx.fresh();

function cachedToken(cacheDir: string): string {
  const parsed: unknown = JSON.parse(readFileSync(cacheFileIn(cacheDir), "utf8"));
  if (typeof parsed !== "object" || parsed === null || !("access_token" in parsed))
    throw new Error("no token");
  const token = parsed.access_token;
  if (typeof token !== "string") throw new Error("no token");
  return token;
}

function chatsOf(sid: string) {
  return fx.emulator.chats.filter((record) => record.sid === sid);
}

describe("chat output when stdout is not a terminal", () => {
  it.each([
    ["GeneralCodingAgent", "Write a Python script that adds two numbers"],
    ["RepoAgent", "Add a --verbose flag to the CLI in my repository"],
    ["FrontEndAgent", "Build a todo list page with React and Tailwind — schön & 😀"],
  ])("%s: --raw prints exactly the library's text for the same scenario", async (agent, prompt) => {
    const cli = fresh();
    const result = await runCli(["chat", "--raw", "-a", agent, prompt], { env: cli.env });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);

    const lib = fresh();
    const library = await RobocodersAPI.createAsync(agent, [{ role: "user", content: prompt }], {
      baseURL: fx.emulator.url,
      cacheDir: lib.cacheDir,
      proxy: false,
    });
    expect(result.stdout).toBe(library);
    expect(result.stdout.length).toBeGreaterThan(100);

    // And it is what the emulator sent: the first turn, then one automatic "continue".
    const sessionFile = JSON.parse(readFileSync(cacheFileIn(cli.cacheDir), "utf8")) as {
      sid: string;
    };
    const records = chatsOf(sessionFile.sid);
    expect(records.map((r) => r.cleanPrompt)).toEqual([prompt, "continue"]);
    expect(records.map((r) => r.agent)).toEqual([agent, agent]);
    expect(result.stdout).toBe(sentText(records));
  });

  it("reads the prompt from piped stdin", async () => {
    const { env, cacheDir } = fresh();
    const result = await runCli(["chat", "--raw", "--no-auto-continue"], {
      env,
      input: "Write a haiku generator\nin Rust\n",
    });
    expect(result.code).toBe(0);
    const { sid } = JSON.parse(readFileSync(cacheFileIn(cacheDir), "utf8")) as { sid: string };
    const records = chatsOf(sid);
    expect(records.map((r) => r.cleanPrompt)).toEqual(["Write a haiku generator\nin Rust"]);
    expect(result.stdout).toBe(records[0]?.texts.join(""));
  });

  it("keeps the text byte-exact under hostile chunking and stream quirks", async () => {
    const { env } = fresh();
    const prompt =
      "Write a Python script that adds two numbers [[fault:chunk=1, crlf, blank-lines, malformed, non-object, utf8]]";
    const result = await runCli(["chat", "--raw", "--no-auto-continue", prompt], { env });
    expect(result.code).toBe(0);
    const record = fx.emulator.chats.at(-1);
    expect(record?.texts.length).toBeGreaterThan(0);
    expect(result.stdout).toBe(record?.texts.join(""));
  });

  it("piped text: one blank line between the agent's texts, a final newline, nothing else added", async () => {
    const { env } = fresh();
    const result = await runCli(["chat", "Write a Python script that adds two numbers"], { env });
    expect(result.code).toBe(0);
    const records = fx.emulator.chats.slice(-2);
    const texts = records.flatMap((r) => r.texts).filter((text) => text !== "");
    expect(texts.length).toBeGreaterThan(3);
    let expected = "";
    for (const text of texts) {
      if (expected !== "")
        expected += expected.endsWith("\n\n") ? "" : expected.endsWith("\n") ? "\n" : "\n\n";
      expected += text;
    }
    if (!expected.endsWith("\n")) expected += "\n";
    expect(result.stdout).toBe(expected);
    // The texts that used to run into each other are apart.
    expect(result.stdout).not.toMatch(/🙂I'm asking/);
  });

  it("each one-shot chat starts a new session; -c continues the last one; --session picks one", async () => {
    const { env, cacheDir } = fresh();
    const first = await runCli(["chat", "--no-auto-continue", "Write a CLI calculator"], { env });
    expect(first.code).toBe(0);
    const firstSid = String((JSON.parse(readFileSync(cacheFileIn(cacheDir), "utf8")) as { sid: string }).sid);
    const second = await runCli(["chat", "--no-auto-continue", "Write a haiku generator"], { env });
    expect(second.code).toBe(0);
    const secondSid = String(
      (JSON.parse(readFileSync(cacheFileIn(cacheDir), "utf8")) as { sid: string }).sid,
    );
    // The second question went to a session of its own: the two answers do not mix.
    expect(secondSid).not.toBe(firstSid);
    expect(chatsOf(firstSid).map((r) => r.cleanPrompt)).toEqual(["Write a CLI calculator"]);
    expect(chatsOf(secondSid).map((r) => r.cleanPrompt)).toEqual(["Write a haiku generator"]);

    const continued = await runCli(["chat", "-c", "--no-auto-continue", "continue"], { env });
    expect(continued.code).toBe(0);
    expect(chatsOf(secondSid).map((r) => r.cleanPrompt)).toEqual(["Write a haiku generator", "continue"]);
    const long = await runCli(["chat", "--continue", "--no-auto-continue", "thanks"], { env });
    expect(long.code).toBe(0);
    expect(chatsOf(secondSid)).toHaveLength(3);

    const picked = await runCli(["chat", "--session", firstSid, "--no-auto-continue", "continue"], { env });
    expect(picked.code).toBe(0);
    expect(chatsOf(firstSid).map((r) => r.cleanPrompt)).toEqual(["Write a CLI calculator", "continue"]);
  });

  it("--max-continues and --no-auto-continue control the automatic continues", async () => {
    const { env, cacheDir } = fresh();
    const none = await runCli(["chat", "--no-auto-continue", "Write a CLI calculator"], { env });
    expect(none.code).toBe(0);
    const { sid } = JSON.parse(readFileSync(cacheFileIn(cacheDir), "utf8")) as { sid: string };
    expect(chatsOf(sid)).toHaveLength(1);
    const more = await runCli(["chat", "--max-continues", "3", "Write a CLI calculator"], {
      env,
    });
    expect(more.code).toBe(0);
    const after = JSON.parse(readFileSync(cacheFileIn(cacheDir), "utf8")) as { sid: string };
    // The script finishes on the second turn: no continue after `finish`.
    expect(chatsOf(after.sid).map((r) => r.cleanPrompt)).toEqual(["Write a CLI calculator", "continue"]);
  });

  it("accepts agent aliases", async () => {
    const { env, cacheDir } = fresh();
    const result = await runCli(["chat", "-a", "frontend", "--no-auto-continue", "a landing page"], { env });
    expect(result.code).toBe(0);
    const { sid } = JSON.parse(readFileSync(cacheFileIn(cacheDir), "utf8")) as { sid: string };
    expect(chatsOf(sid)[0]?.agent).toBe("FrontEndAgent");
  });
});

describe("chat --json", () => {
  it("prints one typed event per line, raw fields included", async () => {
    const { env } = fresh();
    const result = await runCli(
      ["chat", "--json", "[[verbose]] Write a Python script that adds two numbers"],
      { env },
    );
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const records = fx.emulator.chats.slice(-2);
    const sent = records.flatMap((r) => r.lines.filter((l) => l.kind === "event").map((l) => l.value));
    expect(events).toHaveLength(sent.length);
    expect(events.map((e) => e.raw)).toEqual(sent);
    expect(new Set(events.map((e) => e.kind))).toEqual(new Set(["action", "observation"]));
    const write = events.find((e) => e.action === "write");
    expect(write).toMatchObject({ kind: "action", action: "write", args: { path: expect.any(String) } });
  });
});

describe("chat --verbose and redaction", () => {
  it("logs every request on stderr, never the token", async () => {
    const { env, cacheDir } = fresh();
    const result = await runCli(["chat", "--verbose", "hello"], { env });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/→ GET \/auth 200 \d+ ms/);
    expect(result.stderr).toMatch(/→ GET \/create-session 200 \d+ ms/);
    expect(result.stderr.match(/→ POST \/chat 200 \d+ ms/g)).toHaveLength(2);
    const token = cachedToken(cacheDir);
    for (const part of [token, ...token.split(".").filter((p) => p.length > 16)]) {
      expect(result.stdout).not.toContain(part);
      expect(result.stderr).not.toContain(part);
    }
  });

  it("shows retries, and on errors a stack trace without the token", async () => {
    const { env } = fresh();
    const token = await fx.emulator.mintToken();
    const result = await runCli(["--verbose", "chat", "hello [[fault:status=503]]"], {
      env: { ...env, ROBOCODERS_ACCESS_TOKEN: token },
    });
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/→ POST \/chat 503/);
    expect(result.stderr).toContain("retry 2");
    expect(result.stderr).toMatch(/ServerError: .*\n\s+at /);
    for (const part of [token, ...token.split(".").filter((p) => p.length > 16)]) {
      expect(result.stdout + result.stderr).not.toContain(part);
    }
  });

  it("never shows the token of a failed authentication", async () => {
    const { env, cacheDir } = fresh();
    const result = await runCli(["chat", "--verbose", "hello [[fault:status=401]]"], { env });
    expect(result.code).toBe(3);
    const token = cachedToken(cacheDir);
    expect(result.stdout + result.stderr).not.toContain(token);
    expect(result.stdout + result.stderr).not.toContain(token.split(".")[2]);
  });
});

describe("chat errors and exit codes", () => {
  const cases: Array<{ name: string; args: string[]; code: number; message: RegExp }> = [
    {
      name: "401",
      args: ["chat", "hi [[fault:status=401]]"],
      code: 3,
      message: /Authentication failed.*robocoders login/,
    },
    { name: "403", args: ["chat", "hi [[fault:status=403]]"], code: 3, message: /Authentication failed/ },
    {
      name: "404",
      args: ["chat", "hi [[fault:status=404]]"],
      code: 4,
      message: /POST \/chat returned 404: Session not found.*start a new one/,
    },
    {
      name: "422",
      args: ["chat", "hi [[fault:status=422]]"],
      code: 4,
      message: /POST \/chat was rejected as invalid \(422\).*Field required/,
    },
    {
      name: "429",
      args: ["chat", "hi [[fault:status=429, retry-after=0]]"],
      code: 4,
      message: /POST \/chat was rate limited \(429\)/,
    },
    {
      name: "500",
      args: ["chat", "hi [[fault:status=500]]"],
      code: 5,
      message: /^robocoders: POST \/chat failed with a server error \(500\)(?!.*\(500\))/,
    },
    {
      name: "502",
      args: ["chat", "hi [[fault:status=502]]"],
      code: 5,
      message: /^robocoders: POST \/chat failed with a server error \(502\)(?!.*\(502\))/,
    },
    {
      name: "cut mid-line",
      args: ["chat", "hi [[fault:cut-mid-line=0]]"],
      code: 5,
      message: /stream broke off/,
    },
    {
      name: "timeout",
      args: ["--timeout", "0.5", "chat", "hi [[fault:slow-first-byte=5000]]"],
      code: 5,
      message: /longer than its time limit of 0.5 s. Raise --timeout/,
    },
    {
      name: "unknown agent",
      args: ["chat", "-a", "Nope", "hi"],
      code: 2,
      message: /Unknown agent "Nope".*GeneralCodingAgent, RepoAgent, FrontEndAgent/,
    },
    { name: "unknown flag", args: ["chat", "--bogus", "hi"], code: 2, message: /unknown option '--bogus'/ },
    { name: "bad number", args: ["chat", "--max-continues", "x", "hi"], code: 2, message: /--max-continues/ },
    {
      name: "conflicting flags",
      args: ["chat", "--session", "s", "-c", "hi"],
      code: 2,
      message: /cannot be used together/,
    },
    { name: "bad base URL", args: ["--base-url", "not a url", "chat", "hi"], code: 2, message: /.+/ },
  ];
  it.each(cases)("$name → exit $code with one clear line", async ({ args, code, message }) => {
    const { env } = fresh();
    const result = await runCli(args, { env });
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    if (code !== 2) {
      const lines = result.stderr.trimEnd().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^robocoders: /);
    }
  });

  it("a turn complete but for its terminating chunk is not an error: exit 0, and the continue follows", async () => {
    const { env } = fresh();
    const result = await runCli(["chat", "hi [[fault:missing-final-chunk]]"], { env });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const [first, second] = fx.emulator.chats.slice(-2);
    expect(first?.outcome).toBe("missing-final-chunk");
    expect(second?.cleanPrompt).toBe("continue");
    expect(second?.sid).toBe(first?.sid);
  });

  it("keeps the text that arrived before a broken stream", async () => {
    const { env } = fresh();
    const result = await runCli(
      ["chat", "--raw", "--no-auto-continue", "[[verbose]] hi [[fault:cut-mid-line=3]]"],
      {
        env,
      },
    );
    expect(result.code).toBe(5);
    // The emulator records the outcome once its side of the response is over, which can be after the CLI
    // has seen the cut and exited.
    await until(() => fx.emulator.chats.at(-1)?.outcome !== "streaming");
    const record = fx.emulator.chats.at(-1);
    expect(record?.outcome).toBe("cut-mid-line");
    const whole = (record?.lines ?? [])
      .filter((l) => l.kind === "event")
      .map((l) => l.text)
      .join("");
    expect(result.stdout).toBe(whole);
  });

  it("cannot reach the service → exit 5", async () => {
    const { env } = fresh();
    const closed = await startEmulator({ port: 0 });
    const url = closed.url;
    await closed.close();
    const result = await runCli(["chat", "hi"], { env: { ...env, ROBOCODERS_BASE_URL: url } });
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/^robocoders: Could not reach the service/);
  });

  it("an empty prompt on stdin is a usage error", async () => {
    const { env } = fresh();
    const before = fx.emulator.stats.totalRequests;
    const result = await runCli(["chat"], { env, input: "  \n" });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/prompt is empty/);
    expect(fx.emulator.stats.totalRequests).toBe(before);
  });
});

describe("Ctrl-C", () => {
  it("aborts the request mid-stream and exits 130", async () => {
    const { env } = fresh();
    fx.emulator.addFault({ silenceMs: 2_000, endpoint: "chat" });
    const abortedBefore = fx.emulator.stats.chatStreams.aborted;
    const cli = startCli(
      ["chat", "--no-auto-continue", "[[verbose]] Write a Python script that adds two numbers"],
      { env },
    );
    await cli.waitForStdout("Thanks!");
    cli.child.kill("SIGINT");
    const result = await cli.done;
    expect(result.code).toBe(130);
    expect(result.stderr).toBe("robocoders: Interrupted.\n");
    await until(() => fx.emulator.stats.chatStreams.aborted === abortedBefore + 1);
  });
});

describe("stdout closed early", () => {
  it("ends quietly when the reader goes away", async () => {
    const { env } = fresh();
    fx.emulator.addFault({ silenceMs: 300, endpoint: "chat" });
    const cli = startCli(["chat", "--no-auto-continue", "[[verbose]] Write a Python script"], { env });
    await cli.waitForStdout("Thanks!");
    cli.child.stdout?.destroy();
    const result = await cli.done;
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain("EPIPE");
  });
});
