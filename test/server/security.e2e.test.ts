/**
 * Safe by default: what a web page the user visits (or a DNS-rebinding page) can and cannot do to a
 * gateway on 127.0.0.1, with raw requests shaped as a browser sends them.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI, { AuthenticationError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../src/core/errors.js";
import { startServer } from "../../src/server/index.js";
import { safeValue } from "../../src/server/logging.js";
import { stackFixture, until } from "./helpers.js";
import { openRaw, rawRequest } from "./raw-http.js";

const CHAT = JSON.stringify({ model: "general", messages: [{ role: "user", content: "x" }] });
const EVIL = "http://evil.example";

/** Headers a browser sends with a `fetch` from a page (no preflight for text/plain). */
const browser = (origin: string, extra: Record<string, string> = {}) => ({
  origin,
  "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36",
  accept: "*/*",
  "sec-fetch-mode": "cors",
  "sec-fetch-site": "cross-site",
  ...extra,
});

const stack = stackFixture();

describe("a keyless gateway on 127.0.0.1", () => {
  it("refuses a text/plain POST from a foreign page (403) and runs no agent", async () => {
    const s = await stack();
    const response = await rawRequest(s.server.port, {
      method: "POST",
      path: "/v1/chat/completions",
      headers: browser(EVIL, { "content-type": "text/plain;charset=UTF-8" }),
      body: CHAT,
    });
    expect(response.status).toBe(403);
    expect(JSON.parse(response.body).error.code).toBe("origin_not_allowed");
    expect(response.headers["access-control-allow-origin"]).toBeUndefined();
    expect(s.emulator.stats.requests.chat).toBe(0);
  });

  it("answers 415 to a POST that is not application/json, before reading the body", async () => {
    const s = await stack();
    for (const type of [
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
    ]) {
      const response = await rawRequest(s.server.port, {
        method: "POST",
        path: "/v1/chat/completions",
        headers: { "content-type": type },
        body: CHAT,
      });
      expect(response.status).toBe(415);
      expect(JSON.parse(response.body).error).toMatchObject({ code: "unsupported_media_type" });
    }
    const none = await rawRequest(s.server.port, {
      method: "POST",
      path: "/v1/chat/completions",
      body: CHAT,
    });
    expect(none.status).toBe(415);
    // The body is never awaited: a head announcing 1 MB gets its 415 with no byte of the body sent.
    const raw = openRaw(s.server.port);
    raw.socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1:${s.server.port}\r\ncontent-type: text/plain\r\ncontent-length: 1000000\r\n\r\n`,
    );
    expect(await raw.until((r) => r.includes("\r\n\r\n"))).toMatch(/^HTTP\/1\.1 415 /);
    raw.socket.destroy();
    // Parameters are allowed.
    const ok = await rawRequest(s.server.port, {
      method: "POST",
      path: "/v1/chat/completions",
      headers: { "content-type": "Application/JSON; charset=utf-8" },
      body: CHAT,
    });
    expect(ok.status).toBe(200);
    expect(s.emulator.stats.requests.chat).toBe(1);
  });

  it("refuses a Host that is not loopback (DNS rebinding) with 403, any port of a loopback name passes", async () => {
    const s = await stack();
    for (const host of ["attacker.example", "attacker.example:1337", "127.0.0.1.nip.io", "0.0.0.0"]) {
      const response = await rawRequest(s.server.port, { path: "/v1/models", headers: { host } });
      expect(response.status, host).toBe(403);
      expect(JSON.parse(response.body).error.code).toBe("host_not_allowed");
    }
    for (const host of ["localhost", "localhost:1", "127.0.0.1:1337", "[::1]", "[::1]:8080", "LOCALHOST"]) {
      const response = await rawRequest(s.server.port, { path: "/v1/models", headers: { host } });
      expect(response.status, host).toBe(200);
    }
    // Rebinding a page to 127.0.0.1: the browser sends the attacker's name as Host and its own origin.
    const rebound = await rawRequest(s.server.port, {
      method: "POST",
      path: "/v1/chat/completions",
      headers: browser("http://attacker.example:1337", {
        host: "attacker.example:1337",
        "content-type": "application/json",
        "sec-fetch-site": "same-origin",
      }),
      body: CHAT,
    });
    expect(rebound.status).toBe(403);
    expect(s.emulator.stats.requests.chat).toBe(0);
  });

  it("accepts hosts given with allowedHosts (--allowed-host)", async () => {
    const s = await stack({ server: { allowedHosts: ["gateway.internal", "Other.Example"] } });
    const ok = await rawRequest(s.server.port, {
      path: "/health",
      headers: { host: "gateway.internal:8080" },
    });
    expect(ok.status).toBe(200);
    const other = await rawRequest(s.server.port, { path: "/health", headers: { host: "other.example" } });
    expect(other.status).toBe(200);
    const no = await rawRequest(s.server.port, {
      path: "/health",
      headers: { host: "gateway.internal.evil" },
    });
    expect(no.status).toBe(403);
  });

  it("lets the gateway's own pages call it (same origin) and refuses every other origin", async () => {
    const s = await stack();
    const own = await rawRequest(s.server.port, {
      method: "POST",
      path: "/v1/chat/completions",
      headers: browser(`http://127.0.0.1:${s.server.port}`, {
        "content-type": "application/json",
        "sec-fetch-site": "same-origin",
      }),
      body: CHAT,
    });
    expect(own.status).toBe(200);
    for (const origin of [EVIL, "null", `http://127.0.0.1:${s.server.port + 1}`, "http://localhost:3000"]) {
      const response = await rawRequest(s.server.port, { path: "/v1/models", headers: browser(origin) });
      expect(response.status, origin).toBe(403);
    }
  });
});

describe("CORS", () => {
  it("is off by default: a preflight from another origin gets 403 and no CORS headers", async () => {
    const s = await stack();
    const preflight = await rawRequest(s.server.port, {
      method: "OPTIONS",
      path: "/v1/chat/completions",
      headers: browser("http://localhost:3000", {
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      }),
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("answers preflights of allowed origins with 204, the methods and headers, and exposes the session", async () => {
    const s = await stack({ server: { corsOrigins: ["http://localhost:3000", "https://app.example"] } });
    const preflight = await rawRequest(s.server.port, {
      method: "OPTIONS",
      path: "/v1/chat/completions",
      headers: browser("http://localhost:3000", {
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type,x-robocoders-session",
      }),
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers["access-control-allow-origin"]).toBe("http://localhost:3000");
    expect(preflight.headers["access-control-allow-methods"]).toMatch(/POST/);
    const allowed = (preflight.headers["access-control-allow-headers"] ?? "").split(/,\s*/);
    expect(allowed).toEqual(
      expect.arrayContaining(["authorization", "content-type", "x-robocoders-session"]),
    );
    expect(preflight.body).toBe("");

    const stream = await rawRequest(s.server.port, {
      method: "POST",
      path: "/v1/chat/completions",
      headers: browser("https://app.example", { "content-type": "application/json" }),
      body: JSON.stringify({ model: "general", stream: true, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(stream.status).toBe(200);
    expect(stream.headers["access-control-allow-origin"]).toBe("https://app.example");
    expect(stream.headers["access-control-expose-headers"]).toMatch(/X-Robocoders-Session/i);
    expect(stream.headers["x-robocoders-session"]).toBeDefined();
    expect(stream.body).toContain("data: [DONE]");

    const models = await rawRequest(s.server.port, {
      path: "/v1/models",
      headers: browser("https://app.example"),
    });
    expect(models.status).toBe(200);
    expect(models.headers["access-control-allow-origin"]).toBe("https://app.example");
    expect(models.headers.vary).toMatch(/Origin/);

    const other = await rawRequest(s.server.port, {
      method: "OPTIONS",
      path: "/v1/chat/completions",
      headers: browser(EVIL, { "access-control-request-method": "POST" }),
    });
    expect(other.status).toBe(403);
  });

  it("lets a page of an allowed origin use MCP at /mcp: preflights allow its headers and DELETE, answers expose the session", async () => {
    const origin = "http://localhost:5173";
    const s = await stack({ server: { corsOrigins: [origin] } });
    const mcpHeaders = "content-type,mcp-protocol-version,mcp-session-id,last-event-id";
    for (const method of ["POST", "GET", "DELETE"]) {
      const preflight = await rawRequest(s.server.port, {
        method: "OPTIONS",
        path: "/mcp",
        headers: browser(origin, {
          "access-control-request-method": method,
          "access-control-request-headers": mcpHeaders,
        }),
      });
      expect(preflight.status, method).toBe(204);
      expect(preflight.headers["access-control-allow-origin"]).toBe(origin);
      const methods = (preflight.headers["access-control-allow-methods"] ?? "").split(/,\s*/);
      expect(methods).toContain(method);
      const allowed = (preflight.headers["access-control-allow-headers"] ?? "").split(/,\s*/);
      expect(allowed).toEqual(expect.arrayContaining(mcpHeaders.split(",")));
    }

    const initialize = await rawRequest(s.server.port, {
      method: "POST",
      path: "/mcp",
      headers: browser(origin, {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      }),
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: {
          protocolVersion: "2025-06-18",
          capabilities: {},
          clientInfo: { name: "page", version: "1" },
        },
      }),
    });
    expect(initialize.status).toBe(200);
    expect(initialize.headers["access-control-allow-origin"]).toBe(origin);
    const exposed = (initialize.headers["access-control-expose-headers"] ?? "").toLowerCase().split(/,\s*/);
    expect(exposed).toContain("mcp-session-id");
    const session = initialize.headers["mcp-session-id"];
    expect(session).toMatch(/\S/);

    const end = await rawRequest(s.server.port, {
      method: "DELETE",
      path: "/mcp",
      headers: browser(origin, { "mcp-session-id": session ?? "", "mcp-protocol-version": "2025-06-18" }),
    });
    expect(end.status).toBe(200);
    expect(end.headers["access-control-allow-origin"]).toBe(origin);
  });

  it("allows '*' only together with an API key", async () => {
    await expect(
      startServer({ port: 0, apiKey: false, corsOrigins: ["*"], logLevel: "off" }),
    ).rejects.toThrow(InvalidArgumentError);
    await expect(
      startServer({ port: 0, apiKey: false, corsOrigins: ["not an origin"], logLevel: "off" }),
    ).rejects.toThrow(InvalidArgumentError);
    const s = await stack({ server: { apiKey: "sk-star-key-1234", corsOrigins: ["*"] } });
    const preflight = await rawRequest(s.server.port, {
      method: "OPTIONS",
      path: "/v1/models",
      headers: browser(EVIL, {
        "access-control-request-method": "GET",
        "access-control-request-headers": "authorization",
      }),
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers["access-control-allow-origin"]).toBe("*");
    const keyless = await rawRequest(s.server.port, { path: "/v1/models", headers: browser(EVIL) });
    expect(keyless.status).toBe(401);
    expect(keyless.headers["access-control-allow-origin"]).toBe("*");
    const keyed = await rawRequest(s.server.port, {
      path: "/v1/models",
      headers: browser(EVIL, { authorization: "Bearer sk-star-key-1234" }),
    });
    expect(keyed.status).toBe(200);
  });
});

describe("API key", () => {
  it("answers a wrong key with 401 invalid_api_key, which the openai client reads as AuthenticationError", async () => {
    const s = await stack({ server: { apiKey: "sk-right-key-1234" } });
    const wrong = await rawRequest(s.server.port, {
      path: "/v1/models",
      headers: { authorization: "Bearer sk-wrong-key-1234" },
    });
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.body).error).toMatchObject({
      code: "invalid_api_key",
      type: "invalid_request_error",
    });
    expect(wrong.body).not.toContain("sk-wrong-key-1234");
    const error = await new OpenAI({ baseURL: s.baseURL, apiKey: "sk-wrong", maxRetries: 0 }).models
      .list()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    // /health stays open for load balancers.
    expect((await rawRequest(s.server.port, { path: "/health" })).status).toBe(200);
    // Unknown paths are not an oracle: the key comes first.
    expect((await rawRequest(s.server.port, { path: "/anything" })).status).toBe(401);
  });
});

describe("logging", () => {
  it("escapes control characters and cuts long values in logs and echoed errors", async () => {
    const s = await stack();
    const model = `gpt\r\nrobocoders info GET /forged 200\u001b[2J\u009b31m${"m".repeat(500)}`;
    const response = await fetch(`${s.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model,
        user: "eve\r\n\u001b]0;pwned\u0007",
        messages: [{ role: "user", content: "x" }],
      }),
    });
    expect(response.status).toBe(404);
    const { error } = (await response.json()) as { error: { message: string } };
    expect(error.message).not.toMatch(/[\r\n\u001b\u009b]/);
    expect(error.message.length).toBeLessThan(600);
    expect(error.message).toContain("gpt\\r\\nrobocoders");
    await until(() => s.logger.records.some((r) => r.fields?.status === 404));
    const record = s.logger.records.find((r) => r.fields?.status === 404);
    const text = JSON.stringify(record?.fields) + String(record?.message);
    // The record's values hold no raw control characters (JSON.stringify would show them as \u00XX).
    for (const value of Object.values(record?.fields ?? {})) {
      if (typeof value === "string") expect(value).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    }
    expect(String(record?.fields?.model).length).toBeLessThanOrEqual(201);
    expect(text).toContain("gpt\\\\r\\\\nrobocoders");
  });

  it("logs a client that aborts in the middle of its body at info as 499, not as an error", async () => {
    const s = await stack();
    const raw = openRaw(s.server.port);
    raw.socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1:${s.server.port}\r\ncontent-type: application/json\r\ncontent-length: 5000\r\n\r\n{"model": "general", "mess`,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    raw.socket.destroy();
    await until(() => s.logger.records.some((r) => r.fields?.status === 499));
    const record = s.logger.records.find((r) => r.fields?.status === 499);
    expect(record?.level).toBe("info");
    expect(s.logger.records.filter((r) => r.level === "error")).toEqual([]);
    expect(s.logger.records.some((r) => r.fields?.status === 500)).toBe(false);
  });
});

describe("safeValue", () => {
  it("leaves plain text alone, escapes controls, cuts at 200 characters", () => {
    expect(safeValue("GeneralCodingAgent")).toBe("GeneralCodingAgent");
    expect(safeValue("a\r\nb\u001b[2J\u0000\u007f\u009b\u2028\u202e")).toBe(
      "a\\r\\nb\\x1b[2J\\x00\\x7f\\x9b\\u2028\\u202e",
    );
    expect(safeValue("back\\slash")).toBe("back\\\\slash");
    const long = safeValue("x".repeat(1000));
    expect(long).toBe(`${"x".repeat(200)}…`);
  });
});

let keyDir: string;
beforeAll(async () => {
  keyDir = await mkdtemp(join(tmpdir(), "robocoders-keyfile-"));
});
afterAll(async () => {
  await rm(keyDir, { recursive: true, force: true });
});

describe("resolveServeKey (--api-key-file)", () => {
  it("reads one key from the file, refuses both sources and empty files", async () => {
    const { resolveServeKey } = await import("../../src/cli/commands/serve.js");
    const file = join(keyDir, "key");
    await writeFile(file, "sk-from-file-1234\n", { mode: 0o600 });
    const base = { host: "127.0.0.1", port: 0 };
    expect(await resolveServeKey({ ...base, apiKeyFile: file })).toBe("sk-from-file-1234");
    // The environment variable (commander's env source) gives way to the file.
    expect(await resolveServeKey({ ...base, apiKey: "from-env", apiKeyFile: file })).toBe(
      "sk-from-file-1234",
    );
    await expect(
      resolveServeKey({ ...base, apiKey: "x", apiKeyFromCli: true, apiKeyFile: file }),
    ).rejects.toThrow(/not both/);
    await writeFile(join(keyDir, "empty"), "\n");
    await expect(resolveServeKey({ ...base, apiKeyFile: join(keyDir, "empty") })).rejects.toThrow(/one key/);
    await expect(resolveServeKey({ ...base, apiKeyFile: join(keyDir, "missing") })).rejects.toThrow(/ENOENT/);
    expect(await resolveServeKey({ ...base, apiKey: "sk-cli" })).toBe("sk-cli");
  });
});
