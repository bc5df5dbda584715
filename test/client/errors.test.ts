import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import {
  APIConnectionError,
  AuthenticationError,
  NotFoundError,
  RateLimitError,
  ServerError,
  ValidationError,
  WrongBaseURLError,
} from "../../src/core/errors.js";
import { recordingLogger, referenceOutput, rejection, useWorld } from "./helpers.js";

const w = useWorld();

const TASK = "Write a Python script that adds two numbers";
const cacheFile = () => w.cacheFile;
const readCache = async (): Promise<Record<string, unknown>> =>
  JSON.parse(await readFile(cacheFile(), "utf8")) as Record<string, unknown>;
async function writeCache(data: Record<string, string>): Promise<void> {
  await mkdir(w.cacheDir, { recursive: true });
  await writeFile(cacheFile(), JSON.stringify(data));
}

/** A token this emulator rejects with 401 (signed with another secret, not expired). */
const foreignToken = () => w.emulator.mintToken({ secret: "another secret, another server" });

describe("401: refresh and retry once", () => {
  it("on /chat: drops the cached token and session, fetches fresh ones and retries", async () => {
    const bad = await foreignToken();
    const oldSid = w.emulator.createSession();
    await writeCache({ access_token: bad, sid: oldSid });
    const text = await w.client().chat(TASK, { maxContinues: 0 }).finalText();
    expect(text).toBe(referenceOutput(w.emulator));
    expect(w.emulator.stats.statuses.chat[401]).toBe(1);
    expect(w.emulator.stats.requests.auth).toBe(1);
    const data = await readCache();
    expect(data.access_token).not.toBe(bad);
    expect(data.sid).not.toBe(oldSid);
    expect(data.sid).toBe(w.emulator.chats[0]?.sid);
  });

  it("on /create-session: refreshes the token and creates the session", async () => {
    await writeCache({ access_token: await foreignToken() });
    await w.client().chat(TASK, { maxContinues: 0 }).finalText();
    expect(w.emulator.stats.statuses["create-session"][401]).toBe(1);
    expect(w.emulator.stats.statuses["create-session"][200]).toBe(1);
    expect(w.emulator.stats.requests.auth).toBe(1);
  });

  it("never swaps an explicit token for an anonymous one; the error does not contain the token", async () => {
    const bad = await foreignToken();
    const logger = recordingLogger();
    const error = await rejection(
      w.client({ accessToken: bad, logger, logLevel: "debug" }).chat(TASK).finalText(),
    );
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).status).toBe(401);
    expect((error as Error).message).toMatch(/accessToken option/);
    expect(w.emulator.stats.requests.auth).toBe(0);
    const dump = `${(error as Error).message} ${(error as Error).stack} ${JSON.stringify(error)} ${String((error as Error).cause)}`;
    expect(dump).not.toContain(bad);
    expect(logger.text()).not.toContain(bad);
  });

  it("gives up after one refresh when the fresh token is refused too", async () => {
    await writeCache({ access_token: await foreignToken() });
    w.emulator.addFault({ status: 401, endpoint: "chat" });
    const error = await rejection(w.client().chat(TASK).finalText());
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(w.emulator.stats.requests.chat).toBe(2);
  });
});

describe("401 on the automatic continue", () => {
  /** A logger that arms `fault` on the emulator when the client starts its automatic continue. */
  function armOnContinue(fault: string) {
    const logger = recordingLogger();
    const debug = logger.debug;
    logger.debug = (message, fields) => {
      if (message === "continuing") w.emulator.setFaults(fault);
      debug(message, fields);
    };
    return logger;
  }

  it("retries the same session with a new token; no other session is created or prompted", async () => {
    const logger = armOnContinue("status=401, count=1, endpoint=chat");
    const stream = w.client({ logger, logLevel: "debug" }).chat(TASK);
    const text = await stream.finalText();
    // Records are kept for streams (200) only: the refused request left none.
    expect(w.emulator.chats.length).toBe(2);
    const [first, retried] = w.emulator.chats;
    expect(w.emulator.stats.statuses.chat[401]).toBe(1);
    expect(w.emulator.stats.requests.auth).toBe(2);
    expect(w.emulator.stats.sessionsCreated).toBe(1);
    expect(retried?.prompt).toBe("continue");
    expect(retried?.sid).toBe(first?.sid);
    // No session ever received "continue" as its first prompt.
    expect(
      w.emulator.chats.filter((chat) => chat.prompt === "continue").every((chat) => chat.sid === first?.sid),
    ).toBe(true);
    expect(text).toBe(referenceOutput(w.emulator));
    expect(stream.sid).toBe(first?.sid);
  });

  it("ends with a clear error after the text already delivered when the session cannot be resumed", async () => {
    const logger = armOnContinue("status=401, endpoint=chat");
    const stream = w.client({ logger, logLevel: "debug" }).chat(TASK);
    let text = "";
    const error = await rejection(
      (async () => {
        for await (const chunk of stream.text()) text += chunk;
      })(),
    );
    expect(error).toBeInstanceOf(AuthenticationError);
    const sid = w.emulator.chats[0]?.sid ?? "";
    expect((error as Error).message).toContain(`could not resume session ${sid}`);
    expect((error as Error).message).toMatch(/nothing was sent to another session/);
    expect(text).toBe(referenceOutput(w.emulator));
    expect(text.length).toBeGreaterThan(0);
    expect(w.emulator.stats.sessionsCreated).toBe(1);
    expect(w.emulator.stats.statuses.chat[401]).toBe(2);
  });

  it("a session gone before the continue is a NotFoundError naming it, never a new session", async () => {
    const logger = recordingLogger();
    const debug = logger.debug;
    logger.debug = (message, fields) => {
      if (message === "continuing") w.emulator.forgetSession(w.emulator.chats[0]?.sid ?? "");
      debug(message, fields);
    };
    const error = await rejection(w.client({ logger, logLevel: "debug" }).chat(TASK).finalText());
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toMatch(/could not resume session/);
    expect(w.emulator.stats.sessionsCreated).toBe(1);
    expect(w.emulator.stats.requests["create-session"]).toBe(1);
  });
});

describe("a base URL that is not the API", () => {
  it("a 404 from /auth names the URL and keeps the cache as it was", async () => {
    const before = JSON.stringify({ access_token: await foreignToken(), sid: "kept" });
    await writeCache(JSON.parse(before) as Record<string, string>);
    const client = w.client({ baseURL: `${w.emulator.url}/v1`, cacheDir: w.cacheDir });
    const error = await rejection(client.chat(TASK).finalText());
    expect(error).toBeInstanceOf(WrongBaseURLError);
    expect((error as Error).message).toContain(`${w.emulator.url}/v1 does not look like the Robocoders API`);
    expect((error as WrongBaseURLError).code).toBe("wrong_base_url");
    expect(JSON.stringify(await readCache())).toBe(before);
  });

  it("a 404 from /create-session after /chat said 404 keeps the cached session", async () => {
    const client = w.client();
    await client.chat(TASK, { maxContinues: 0 }).finalText();
    const cached = await readCache();
    w.emulator.setFaults("status=404, endpoint=chat+create-session");
    const error = await rejection(client.chat(TASK).finalText());
    expect(error).toBeInstanceOf(WrongBaseURLError);
    expect((error as Error).message).toMatch(/GET \/create-session returned 404/);
    expect(await readCache()).toEqual(cached);
  });

  it("a 404 from /auth on a 401 refresh keeps the cache as it was", async () => {
    await writeCache({ access_token: await foreignToken(), sid: w.emulator.createSession() });
    const before = await readCache();
    w.emulator.setFaults("status=404, endpoint=auth");
    const error = await rejection(w.client().chat(TASK).finalText());
    expect(error).toBeInstanceOf(WrongBaseURLError);
    expect(await readCache()).toEqual(before);
  });
});

describe("404 Session not found", () => {
  it("creates a new session and retries once", async () => {
    const client = w.client();
    await client.chat(TASK, { maxContinues: 0 }).finalText();
    const oldSid = String((await readCache()).sid);
    w.emulator.forgetSession(oldSid);
    const stream = client.chat(TASK, { maxContinues: 0 });
    await stream.finalText();
    expect(w.emulator.stats.statuses.chat[404]).toBe(1);
    expect(stream.sid).not.toBe(oldSid);
    expect((await readCache()).sid).toBe(stream.sid);
    expect(w.emulator.stats.sessionsCreated).toBe(2);
  });

  it("an explicit sid is not replaced: NotFoundError", async () => {
    const error = await rejection(w.client().chat(TASK, { sid: "no-such-session" }).finalText());
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toContain("Session not found");
    expect(w.emulator.stats.sessionsCreated).toBe(0);
  });
});

describe("retries", () => {
  it("429 honours Retry-After in seconds, then succeeds", async () => {
    const logger = recordingLogger();
    const client = w.client({ logger, logLevel: "debug" });
    const text = await client
      .chat(`${TASK} [[fault:status=429, retry-after=1, count=1]]`, { maxContinues: 0 })
      .finalText();
    expect(text).toBe(referenceOutput(w.emulator));
    expect(w.emulator.stats.statuses.chat[429]).toBe(1);
    expect(w.emulator.stats.statuses.chat[200]).toBe(1);
    const retry = logger.records.find((record) => record.message === "retrying");
    expect(retry?.fields?.delayMs).toBe(1000);
  });

  it("429 with an HTTP-date Retry-After, and the delay reaches the error when retries are off", async () => {
    const error = await rejection(
      w.client({ maxRetries: 0 }).chat(`${TASK} [[fault:status=429, retry-after=date]]`).finalText(),
    );
    expect(error).toBeInstanceOf(RateLimitError);
    const delay = (error as RateLimitError).retryAfterMs;
    expect(delay).toBeGreaterThan(0);
    expect(delay).toBeLessThanOrEqual(2000);
    expect(w.emulator.stats.requests.chat).toBe(1);
  });

  it("5xx is retried up to maxRetries with backoff, then succeeds", async () => {
    const text = await w
      .client()
      .chat(`${TASK} [[fault:status=503, count=2]]`, { maxContinues: 0 })
      .finalText();
    expect(text).toBe(referenceOutput(w.emulator));
    expect(w.emulator.stats.statuses.chat[503]).toBe(2);
    expect(w.emulator.stats.statuses.chat[200]).toBe(1);
  });

  it("gives up after maxRetries with a ServerError carrying the plain-text body", async () => {
    const error = await rejection(w.client().chat(`${TASK} [[fault:status=500]]`).finalText());
    expect(error).toBeInstanceOf(ServerError);
    expect((error as ServerError).status).toBe(500);
    expect((error as Error).message).toContain("Internal Server Error");
    expect(w.emulator.stats.requests.chat).toBe(3);
  });

  it("reads an HTML error page from a proxy", async () => {
    const error = await rejection(
      w.client({ maxRetries: 1 }).chat(`${TASK} [[fault:status=502]]`).finalText(),
    );
    expect(error).toBeInstanceOf(ServerError);
    expect((error as Error).message).toContain("502 Bad Gateway");
    expect((error as Error).message).not.toContain("<");
    expect(w.emulator.stats.requests.chat).toBe(2);
  });

  it("retries /auth and /create-session too", async () => {
    w.emulator.addFault({ status: 503, endpoint: "auth", count: 1 });
    w.emulator.addFault({ status: 503, endpoint: "create-session", count: 1 });
    await w.client().chat(TASK, { maxContinues: 0 }).finalText();
    expect(w.emulator.stats.statuses.auth[503]).toBe(1);
    expect(w.emulator.stats.statuses["create-session"][503]).toBe(1);
  });

  it("422 is not retried and carries the server's messages", async () => {
    const error = await rejection(w.client().chat(`${TASK} [[fault:status=422]]`).finalText());
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]?.msg).toBe("Field required");
    expect((error as Error).message).toContain("body.sid: Field required");
    expect(w.emulator.stats.requests.chat).toBe(1);
  });

  it("connection failures are retried, then an APIConnectionError", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const logger = recordingLogger();
    const client = w.client({ baseURL: `http://127.0.0.1:${port}`, logger, logLevel: "debug" });
    const error = await rejection(client.getAccessToken());
    expect(error).toBeInstanceOf(APIConnectionError);
    const attempts = logger.records
      .filter((record) => record.message === "request")
      .map((r) => r.fields?.attempt);
    expect(attempts).toEqual([1, 2, 3]);
  });
});

describe("logging", () => {
  it("logs each request at debug (method, path, status, duration, attempt) and never the token", async () => {
    const logger = recordingLogger();
    const client = w.client({ logger, logLevel: "debug" });
    await client.chat(TASK).finalText();
    const token = String((await readCache()).access_token);
    const requests = logger.records.filter((record) => record.message === "request");
    expect(
      requests.map((record) => `${record.fields?.method} ${record.fields?.path} ${record.fields?.status}`),
    ).toEqual(["GET /auth 200", "GET /create-session 200", "POST /chat 200", "POST /chat 200"]);
    for (const record of requests) {
      expect(record.level).toBe("debug");
      expect(typeof record.fields?.durationMs).toBe("number");
      expect(record.fields?.attempt).toBe(1);
    }
    expect(token.length).toBeGreaterThan(20);
    expect(logger.text()).not.toContain(token);
    expect(logger.text()).not.toMatch(/Bearer/i);
  });

  it("logs nothing below the level (default off, ROBOCODERS_LOG enables)", async () => {
    const quiet = recordingLogger();
    await w.client({ logger: quiet, cacheDir: false }).getAccessToken();
    expect(quiet.records).toEqual([]);
    process.env.ROBOCODERS_LOG = "debug";
    const loud = recordingLogger();
    await w.client({ logger: loud, cacheDir: false }).getAccessToken();
    expect(loud.records.length).toBeGreaterThan(0);
  });
});

describe("sessions", () => {
  it("createSession makes a new current session; getSessionCode uses it", async () => {
    const client = w.client();
    const sid = await client.createSession();
    expect((await readCache()).sid).toBe(sid);
    const code = await client.getSessionCode("octocat");
    expect(code.repoUrl).toContain(sid);
    expect(code.message).toBe("Collaborator added successfully");
    expect((await client.status()).sid).toBe(sid);
  });

  it("newSession: true starts a fresh session for one call", async () => {
    const client = w.client();
    const first = client.chat(TASK, { maxContinues: 0 });
    await first.finalText();
    const second = client.chat(TASK, { maxContinues: 0, newSession: true });
    await second.finalText();
    expect(second.sid).not.toBe(first.sid);
    expect((await readCache()).sid).toBe(second.sid);
  });
});
