import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cacheFileName } from "../../src/client/options.js";
import { DEFAULT_BASE_URL } from "../../src/client/types.js";
import { AuthenticationError, CacheWriteError, InvalidArgumentError } from "../../src/core/errors.js";
import { startEmulator } from "../../src/emulator/index.js";
import { recordingLogger, rejection, useWorld } from "./helpers.js";

const w = useWorld();

const cacheFile = () => w.cacheFile;
const readCache = async (): Promise<Record<string, unknown>> =>
  JSON.parse(await readFile(cacheFile(), "utf8")) as Record<string, unknown>;

/** The file as Python's `json.dump` writes it (`", "` and `": "` separators, no newline). */
async function writePythonCache(data: Record<string, string>): Promise<void> {
  await mkdir(w.cacheDir, { recursive: true });
  const body = Object.entries(data)
    .map(([key, value]) => `${JSON.stringify(key)}: ${JSON.stringify(value)}`)
    .join(", ");
  await writeFile(cacheFile(), `{${body}}`);
}

describe("token from /auth and the cache", () => {
  it("scrapes /auth once, caches token and session with owner-only permissions, and reuses them", async () => {
    const first = w.client();
    await first.chat("Add two numbers", { maxContinues: 0 }).finalText();
    expect(w.emulator.stats.requests.auth).toBe(1);
    expect(w.emulator.stats.sessionsCreated).toBe(1);

    const data = await readCache();
    expect(typeof data.access_token).toBe("string");
    expect(w.emulator.hasSession(String(data.sid))).toBe(true);
    expect((await stat(cacheFile())).mode & 0o777).toBe(0o600);
    expect((await stat(w.cacheDir)).mode & 0o777).toBe(0o700);

    const second = w.client();
    await second.chat("Add two numbers", { maxContinues: 0 }).finalText();
    expect(w.emulator.stats.requests.auth).toBe(1);
    expect(w.emulator.stats.sessionsCreated).toBe(1);
    expect(w.emulator.chats.map((chat) => chat.sid)).toEqual([data.sid, data.sid]);
    expect(await second.getAccessToken()).toBe(data.access_token);
    expect((await second.status()).tokenSource).toBe("cache");
  });

  it("reads a cache file written by the Python client as is, and keeps unknown keys", async () => {
    const token = await w.emulator.mintToken();
    const sid = w.emulator.createSession();
    await writePythonCache({ access_token: token, sid, other_tool: "kept" });
    const client = w.client();
    await client.chat("hello", { maxContinues: 0 }).finalText();
    expect(w.emulator.stats.requests.auth).toBe(0);
    expect(w.emulator.stats.requests["create-session"]).toBe(0);
    expect(w.emulator.chats[0]?.sid).toBe(sid);

    await client.createSession();
    const data = await readCache();
    expect(data.other_tool).toBe("kept");
    expect(data.access_token).toBe(token);
    expect(data.sid).not.toBe(sid);
  });

  it("treats a corrupt cache as empty, replaces it and logs a warning without its content", async () => {
    await mkdir(w.cacheDir, { recursive: true });
    await writeFile(cacheFile(), '{"access_token": "SECRET-CONTENT-1234", "sid": ');
    const logger = recordingLogger();
    const client = w.client({ logger, logLevel: "warn" });
    await client.chat("hello", { maxContinues: 0 }).finalText();
    expect(w.emulator.stats.requests.auth).toBe(1);
    const data = await readCache();
    expect(typeof data.access_token).toBe("string");
    expect(logger.records.some((record) => record.level === "warn" && /cache/.test(record.message))).toBe(
      true,
    );
    expect(logger.text()).not.toContain("SECRET-CONTENT");
  });

  it("treats a cache that is not a JSON object as empty", async () => {
    await mkdir(w.cacheDir, { recursive: true });
    await writeFile(cacheFile(), "[1, 2, 3]");
    await w.client().getAccessToken();
    expect(w.emulator.stats.requests.auth).toBe(1);
    expect(typeof (await readCache()).access_token).toBe("string");
  });

  it("treats an expired cached token as absent", async () => {
    const expired = await w.emulator.mintToken({ expiresInSeconds: -60 });
    await writePythonCache({ access_token: expired, sid: w.emulator.createSession() });
    const client = w.client();
    const token = await client.getAccessToken();
    expect(token).not.toBe(expired);
    expect(w.emulator.stats.requests.auth).toBe(1);
    const data = await readCache();
    expect(data.access_token).toBe(token);
    expect(data.sid).toBeUndefined();
  });

  it("fetches a fresh token when /auth handed out an expired one before", async () => {
    w.emulator.addFault({ expiredToken: true, count: 1 });
    const client = w.client();
    const expired = await client.getAccessToken();
    expect((await client.status()).tokenExpired).toBe(true);
    const other = w.client();
    const fresh = await other.getAccessToken();
    expect(fresh).not.toBe(expired);
    expect(w.emulator.stats.requests.auth).toBe(2);
  });

  it("keeps credentials in memory only with cacheDir: false", async () => {
    const client = w.client({ cacheDir: false });
    expect(client.cacheFile).toBeUndefined();
    await client.chat("hi", { maxContinues: 0 }).finalText();
    await client.chat("hi again", { maxContinues: 0 }).finalText();
    expect(w.emulator.stats.requests.auth).toBe(1);
    expect(w.emulator.stats.sessionsCreated).toBe(1);
    await expect(stat(cacheFile())).rejects.toThrow();
  });

  it("clearCache deletes token and session", async () => {
    const client = w.client();
    await client.chat("hi", { maxContinues: 0 }).finalText();
    await client.clearCache();
    await expect(stat(cacheFile())).rejects.toThrow();
    expect((await client.status()).tokenSource).toBe("none");
  });
});

describe("one cache file per base URL", () => {
  it("the default URL keeps the reference client's robocoders.json; others get a file of their own", () => {
    expect(cacheFileName(DEFAULT_BASE_URL)).toBe("robocoders.json");
    const local = cacheFileName("http://127.0.0.1:8787");
    expect(local).toMatch(/^robocoders-127\.0\.0\.1-8787-[0-9a-f]{8}\.json$/);
    expect(cacheFileName("https://127.0.0.1:8787")).not.toBe(local);
    expect(cacheFileName("http://127.0.0.1:8787/v1")).not.toBe(local);
    const client = w.client({ baseURL: DEFAULT_BASE_URL });
    expect(client.cacheFile).toBe(join(w.cacheDir, "robocoders.json"));
  });

  it("a token stored with login for one server survives a 401 from another server", async () => {
    const other = await startEmulator({ port: 0 });
    try {
      const mine = await w.emulator.mintToken();
      await w.client().setAccessToken(mine);
      const elsewhere = w.client({ baseURL: other.url });
      await elsewhere.chat("hi", { maxContinues: 0 }).finalText();
      expect(other.stats.statuses.chat[401]).toBeUndefined();
      expect(other.stats.requests.auth).toBe(1);
      expect(elsewhere.cacheFile).not.toBe(cacheFile());
      const data = await readCache();
      expect(data.access_token).toBe(mine);
      expect(data.token_source).toBe("login");
      const theirs = JSON.parse(await readFile(String(elsewhere.cacheFile), "utf8")) as Record<
        string,
        unknown
      >;
      expect(theirs.access_token).not.toBe(mine);
      expect(theirs.token_source).toBeUndefined();
    } finally {
      await other.close();
    }
  });

  it("a login token the server rejects is an AuthenticationError that says to log in again; it stays cached", async () => {
    const foreign = await w.emulator.mintToken({ secret: "another secret, another server" });
    const client = w.client();
    await client.setAccessToken(foreign);
    expect((await client.status()).tokenSource).toBe("login");
    const error = await rejection(client.chat("hi").finalText());
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toMatch(/stored with `robocoders login`.*Log in again/);
    expect((error as Error).message).not.toContain(foreign);
    expect(w.emulator.stats.requests.auth).toBe(0);
    expect((await readCache()).access_token).toBe(foreign);
    // A fresh client (another process) reads the mark from the file.
    const again = await rejection(w.client().chat("hi").finalText());
    expect(again).toBeInstanceOf(AuthenticationError);
    expect(w.emulator.stats.requests.auth).toBe(0);
  });

  it("an expired login token is an AuthenticationError, not replaced", async () => {
    await mkdir(w.cacheDir, { recursive: true });
    const expired = await w.emulator.mintToken({ expiresInSeconds: -60 });
    await writeFile(cacheFile(), JSON.stringify({ access_token: expired, token_source: "login" }));
    const error = await rejection(w.client().chat("hi").finalText());
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toMatch(/has expired.*Log in again/);
    expect(w.emulator.stats.requests.auth).toBe(0);
  });

  it("the login mark stays with its token when a session is stored, and goes when login fetches a new token", async () => {
    const client = w.client();
    await client.setAccessToken(await w.emulator.mintToken());
    await client.chat("hi", { maxContinues: 0 }).finalText();
    expect((await readCache()).token_source).toBe("login");
    expect(typeof (await readCache()).sid).toBe("string");
    await client.getAccessToken({ refresh: true });
    expect((await readCache()).token_source).toBeUndefined();
    expect((await client.status()).tokenSource).toBe("cache");
  });
});

describe("a cache folder that cannot be written", () => {
  const unwritable = (): Array<[string, string]> => [
    ["/proc/nonexist", "/proc/nonexist"],
    ["a folder below a file", join(w.dir, "a-file", "cache")],
  ];

  it("fails the writes the caller asked for with a CacheWriteError, within a second", async () => {
    await writeFile(join(w.dir, "a-file"), "");
    for (const [, dir] of unwritable()) {
      const client = w.client({ cacheDir: dir });
      const started = Date.now();
      const stored = await rejection(client.setAccessToken(await w.emulator.mintToken()));
      expect(stored).toBeInstanceOf(CacheWriteError);
      expect((stored as Error).message).toContain(String(client.cacheFile));
      const created = await rejection(client.createSession());
      expect(created).toBeInstanceOf(CacheWriteError);
      const refreshed = await rejection(client.getAccessToken({ refresh: true }));
      expect(refreshed).toBeInstanceOf(CacheWriteError);
      expect(Date.now() - started).toBeLessThan(1000);
    }
  });

  it("a chat goes on with the credentials in memory and warns once", async () => {
    await writeFile(join(w.dir, "a-file"), "");
    for (const [, dir] of unwritable()) {
      const logger = recordingLogger();
      const client = w.client({ cacheDir: dir, logger, logLevel: "warn" });
      const text = await client.chat("hi").finalText();
      expect(text.length).toBeGreaterThan(0);
      await client.chat("hi again", { newSession: true, maxContinues: 0 }).finalText();
      const warnings = logger.records.filter((record) => record.level === "warn");
      expect(warnings.length).toBe(1);
      expect(warnings[0]?.message).toMatch(/Could not write the credential cache.*kept in memory/);
    }
  });
});

describe("precedence", () => {
  it("option > ROBOCODERS_ACCESS_TOKEN > cache > /auth", async () => {
    const cached = await w.emulator.mintToken();
    const fromEnv = await w.emulator.mintToken();
    const fromOption = await w.emulator.mintToken();
    await writePythonCache({ access_token: cached });

    expect(await w.client().getAccessToken()).toBe(cached);
    process.env.ROBOCODERS_ACCESS_TOKEN = fromEnv;
    const envClient = w.client();
    expect(await envClient.getAccessToken()).toBe(fromEnv);
    expect((await envClient.status()).tokenSource).toBe("env");
    const optionClient = w.client({ accessToken: fromOption });
    expect(await optionClient.getAccessToken()).toBe(fromOption);
    expect((await optionClient.status()).tokenSource).toBe("option");
    expect(w.emulator.stats.requests.auth).toBe(0);
  });

  it("reads the base URL and cache folder from the environment, options winning", async () => {
    process.env.ROBOCODERS_BASE_URL = w.emulator.url;
    process.env.ROBOCODERS_CACHE_DIR = join(w.dir, "env-cache");
    const { Robocoders } = await import("../../src/client/index.js");
    const fromEnv = new Robocoders({ retryDelay: 10 });
    try {
      expect(fromEnv.baseURL).toBe(w.emulator.url);
      expect(fromEnv.cacheFile).toBe(join(w.dir, "env-cache", cacheFileName(w.emulator.url)));
      await fromEnv.getAccessToken();
      expect(w.emulator.stats.requests.auth).toBe(1);
    } finally {
      await fromEnv.close();
    }
    const explicit = new Robocoders({ baseURL: "http://127.0.0.1:9/", cacheDir: w.cacheDir });
    expect(explicit.baseURL).toBe("http://127.0.0.1:9");
    expect(explicit.cacheFile).toBe(join(w.cacheDir, cacheFileName("http://127.0.0.1:9")));
    await explicit.close();
  });

  it("refuses an expired explicit token instead of replacing it", async () => {
    const expired = await w.emulator.mintToken({ expiresInSeconds: -60 });
    process.env.ROBOCODERS_ACCESS_TOKEN = expired;
    const error = await rejection(w.client().chat("hi").finalText());
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(String((error as Error).message)).toMatch(/ROBOCODERS_ACCESS_TOKEN.*expired/);
    expect(String((error as Error).message)).not.toContain(expired);
    expect(w.emulator.stats.totalRequests).toBe(0);
  });

  it("setAccessToken stores a valid JWT and rejects garbage and expired tokens", async () => {
    const client = w.client();
    const token = await w.emulator.mintToken();
    await client.setAccessToken(token);
    expect((await readCache()).access_token).toBe(token);
    await expect(client.setAccessToken("not-a-token")).rejects.toBeInstanceOf(InvalidArgumentError);
    const expired = await w.emulator.mintToken({ expiresInSeconds: -5 });
    await expect(client.setAccessToken(expired)).rejects.toBeInstanceOf(InvalidArgumentError);
    const status = await client.status();
    expect(status.tokenExpiresAt).toBeInstanceOf(Date);
    expect(JSON.stringify(status)).not.toContain(token);
  });
});

describe("an /auth page without a token", () => {
  let server: Server;
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("is an AuthenticationError that says how to supply a token", async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(
        '<html><body><!-- <pre id="token">eyJfake.eyJfake.sig</pre> --><pre id="tokens">x</pre></body></html>',
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const error = await rejection(w.client({ baseURL: `http://127.0.0.1:${port}` }).getAccessToken());
    expect(error).toBeInstanceOf(AuthenticationError);
    const message = (error as Error).message;
    expect(message).toMatch(/without an access token/i);
    expect(message).toContain("ROBOCODERS_ACCESS_TOKEN");
    expect(message).toContain("robocoders login --token");
  });
});
