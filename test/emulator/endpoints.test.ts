import { parseDocument } from "htmlparser2";
import { decodeJwt } from "jose";
import { fetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { login, postJson, rawRequest } from "./helpers.js";

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ tokenLifetimeSeconds: 3600 });
});
afterAll(async () => {
  await emulator.close();
});

const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function scrapeToken(html: string): string | undefined {
  let token: string | undefined;
  const visit = (node: unknown): void => {
    if (typeof node !== "object" || node === null) return;
    const element = node as {
      name?: string;
      attribs?: Record<string, string>;
      children?: unknown[];
      data?: string;
    };
    if (element.name === "pre" && element.attribs?.id === "token") {
      token = (element.children ?? []).map((c) => (c as { data?: string }).data ?? "").join("");
      return;
    }
    for (const child of element.children ?? []) visit(child);
  };
  visit(parseDocument(html));
  return token;
}

describe("GET /auth", () => {
  it("serves an HTML page with a fresh HS256 token inside pre#token, surrounded by whitespace", async () => {
    const res = await fetch(`${emulator.url}/auth`, {
      headers: { accept: "text/html", "user-agent": "Mozilla/5.0" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await res.text();
    expect(html).toContain("<head>");
    expect(html).toContain("<script>");
    expect(html).toContain("<!--");
    const raw = scrapeToken(html);
    expect(raw).toBeDefined();
    expect(raw).toMatch(/^\s+\S+\s+$/);
    const token = (raw ?? "").trim();
    const [header] = token.split(".");
    expect(JSON.parse(Buffer.from(header ?? "", "base64url").toString())).toEqual({
      alg: "HS256",
      typ: "JWT",
    });
    const claims = decodeJwt(token);
    expect(Object.keys(claims)).toEqual(["sub", "exp"]);
    expect(claims.sub).toMatch(UUID4);
    const now = Math.floor(Date.now() / 1000);
    expect(claims.exp).toBeGreaterThan(now + 3500);
    expect(claims.exp).toBeLessThanOrEqual(now + 3601);
    // Each visit mints a new identity.
    const second = scrapeToken(await (await fetch(`${emulator.url}/auth`)).text())?.trim() ?? "";
    expect(decodeJwt(second).sub).not.toBe(claims.sub);
  });

  it("defaults to a 365-day lifetime", async () => {
    const other = await startEmulator();
    try {
      const claims = decodeJwt(await other.mintToken());
      expect((claims.exp ?? 0) - Date.now() / 1000).toBeGreaterThan(364 * 86400);
    } finally {
      await other.close();
    }
  });
});

describe("GET /create-session", () => {
  it("returns a uuid4 sid for a valid token, and the session exists", async () => {
    const token = await emulator.mintToken();
    const res = await fetch(`${emulator.url}/create-session`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    const body = (await res.json()) as { sid: string };
    expect(Object.keys(body)).toEqual(["sid"]);
    expect(body.sid).toMatch(UUID4);
    expect(emulator.hasSession(body.sid)).toBe(true);
  });

  it.each([
    ["missing", undefined],
    ["empty", ""],
    ["Basic", "Basic dXNlcjpwYXNz"],
    ["scheme only", "Bearer"],
  ])("answers 403 Not authenticated for a %s Authorization header", async (_name, value) => {
    const res = await rawRequest(emulator, {
      path: "/create-session",
      headers: value === undefined ? {} : { authorization: value },
    });
    expect(res.status).toBe(403);
    expect(res.body.toString()).toBe('{"detail":"Not authenticated"}');
  });

  it.each([
    ["garbage", async () => "not-a-jwt"],
    ["expired", async () => emulator.mintToken({ expiresInSeconds: -5 })],
    ["wrongly signed", async () => emulator.mintToken({ secret: "another secret" })],
  ])("answers 401 with WWW-Authenticate for a %s token", async (_name, make) => {
    const res = await fetch(`${emulator.url}/create-session`, {
      headers: { authorization: `Bearer ${await make()}` },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe("Bearer");
    expect(await res.text()).toBe('{"detail":"Could not validate credentials"}');
  });
});

describe("POST /chat validation", () => {
  it("reports missing fields pydantic-style, with the whole body as input", async () => {
    const { auth } = await login(emulator);
    const res = await postJson(emulator, "/chat", { prompt: "hi" }, auth);
    expect(res.status).toBe(422);
    expect(await res.text()).toBe(
      '{"detail":[{"type":"missing","loc":["body","sid"],"msg":"Field required","input":{"prompt":"hi"}}]}',
    );
  });

  it("reports every mistyped field and an unknown agent as an enum error", async () => {
    const { auth, sid } = await login(emulator);
    const res = await postJson(emulator, "/chat", { sid, prompt: 42, agent: "SuperAgent" }, auth);
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({
      detail: [
        { type: "string_type", loc: ["body", "prompt"], msg: "Input should be a valid string", input: 42 },
        {
          type: "enum",
          loc: ["body", "agent"],
          msg: "Input should be 'GeneralCodingAgent', 'RepoAgent' or 'FrontEndAgent'",
          input: "SuperAgent",
          ctx: { expected: "'GeneralCodingAgent', 'RepoAgent' or 'FrontEndAgent'" },
        },
      ],
    });
  });

  it("reports invalid JSON, a non-object body and an empty body", async () => {
    const { auth } = await login(emulator);
    const invalid = await postJson(emulator, "/chat", "{nope", auth);
    expect(invalid.status).toBe(422);
    expect(((await invalid.json()) as { detail: { type: string }[] }).detail[0]?.type).toBe("json_invalid");
    const array = await postJson(emulator, "/chat", "[1]", auth);
    expect(await array.json()).toEqual({
      detail: [
        {
          type: "model_attributes_type",
          loc: ["body"],
          msg: "Input should be a valid dictionary or object to extract fields from",
          input: [1],
        },
      ],
    });
    const empty = await postJson(emulator, "/chat", "", auth);
    expect(await empty.json()).toEqual({
      detail: [{ type: "missing", loc: ["body"], msg: "Field required", input: null }],
    });
  });

  it("checks the token before the fields, and the session after them", async () => {
    const noAuth = await postJson(emulator, "/chat", { prompt: "hi" });
    expect(noAuth.status).toBe(403);
    const { auth } = await login(emulator);
    const unknown = await postJson(
      emulator,
      "/chat",
      { sid: "00000000-0000-4000-8000-000000000000", prompt: "hi" },
      auth,
    );
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toBe('{"detail":"Session not found"}');
  });

  it("answers 404 after a session is forgotten", async () => {
    const { auth, sid } = await login(emulator);
    expect(emulator.forgetSession(sid)).toBe(true);
    const res = await postJson(emulator, "/chat", { sid, prompt: "hi" }, auth);
    expect(res.status).toBe(404);
  });
});

describe("POST /get-session-code", () => {
  it("returns the repository and a message", async () => {
    const { auth, sid } = await login(emulator);
    const res = await postJson(emulator, "/get-session-code", { sid, github_username: "octocat" }, auth);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      repo_url: `https://github.com/robocoders-sessions/${sid}`,
      message: "Collaborator added successfully",
    });
  });

  it("answers 422 for a missing username, 404 for an unknown sid, 403/401 without a valid token", async () => {
    const { auth, sid } = await login(emulator);
    const missing = await postJson(emulator, "/get-session-code", { sid }, auth);
    expect(missing.status).toBe(422);
    expect(await missing.json()).toEqual({
      detail: [{ type: "missing", loc: ["body", "github_username"], msg: "Field required", input: { sid } }],
    });
    const unknown = await postJson(
      emulator,
      "/get-session-code",
      { sid: "nope", github_username: "octocat" },
      auth,
    );
    expect(unknown.status).toBe(404);
    expect((await postJson(emulator, "/get-session-code", { sid, github_username: "x" })).status).toBe(403);
    const bad = await postJson(
      emulator,
      "/get-session-code",
      { sid, github_username: "x" },
      { authorization: "Bearer x.y.z" },
    );
    expect(bad.status).toBe(401);
  });
});

describe("docs, OpenAPI and unknown routes", () => {
  it("serves a Swagger UI page and an OpenAPI 3.1 document describing every endpoint", async () => {
    const docs = await fetch(`${emulator.url}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain("SwaggerUIBundle");
    const res = await fetch(`${emulator.url}/openapi.json`);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(["/auth", "/create-session", "/chat", "/get-session-code"]);
    expect(Object.keys(doc.paths["/chat"] ?? {})).toEqual(["post"]);
  });

  it("answers FastAPI's 404 and 405", async () => {
    const missing = await fetch(`${emulator.url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('{"detail":"Not Found"}');
    const wrong = await fetch(`${emulator.url}/chat`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("POST");
    expect(await wrong.text()).toBe('{"detail":"Method Not Allowed"}');
  });
});

describe("describeEmulator", () => {
  it("summarizes the URL, endpoints and fault syntax", async () => {
    const { describeEmulator } = await import("../../src/emulator/index.js");
    const text = describeEmulator(emulator);
    expect(text.split("\n")[0]).toBe(`Robocoders API emulator listening on ${emulator.url}`);
    expect(text).toContain(`${emulator.url}/chat`);
    expect(text).toContain("x-emulator-fault");
  });
});
