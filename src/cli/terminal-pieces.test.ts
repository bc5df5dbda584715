import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { completionScript, completionTree } from "./completion.js";
import { readConfigFile, resolveSetting } from "./config.js";
import { processIO } from "./context.js";
import { createProgram } from "./program.js";
import { findSession, MAX_SESSIONS, SessionRegistry } from "./sessions.js";
import { createSpinner, formatElapsed } from "./spinner.js";

const dirs: string[] = [];
const temp = () => {
  const dir = mkdtempSync(join(tmpdir(), "robocoders-pieces-"));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("spinner", () => {
  it("formats the elapsed time", () => {
    expect([0, 999, 42_000, 185_000, 3_725_000].map(formatElapsed)).toEqual([
      "0s",
      "0s",
      "42s",
      "3m 05s",
      "1h 02m",
    ]);
  });

  it("shows the time elapsed since the turn began, across restarts", () => {
    let now = 1_000;
    const writes: string[] = [];
    const stream = { isTTY: true, write: (t: string) => writes.push(t) } as unknown as NodeJS.WriteStream;
    const spinner = createSpinner(stream, { now: () => now, intervalMs: 60_000 });
    spinner.start("thinking…");
    expect(writes.at(-1)).toBe("\r⠋ thinking… (0s)\x1b[K");
    spinner.stop();
    now = 66_000;
    spinner.start("working…", 1_000);
    expect(writes.at(-1)).toBe("\r⠙ working… (1m 05s)\x1b[K");
    spinner.stop();
    expect(writes.at(-1)).toBe("\r\x1b[K");
  });
});

describe("session registry", () => {
  it("records first prompts once, keeps the most recent first, finds by name, id and prefix", async () => {
    const dir = temp();
    const registry = new SessionRegistry(dir);
    const base = { agent: "GeneralCodingAgent", baseUrl: "http://x" };
    await registry.record({ ...base, sid: "aaaa-1", prompt: "first\n  prompt", at: new Date(1000) });
    await registry.record({ ...base, sid: "bbbb-2", prompt: "other", at: new Date(2000) });
    await registry.record({ ...base, sid: "aaaa-1", prompt: "later prompt", at: new Date(3000) });
    const list = await registry.list();
    expect(list.map((s) => [s.sid, s.firstPrompt])).toEqual([
      ["aaaa-1", "first prompt"],
      ["bbbb-2", "other"],
    ]);
    expect(statSync(registry.file).mode & 0o777).toBe(0o600);
    expect((await registry.name("bbbb", "demo"))?.sid).toBe("bbbb-2");
    expect((await registry.name("aaaa-1", "demo"))?.sid).toBe("aaaa-1");
    expect((await registry.list()).map((s) => s.name)).toEqual(["demo", undefined]);
    expect(findSession(list, "aaa")).toBeUndefined();
    expect(findSession(list, "")).toBeUndefined();
    expect((await registry.find("demo"))?.sid).toBe("aaaa-1");
    expect((await registry.forget("demo"))?.sid).toBe("aaaa-1");
    expect((await registry.list()).map((s) => s.sid)).toEqual(["bbbb-2"]);
    expect(await registry.forget("nope")).toBeUndefined();
  });

  it("keeps at most MAX_SESSIONS and survives concurrent records", async () => {
    const registry = new SessionRegistry(temp());
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        registry.record({ sid: `s${i}`, agent: "a", prompt: "p", baseUrl: "u", at: new Date(i * 1000) }),
      ),
    );
    expect(await registry.list()).toHaveLength(30);
    expect(MAX_SESSIONS).toBe(200);
  });

  it("drops malformed entries and treats a corrupt file as empty", async () => {
    const dir = temp();
    const registry = new SessionRegistry(dir);
    writeFileSync(
      registry.file,
      JSON.stringify({
        sessions: [{ sid: 1 }, { sid: "ok", agent: "a", firstPrompt: "", lastUsed: "x", baseUrl: "u" }],
      }),
    );
    expect((await registry.list()).map((s) => s.sid)).toEqual(["ok"]);
    writeFileSync(registry.file, "{");
    expect(await registry.list()).toEqual([]);
    await registry.record({ sid: "new", agent: "a", prompt: "p", baseUrl: "u" });
    expect(JSON.parse(readFileSync(registry.file, "utf8")).sessions).toHaveLength(1);
  });
});

describe("config precedence", () => {
  it("takes flag, then environment, then file, then default", () => {
    const file = { values: { agent: "RepoAgent" as const } };
    expect(resolveSetting("agent", "FrontEndAgent", { ROBOCODERS_AGENT: "general" }, file)).toEqual({
      value: "FrontEndAgent",
      source: "flag",
    });
    expect(resolveSetting("agent", undefined, { ROBOCODERS_AGENT: "ui" }, file)).toEqual({
      value: "FrontEndAgent",
      source: "env",
    });
    expect(resolveSetting("agent", undefined, { ROBOCODERS_AGENT: "bogus" }, file)).toEqual({
      value: "RepoAgent",
      source: "file",
    });
    expect(resolveSetting("agent", undefined, {}, { values: {} })).toEqual({
      value: "GeneralCodingAgent",
      source: "default",
    });
    expect(
      resolveSetting("color", undefined, { FORCE_COLOR: "1", ROBOCODERS_COLOR: "never" }, { values: {} })
        .value,
    ).toBe("always");
    expect(resolveSetting("color", undefined, { FORCE_COLOR: "0" }, { values: { color: "never" } })).toEqual({
      value: "never",
      source: "file",
    });
  });

  it("keeps the valid settings of a file with invalid ones, and says which were ignored", () => {
    const dir = temp();
    writeFileSync(
      join(dir, "config.json"),
      JSON.stringify({ agent: "nope", "auto-continue": 2, extra: true }),
    );
    const file = readConfigFile({ ROBOCODERS_CONFIG_DIR: dir });
    expect(file.values).toEqual({ "auto-continue": "2" });
    expect(file.warning).toMatch(/invalid agent ignored/);
  });
});

describe("completion tree", () => {
  it("lists every command with its options and what its arguments complete to", () => {
    const program = createProgram(processIO(), "0.0.0");
    const tree = completionTree(program);
    const node = (path: string) => tree.find((n) => n.path.join(" ") === path);
    expect(node("")?.subcommands).toEqual(
      expect.arrayContaining(["chat", "session", "config", "completion"]),
    );
    expect(node("session use")?.argument).toBe("sessions");
    expect(node("config set")?.argument).toBe("settings");
    expect(node("chat")?.options.find((o) => o.long === "--agent")).toMatchObject({
      short: "-a",
      takesValue: true,
    });
    expect(completionScript("bash", program)).toContain(
      "complete -o default -F _robocoders_complete robocoders",
    );
  });
});
