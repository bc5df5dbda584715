import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { referenceOutput, useWorld } from "./helpers.js";

const w = useWorld();

const TASK = "Write a Python function that adds two numbers";
const cacheFile = () => w.cacheFile;
/** A token this emulator rejects with 401 (signed with another secret, not expired). */
const foreignToken = () => w.emulator.mintToken({ secret: "another secret, another server" });

describe("token refresh is single-flight within a process", () => {
  it("ten concurrent calls rejected with the same cached token share one /auth fetch", async () => {
    await mkdir(w.cacheDir, { recursive: true });
    await writeFile(cacheFile(), JSON.stringify({ access_token: await foreignToken() }));
    const client = w.client();
    const texts = await Promise.all(
      Array.from({ length: 10 }, () => client.chat(TASK, { maxContinues: 0, newSession: true }).finalText()),
    );
    expect(w.emulator.stats.requests.auth).toBe(1);
    expect(w.emulator.stats.statuses["create-session"][401]).toBe(10);
    expect(texts.every((text) => text.length > 0)).toBe(true);
  });

  it("without a cache file too: ten concurrent 401s, one /auth fetch", async () => {
    const client = w.client({ cacheDir: false });
    await client.getAccessToken();
    const sids = Array.from({ length: 10 }, () => w.emulator.createSession());
    // Each call's first /chat request is refused, whatever its token.
    const texts = await Promise.all(
      sids.map((sid, i) =>
        client.chat(`${TASK} [[fault:status=401, count=1, tag=t${i}]]`, { maxContinues: 0, sid }).finalText(),
      ),
    );
    expect(w.emulator.stats.requests.auth).toBe(2);
    expect(w.emulator.stats.statuses.chat[401]).toBe(10);
    expect(texts.join("")).toBe(referenceOutput(w.emulator).slice(0, texts.join("").length));
  });

  it("ten concurrent first calls on a cold client share one /auth fetch", async () => {
    const client = w.client({ cacheDir: false });
    await Promise.all(Array.from({ length: 10 }, () => client.getAccessToken()));
    expect(w.emulator.stats.requests.auth).toBe(1);
  });
});

describe("a call with a session of its own keeps it to itself", () => {
  it("ten concurrent newSession calls, each rejected once with 401 on /chat, never share a session", async () => {
    const client = w.client();
    await client.getAccessToken();
    const calls = Array.from({ length: 10 }, async (_, i) => {
      const stream = client.chat(`${TASK} <call-${i}> [[fault:status=401, count=1, tag=call-${i}]]`, {
        maxContinues: 0,
        newSession: true,
      });
      return { marker: `<call-${i}>`, text: await stream.finalText(), sid: stream.sid };
    });
    const results = await Promise.all(calls);
    expect(w.emulator.stats.statuses.chat[401]).toBe(10);
    // Each call's prompt reached a session no other call used, and each call got exactly its own turn.
    const sids = results.map((r) => r.sid);
    expect(new Set(sids).size).toBe(10);
    for (const r of results) {
      const records = w.emulator.chats.filter((c) => c.sid === r.sid);
      expect(records.map((c) => c.cleanPrompt)).toEqual([`${TASK} ${r.marker}`]);
      expect(r.text).toBe(records[0]?.texts.join(""));
    }
  });
});

describe("persistSession: false", () => {
  it("creates sessions without writing them to the cache, while the token is still cached", async () => {
    const client = w.client();
    await client.chat(TASK, { maxContinues: 0 }).finalText();
    const before = await readFile(cacheFile(), "utf8");
    const mtime = (await stat(cacheFile())).mtimeMs;
    const cachedSid = (JSON.parse(before) as { sid: string }).sid;

    const streams = Array.from({ length: 5 }, () =>
      client.chat(TASK, { maxContinues: 0, newSession: true, persistSession: false }),
    );
    await Promise.all(streams.map((stream) => stream.finalText()));
    const sids = streams.map((stream) => stream.sid);
    expect(new Set(sids).size).toBe(5);
    expect(sids).not.toContain(cachedSid);
    for (const sid of sids) expect(w.emulator.hasSession(String(sid))).toBe(true);
    expect(await readFile(cacheFile(), "utf8")).toBe(before);
    expect((await stat(cacheFile())).mtimeMs).toBe(mtime);

    // The cached session is still the current one.
    const next = client.chat(TASK, { maxContinues: 0 });
    await next.finalText();
    expect(next.sid).toBe(cachedSid);
  });
});
