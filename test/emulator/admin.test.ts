/**
 * The admin API under /__emulator/: every operation over real HTTP, and the guard against what a web page
 * the user visits could send (raw requests shaped as a browser sends them).
 */
import { decodeJwt } from "jose";
import { fetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../src/core/errors.js";
import {
  type Emulator,
  type FaultRule,
  formatRequestLogLine,
  type RequestLogEntry,
  startEmulator,
} from "../../src/emulator/index.js";
import { until } from "../support.js";
import { lines, postJson, rawRequest } from "./helpers.js";

let emulator: Emulator;
const log: RequestLogEntry[] = [];
beforeAll(async () => {
  emulator = await startEmulator({ admin: true, onRequest: (entry) => log.push(entry) });
});
afterAll(async () => {
  await emulator.close();
});

/** Calls the admin API with JSON. */
async function admin(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${emulator.url}/__emulator${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
  expect(res.headers.get("content-type")).toBe("application/json");
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function tokenAndSession(): Promise<{ token: string; sid: string; auth: Record<string, string> }> {
  const minted = await admin("POST", "/tokens", {});
  const token = minted.json.token as string;
  const session = await admin("POST", "/sessions");
  return { token, sid: session.json.sid as string, auth: { authorization: `Bearer ${token}` } };
}

describe("the admin API", () => {
  it("is announced in adminUrl", () => {
    expect(emulator.adminUrl).toBe(`${emulator.url}/__emulator`);
  });

  it("reset zeroes the counters; stats count API requests, never admin ones", async () => {
    expect((await admin("POST", "/reset")).json).toEqual({ reset: true });
    await fetch(`${emulator.url}/auth`);
    await fetch(`${emulator.url}/nowhere`);
    const { json } = await admin("GET", "/stats");
    expect(json.totalRequests).toBe(2);
    expect(json.requests).toMatchObject({ auth: 1, other: 1, chat: 0 });
    expect(json.statuses).toMatchObject({ auth: { "200": 1 }, other: { "404": 1 } });
    expect(json.tokensIssued).toBe(1);
  });

  it("chats lists each /chat response with its texts, filtered by sid and seq", async () => {
    const { sid, auth } = await tokenAndSession();
    const first = await postJson(emulator, "/chat", { sid, prompt: "Write a haiku generator" }, auth);
    const firstLines = lines(await first.text());
    const second = await postJson(emulator, "/chat", { sid, prompt: "continue" }, auth);
    await second.text();
    const { json } = await admin("GET", `/chats?sid=${sid}`);
    const chats = json.chats as Array<Record<string, unknown>>;
    expect(chats.map((c) => c.prompt)).toEqual(["Write a haiku generator", "continue"]);
    expect(chats[0]).toMatchObject({
      sid,
      agent: "GeneralCodingAgent",
      outcome: "completed",
      completed: true,
    });
    const texts = chats[0]?.texts as string[];
    expect(texts).toEqual(
      firstLines.map((line) => {
        const event = JSON.parse(line) as { args?: { content?: string }; message: string };
        return event.args?.content || event.message;
      }),
    );
    expect(chats[0]?.lines).toHaveLength(firstLines.length);

    const seq = chats[0]?.seq as number;
    const later = await admin("GET", `/chats?sid=${sid}&since=${seq}&lines=false`);
    const laterChats = later.json.chats as Array<Record<string, unknown>>;
    expect(laterChats.map((c) => c.prompt)).toEqual(["continue"]);
    expect(laterChats[0]).not.toHaveProperty("lines");
    expect((await admin("GET", "/chats?since=soon")).status).toBe(422);
  });

  it("faults: add by spec and by rule, list with what remains, clear", async () => {
    expect((await admin("DELETE", "/faults")).json).toEqual({ faults: [] });
    const added = await admin("POST", "/faults", { spec: "status=503, endpoint=create-session, count=1" });
    expect(added.status).toBe(201);
    expect(added.json.rule).toEqual({ status: 503, endpoint: ["create-session"], count: 1 });
    const rule: FaultRule = { chunking: { mode: "fixed", size: 1 }, crlf: true };
    expect((await admin("POST", "/faults", { rule })).json.rule).toEqual(rule);
    expect((await admin("GET", "/faults")).json.faults).toEqual([
      { rule: { status: 503, endpoint: ["create-session"], count: 1 }, remaining: 1 },
      { rule, remaining: null },
    ]);

    const token = (await admin("POST", "/tokens", {})).json.token as string;
    const auth = { authorization: `Bearer ${token}` };
    expect((await fetch(`${emulator.url}/create-session`, { headers: auth })).status).toBe(503);
    const session = await fetch(`${emulator.url}/create-session`, { headers: auth });
    const { sid } = (await session.json()) as { sid: string };
    const chat = await rawRequest(emulator, {
      method: "POST",
      path: "/chat",
      headers: auth,
      body: JSON.stringify({ sid, prompt: "hi" }),
    });
    expect(chat.chunks.every((chunk) => chunk.length === 1)).toBe(true);
    expect(chat.body.toString()).toContain("\r\n");
    expect(((await admin("GET", "/faults")).json.faults as Array<{ remaining: unknown }>)[0]?.remaining).toBe(
      0,
    );

    expect((await admin("DELETE", "/faults")).json).toEqual({ faults: [] });
    expect((await admin("GET", "/faults")).json.faults).toEqual([]);
  });

  it("faults: a bad spec or rule is a 422 with the reason, and adds nothing", async () => {
    await admin("DELETE", "/faults");
    const bad = await admin("POST", "/faults", { spec: "bogus=1" });
    expect(bad).toEqual({ status: 422, json: { detail: 'Invalid fault: unknown fault "bogus"' } });
    expect((await admin("POST", "/faults", { rule: { status: 418 } })).status).toBe(422);
    expect((await admin("POST", "/faults", { rule: { crlf: "yes" } })).json.detail).toContain('"crlf"');
    expect((await admin("POST", "/faults", { rule: { teleport: true } })).json.detail).toContain("teleport");
    expect((await admin("POST", "/faults", {})).status).toBe(422);
    expect((await admin("POST", "/faults", { spec: "crlf", rule: {} })).status).toBe(422);
    expect((await admin("GET", "/faults")).json.faults).toEqual([]);
  });

  it("sessions: create, inspect, forget (the next /chat gets 404)", async () => {
    const { sid, auth } = await tokenAndSession();
    expect(emulator.hasSession(sid)).toBe(true);
    expect((await admin("GET", `/sessions/${sid}`)).json).toEqual({
      sid,
      phase: "idle",
      tasks: 0,
      nextEventId: 0,
    });
    await (await postJson(emulator, "/chat", { sid, prompt: "hello" }, auth)).text();
    expect((await admin("GET", `/sessions/${sid}`)).json).toMatchObject({ phase: "asked", tasks: 1 });
    expect((await admin("DELETE", `/sessions/${sid}`)).json).toEqual({ sid, forgotten: true });
    expect((await postJson(emulator, "/chat", { sid, prompt: "continue" }, auth)).status).toBe(404);
    expect(await admin("DELETE", `/sessions/${sid}`)).toEqual({
      status: 404,
      json: { detail: "Session not found" },
    });
    expect((await admin("GET", "/sessions/%E0%A4%A")).status).toBe(400);
  });

  it("tokens: mint with subject and expiry, then revoke every token", async () => {
    const minted = await admin("POST", "/tokens", { sub: "tester-1", expiresInSeconds: 120 });
    expect(minted.status).toBe(201);
    const token = minted.json.token as string;
    const claims = decodeJwt(token);
    expect(claims.sub).toBe("tester-1");
    expect(claims).toEqual({ sub: "tester-1", exp: minted.json.exp });
    expect((claims.exp ?? 0) - Math.floor(Date.now() / 1000)).toBeGreaterThan(100);
    const session = (t: string) =>
      fetch(`${emulator.url}/create-session`, { headers: { authorization: `Bearer ${t}` } });
    expect((await session(token)).status).toBe(200);

    const expired = await admin("POST", "/tokens", { expiresInSeconds: -60 });
    expect((await session(expired.json.token as string)).status).toBe(401);
    expect((await admin("POST", "/tokens", { expiresInSeconds: "soon" })).status).toBe(422);
    expect((await admin("POST", "/tokens", { sub: 7 })).status).toBe(422);

    const fromAuth = await emulator.mintToken();
    expect((await admin("DELETE", "/tokens")).json).toEqual({ revoked: true });
    expect((await session(token)).status).toBe(401);
    expect((await session(fromAuth)).status).toBe(401);
    const fresh = await admin("POST", "/tokens", {});
    expect((await session(fresh.json.token as string)).status).toBe(200);
  });

  it("settings: verbose streams and latency on and off", async () => {
    const { sid, auth } = await tokenAndSession();
    expect((await admin("GET", "/settings")).json).toEqual({ verbose: false, latencyMs: 0 });
    expect((await admin("POST", "/settings", { verbose: true, latencyMs: 5 })).json).toEqual({
      verbose: true,
      latencyMs: 5,
    });
    const verbose = lines(await (await postJson(emulator, "/chat", { sid, prompt: "hi" }, auth)).text());
    expect(verbose.some((line) => line.includes('"observation": "agent_state_changed"'))).toBe(true);
    expect((await admin("POST", "/settings", { verbose: false, latencyMs: 0 })).json).toEqual({
      verbose: false,
      latencyMs: 0,
    });
    const compact = lines(
      await (await postJson(emulator, "/chat", { sid, prompt: "continue" }, auth)).text(),
    );
    expect(compact.some((line) => line.includes('"observation"'))).toBe(false);
    expect((await admin("POST", "/settings", { verbose: "yes" })).status).toBe(422);
    expect((await admin("POST", "/settings", { latencyMs: -1 })).status).toBe(422);
  });

  it("answers 404 for an unknown admin path and 405 with Allow for a wrong method", async () => {
    expect(await admin("GET", "/nothing")).toEqual({ status: 404, json: { detail: "Not Found" } });
    const res = await fetch(`${emulator.url}/__emulator/stats`, { method: "DELETE" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET");
  });

  it("is described in /openapi.json", async () => {
    const doc = (await (await fetch(`${emulator.url}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    for (const path of [
      "/__emulator/stats",
      "/__emulator/chats",
      "/__emulator/faults",
      "/__emulator/settings",
    ]) {
      expect(doc.paths).toHaveProperty([path]);
    }
    expect(doc.paths).toHaveProperty(["/chat"]);
  });

  it("reports each request to onRequest, and the log line names method, path, status, faults, duration", async () => {
    await admin("DELETE", "/faults");
    await admin("POST", "/faults", { spec: "status=429, endpoint=auth, count=1" });
    log.length = 0;
    await fetch(`${emulator.url}/auth?x=1`);
    await until(() => log.length === 1);
    const entry = log[0] as RequestLogEntry;
    expect(entry).toMatchObject({
      method: "GET",
      path: "/auth",
      status: 429,
      faults: ["status:429"],
      admin: false,
    });
    expect(formatRequestLogLine({ ...entry, durationMs: 3.4 })).toBe("GET /auth 429 faults=status:429 3ms");
    await admin("GET", "/stats");
    await until(() => log.length === 2);
    expect(log[1]).toMatchObject({
      method: "GET",
      path: "/__emulator/stats",
      status: 200,
      faults: [],
      admin: true,
    });
  });
});

describe("the admin API's guard (requests a web page could send)", () => {
  const path = "/__emulator/stats";

  it("refuses a Host that is not a loopback name (DNS rebinding)", async () => {
    for (const host of ["evil.example", `evil.example:${emulator.port}`, "127.0.0.1.nip.io", ""]) {
      const res = await rawRequest(emulator, { path, headers: { host } });
      expect(res.status, host).toBe(403);
      expect(JSON.parse(res.body.toString())).toEqual({
        detail: "The admin API answers only requests addressed to a loopback host",
      });
    }
    for (const host of [`localhost:${emulator.port}`, `127.0.0.1:${emulator.port}`, "[::1]"]) {
      expect((await rawRequest(emulator, { path, headers: { host } })).status, host).toBe(200);
    }
  });

  it("refuses cross-origin requests, answers same-origin ones", async () => {
    const own = `http://127.0.0.1:${emulator.port}`;
    const refused: Record<string, string>[] = [
      { origin: "https://evil.example" },
      { origin: "null" },
      { origin: `http://localhost:${emulator.port}` },
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site" },
    ];
    for (const headers of refused) {
      const res = await rawRequest(emulator, { path, headers });
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(res.headers["access-control-allow-origin"]).toBeUndefined();
    }
    const ok = await rawRequest(emulator, {
      path,
      headers: { origin: own, "sec-fetch-site": "same-origin" },
    });
    expect(ok.status).toBe(200);
  });

  it("refuses a cross-origin form post before doing anything", async () => {
    await admin("DELETE", "/faults");
    const res = await rawRequest(emulator, {
      method: "POST",
      path: "/__emulator/faults",
      headers: {
        origin: "https://evil.example",
        "sec-fetch-site": "cross-site",
        "content-type": "application/x-www-form-urlencoded",
      },
      body: "spec=status%3D500",
    });
    expect(res.status).toBe(403);
    expect((await admin("GET", "/faults")).json.faults).toEqual([]);
  });

  it("refuses bodies that are not JSON, even from the same origin", async () => {
    for (const contentType of [
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
    ]) {
      const res = await rawRequest(emulator, {
        method: "POST",
        path: "/__emulator/faults",
        headers: { "content-type": contentType },
        body: '{"spec": "status=500"}',
      });
      expect(res.status, contentType).toBe(415);
    }
    const noType = await rawRequest(emulator, {
      method: "POST",
      path: "/__emulator/faults",
      headers: { "content-type": "" },
      body: '{"spec": "status=500"}',
    });
    expect(noType.status).toBe(415);
    const notJson = await rawRequest(emulator, { method: "POST", path: "/__emulator/faults", body: "{spec" });
    expect(notJson.status).toBe(400);
    const notObject = await rawRequest(emulator, { method: "POST", path: "/__emulator/faults", body: "[1]" });
    expect(notObject.status).toBe(422);
    expect((await admin("GET", "/faults")).json.faults).toEqual([]);
    // An empty POST without a content-type is fine (curl -X POST).
    const reset = await rawRequest(emulator, { method: "POST", path: "/__emulator/reset" });
    expect(reset.status).toBe(200);
  });

  it("answers a CORS preflight without allowing anything", async () => {
    const res = await rawRequest(emulator, {
      method: "OPTIONS",
      path: "/__emulator/faults",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(res.status).toBe(403);
    expect(Object.keys(res.headers).filter((name) => name.startsWith("access-control-"))).toEqual([]);
  });
});

describe("the admin API with a token", () => {
  let guarded: Emulator;
  beforeAll(async () => {
    guarded = await startEmulator({ admin: { token: "admin-secret-123" } });
  });
  afterAll(async () => {
    await guarded.close();
  });

  it("refuses requests without the token or with a wrong one", async () => {
    const refused: Record<string, string>[] = [
      {},
      { authorization: "Bearer wrong" },
      { "x-emulator-admin-token": "admin-secret-12" },
    ];
    for (const headers of refused) {
      const res = await rawRequest(guarded, { path: "/__emulator/stats", headers });
      expect(res.status).toBe(401);
      expect(res.headers["www-authenticate"]).toBe("Bearer");
      expect(res.body.toString()).not.toContain("admin-secret-123");
    }
  });

  it("accepts it as a Bearer token or in x-emulator-admin-token", async () => {
    const accepted: Record<string, string>[] = [
      { authorization: "Bearer admin-secret-123" },
      { "x-emulator-admin-token": "admin-secret-123" },
    ];
    for (const headers of accepted) {
      expect((await rawRequest(guarded, { path: "/__emulator/stats", headers })).status).toBe(200);
    }
  });
});

describe("the admin API switch", () => {
  it("is off by default: /__emulator/ is an unknown path of the API", async () => {
    const plain = await startEmulator();
    try {
      const res = await fetch(`${plain.url}/__emulator/stats`);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ detail: "Not Found" });
      expect(plain.adminUrl).toBeUndefined();
      const doc = (await (await fetch(`${plain.url}/openapi.json`)).json()) as {
        paths: Record<string, unknown>;
      };
      expect(Object.keys(doc.paths).some((p) => p.startsWith("/__emulator"))).toBe(false);
    } finally {
      await plain.close();
    }
  });

  it("refuses to serve it on a non-loopback host without a token", async () => {
    await expect(startEmulator({ host: "0.0.0.0", admin: true })).rejects.toThrow(InvalidArgumentError);
    await expect(startEmulator({ host: "0.0.0.0", admin: true })).rejects.toThrow(/without a token/);
  });
});
