import { parseDocument } from "htmlparser2";
import { decodeJwt } from "jose";
import { Agent, fetch } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, FAULT_STATUSES, startEmulator } from "../../src/emulator/index.js";
import { login, postJson, type RawResponse, rawRequest } from "./helpers.js";

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  await emulator.close();
});
afterEach(() => {
  emulator.clearFaults();
});

/** Starts a task and streams the follow-up turn (the long one) with the given fault spec. */
async function faultyTurn(
  spec: string,
  via: "header" | "prompt" = "header",
  agent = "GeneralCodingAgent",
): Promise<RawResponse> {
  const { sid, auth } = await login(emulator);
  const first = await postJson(
    emulator,
    "/chat",
    { sid, prompt: "Write a tool that greets in German: Grüße 😀", agent },
    auth,
  );
  await first.text();
  const prompt = via === "prompt" ? `continue [[fault:${spec}]]` : "continue";
  return rawRequest(emulator, {
    method: "POST",
    path: "/chat",
    headers: { ...auth, ...(via === "header" ? { "x-emulator-fault": spec } : {}) },
    body: JSON.stringify({ sid, prompt, agent }),
  });
}

const lastChat = () => {
  const record = emulator.chats.at(-1);
  if (record === undefined) throw new Error("no chat recorded");
  return record;
};

describe("chunking policies", () => {
  it("writes one line per chunk by default, each parseable on its own", async () => {
    const res = await faultyTurn("");
    expect(res.status).toBe(200);
    expect(res.headers["transfer-encoding"]).toBe("chunked");
    expect(res.headers["content-type"]).toBe("application/x-ndjson");
    expect(res.terminated).toBe(true);
    expect(res.chunks.length).toBeGreaterThan(5);
    for (const chunk of res.chunks) {
      const text = chunk.toString("utf8");
      expect(text.endsWith("\n")).toBe(true);
      expect(text.slice(0, -1)).not.toContain("\n");
      expect(JSON.parse(text)).toHaveProperty("action");
      expect(text).toMatch(/^[\x20-\x7e]*\n$/);
    }
    expect(res.body.toString()).toBe(
      lastChat()
        .lines.map((l) => `${l.line}\n`)
        .join(""),
    );
  });

  it("writes one byte per chunk with chunk=1", async () => {
    const res = await faultyTurn("chunk=1");
    expect(res.chunks.every((c) => c.length === 1)).toBe(true);
    expect(res.terminated).toBe(true);
    expect(res.body.toString()).toBe(
      lastChat()
        .lines.map((l) => `${l.line}\n`)
        .join(""),
    );
  });

  it("writes fixed-size chunks across line boundaries with chunk=N", async () => {
    const res = await faultyTurn("chunk=100");
    expect(res.chunks.slice(0, -1).every((c) => c.length === 100)).toBe(true);
    expect((res.chunks.at(-1)?.length ?? 0) <= 100).toBe(true);
  });

  it("writes random, seed-reproducible chunks with chunk=random:<seed>", async () => {
    const a = await faultyTurn("chunk=random:42");
    const b = await faultyTurn("chunk=random:42");
    const sizes = (r: RawResponse) => r.chunks.map((c) => c.length).slice(0, 20);
    expect(sizes(a)).toEqual(sizes(b));
    expect(new Set(sizes(a)).size).toBeGreaterThan(3);
    expect(a.chunks.every((c) => c.length >= 1 && c.length <= 64)).toBe(true);
  });

  it("writes the body in one chunk with chunk=whole", async () => {
    const res = await faultyTurn("chunk=whole");
    expect(res.chunks).toHaveLength(1);
  });

  it("splits inside \\u escapes with chunk=split", async () => {
    const res = await faultyTurn("chunk=split");
    expect(
      res.chunks.some((c) => c.toString().endsWith("\\u00") || /\\u[0-9a-f]{2}$/.test(c.toString())),
    ).toBe(true);
    expect(res.body.toString()).toContain("\\u00fc");
  });

  it("writes raw UTF-8 with utf8 and splits inside its multi-byte sequences with chunk=split", async () => {
    const res = await faultyTurn("utf8, chunk=split");
    const body = res.body.toString("utf8");
    expect(body).toContain("Grüße");
    expect(body).toContain("😀");
    expect(body).not.toContain("\\u00fc");
    // Some chunk ends right after a UTF-8 lead byte.
    expect(res.chunks.some((c) => (c.at(-1) ?? 0) >= 0xc0)).toBe(true);
    expect(() =>
      new TextDecoder("utf-8", { fatal: true }).decode(res.chunks.find((c) => (c.at(-1) ?? 0) >= 0xc0)),
    ).toThrow();
  });
});

describe("line-level faults", () => {
  it("ends lines with CRLF with crlf", async () => {
    const res = await faultyTurn("crlf");
    const body = res.body.toString();
    expect(body.endsWith("\r\n")).toBe(true);
    expect(
      body
        .split("\r\n")
        .slice(0, -1)
        .every((line) => !line.includes("\n")),
    ).toBe(true);
    expect(res.chunks.every((c) => c.toString().endsWith("\r\n"))).toBe(true);
  });

  it("splits each CR/LF pair across two chunks with split-crlf", async () => {
    const res = await faultyTurn("split-crlf");
    const endsWithCr = res.chunks.filter((c) => c.at(-1) === 0x0d);
    expect(endsWithCr.length).toBeGreaterThan(3);
    res.chunks.forEach((chunk, index) => {
      if (chunk.at(-1) === 0x0d) expect(res.chunks[index + 1]?.[0]).toBe(0x0a);
    });
  });

  it("inserts empty and whitespace-only lines with blank-lines", async () => {
    const res = await faultyTurn("blank-lines");
    const body = res.body.toString().split("\n");
    expect(body).toContain("");
    expect(body.some((line) => line !== "" && line.trim() === "")).toBe(true);
    // After every line, the last one included.
    expect(
      res.body.toString().endsWith('"sid": "' + String(JSON.parse(body[0] ?? "{}").sid) + '"}\n\n \t  \n'),
    ).toBe(true);
    const events = body.filter((line) => line.trim() !== "");
    expect(body).toHaveLength(events.length * 3 + 1);
  });

  it("omits the last newline with no-final-newline", async () => {
    const res = await faultyTurn("no-final-newline");
    const body = res.body.toString();
    expect(body.endsWith("}")).toBe(true);
    expect(JSON.parse(body.split("\n").at(-1) ?? "").action).toBe("finish");
    expect(res.terminated).toBe(true);
  });

  it("inserts malformed, non-object, NaN and control lines", async () => {
    const res = await faultyTurn("malformed non-object nan control");
    const bodyLines = res.body
      .toString()
      .split("\n")
      .filter((l) => l !== "");
    const parses = (line: string) => {
      try {
        return JSON.parse(line) as unknown;
      } catch {
        return "INVALID";
      }
    };
    const parsed = bodyLines.map(parses);
    expect(parsed.filter((v) => v === "INVALID").length).toBe(3); // two malformed lines and the NaN event
    expect(parsed).toContainEqual([1, 2, 3]);
    expect(parsed).toContain("heartbeat");
    expect(parsed).toContain(42);
    expect(parsed).toContain(null);
    expect(parsed).toContainEqual({ message: "Agent is still working, please wait…" });
    expect(bodyLines.find((l) => l.includes("NaN"))).toMatch(/"score": NaN, "budget": Infinity/);
    expect((parsed.at(-1) as { action?: string }).action).toBe("finish");
  });

  it("ends the turn on an error frame with error-frame", async () => {
    const res = await faultyTurn("error-frame");
    const bodyLines = res.body.toString().trimEnd().split("\n");
    expect(JSON.parse(bodyLines.at(-1) ?? "")).toEqual({
      error: true,
      message: "Agent encountered an error: RuntimeError: sandbox timed out",
    });
    expect(res.body.toString()).not.toContain('"action": "finish"');
  });

  it("sends a browse observation line of several MiB with long-line", async () => {
    const res = await faultyTurn("long-line=3MiB");
    const long = res.body
      .toString()
      .split("\n")
      .find((l) => l.length > 128 * 1024);
    expect(long?.length).toBeGreaterThan(3 * 1024 * 1024 - 100);
    const event = JSON.parse(long ?? "") as { observation: string; extras: { screenshot: string } };
    expect(event.observation).toBe("browse");
    expect(event.extras.screenshot).toMatch(/^data:image\/png;base64,[A-Za-z0-9+/]+=*$/);
  });

  it("applies the same faults from a prompt directive, which the agent does not see", async () => {
    const res = await faultyTurn("chunk=1, crlf", "prompt");
    expect(res.chunks.every((c) => c.length === 1)).toBe(true);
    expect(res.body.toString()).toContain("\r\n");
    expect(lastChat().cleanPrompt).toBe("continue");
    expect(lastChat().prompt).toBe("continue [[fault:chunk=1, crlf]]");
    expect(res.body.toString()).not.toContain("fault:");
  });
});

describe("connection-level faults", () => {
  it("cuts the stream mid-line and destroys the socket with cut-mid-line", async () => {
    const res = await faultyTurn("cut-mid-line=2");
    expect(res.terminated).toBe(false);
    const body = res.body.toString();
    const parts = body.split("\n");
    expect(parts).toHaveLength(3);
    expect(parts[2]?.length).toBeGreaterThan(0);
    expect(() => JSON.parse(parts[2] ?? "")).toThrow();
    expect(lastChat().outcome).toBe("cut-mid-line");
    expect(lastChat().lines).toHaveLength(2);
    expect(lastChat().completed).toBe(false);
  });

  it("makes undici's reader fail on a cut stream and on a missing final chunk", async () => {
    for (const spec of ["cut-mid-line", "missing-final-chunk"]) {
      const { sid, auth } = await login(emulator);
      const res = await postJson(
        emulator,
        "/chat",
        { sid, prompt: "hi" },
        { ...auth, "x-emulator-fault": spec },
      );
      expect(res.status).toBe(200);
      await expect(res.text()).rejects.toThrow();
    }
  });

  it("sends every line but no terminating chunk with missing-final-chunk", async () => {
    const res = await faultyTurn("missing-final-chunk");
    expect(res.terminated).toBe(false);
    expect(res.truncated).toBe(false);
    const body = res.body.toString();
    expect(body.endsWith("\n")).toBe(true);
    expect(JSON.parse(body.trimEnd().split("\n").at(-1) ?? "").action).toBe("finish");
    expect(res.wire.toString().endsWith("0\r\n\r\n")).toBe(false);
    expect(lastChat().outcome).toBe("missing-final-chunk");
  });

  it("delays the status line with slow-first-byte (a client headers timeout fires)", async () => {
    const dispatcher = new Agent({ headersTimeout: 100 });
    try {
      const { sid, auth } = await login(emulator);
      const request = fetch(`${emulator.url}/chat`, {
        method: "POST",
        dispatcher,
        headers: { ...auth, "content-type": "application/json", "x-emulator-fault": "slow-first-byte=1500" },
        body: JSON.stringify({ sid, prompt: "hi" }),
      });
      await expect(request).rejects.toMatchObject({ cause: { code: "UND_ERR_HEADERS_TIMEOUT" } });
    } finally {
      await dispatcher.close();
    }
  });

  it("delays the body after the headers with slow-body, and pauses between events with silence", async () => {
    for (const spec of ["slow-body=1500", "silence=1500"]) {
      const dispatcher = new Agent({ bodyTimeout: 100 });
      try {
        const { sid, auth } = await login(emulator);
        // The second turn has many events, so a silence falls between them.
        await (await postJson(emulator, "/chat", { sid, prompt: "task" }, auth)).text();
        const res = await fetch(`${emulator.url}/chat`, {
          method: "POST",
          dispatcher,
          headers: { ...auth, "content-type": "application/json", "x-emulator-fault": spec },
          body: JSON.stringify({ sid, prompt: "continue" }),
        });
        expect(res.status).toBe(200);
        await expect(res.text()).rejects.toThrow();
      } finally {
        await dispatcher.close();
      }
    }
  });

  it("forces a chunk boundary at each silence", async () => {
    const res = await faultyTurn("chunk=whole, silence=1");
    expect(res.chunks.length).toBe(lastChat().lines.length);
  });
});

describe("status faults", () => {
  const endpoints = [
    ["auth", "GET", "/auth"],
    ["create-session", "GET", "/create-session"],
    ["chat", "POST", "/chat"],
    ["get-session-code", "POST", "/get-session-code"],
    ["docs", "GET", "/docs"],
    ["openapi.json", "GET", "/openapi.json"],
  ] as const;

  it.each(FAULT_STATUSES)("answers %i on every endpoint, with the real stack's body", async (status) => {
    for (const [, method, path] of endpoints) {
      const res = await rawRequest(emulator, {
        method,
        path,
        headers: { "x-emulator-fault": `status=${status}` },
        ...(method === "POST" ? { body: "{}" } : {}),
      });
      expect(res.status).toBe(status);
      const body = res.body.toString();
      switch (status) {
        case 401:
          expect(body).toBe('{"detail":"Could not validate credentials"}');
          expect(res.headers["www-authenticate"]).toBe("Bearer");
          break;
        case 403:
          expect(body).toBe('{"detail":"Not authenticated"}');
          break;
        case 404:
          expect(body).toBe('{"detail":"Session not found"}');
          break;
        case 422:
          expect(JSON.parse(body).detail[0].type).toBe("missing");
          break;
        case 429:
          expect(body).toBe('{"detail":"Too Many Requests"}');
          expect(res.headers["retry-after"]).toBe("1");
          break;
        case 500:
          expect(body).toBe("Internal Server Error");
          expect(res.headers["content-type"]).toMatch(/^text\/plain/);
          break;
        default:
          expect(res.headers["content-type"]).toBe("text/html");
          expect(body).toContain(`<title>${status}`);
      }
    }
  });

  it("sends Retry-After in seconds or as an HTTP date", async () => {
    const seconds = await rawRequest(emulator, {
      path: "/auth",
      headers: { "x-emulator-fault": "status=429, retry-after=7" },
    });
    expect(seconds.headers["retry-after"]).toBe("7");
    const date = await rawRequest(emulator, {
      path: "/auth",
      headers: { "x-emulator-fault": "429 retry-after=date" },
    });
    const when = Date.parse(date.headers["retry-after"] ?? "");
    expect(date.headers["retry-after"]).toMatch(/GMT$/);
    expect(when).toBeGreaterThan(Date.now() - 1000);
    const unavailable = await rawRequest(emulator, {
      path: "/auth",
      headers: { "x-emulator-fault": "503 retry-after=3" },
    });
    expect(unavailable.headers["retry-after"]).toBe("3");
  });

  it("fails the next N requests of an instance rule, then succeeds", async () => {
    emulator.addFault("status=503, count=2, endpoint=create-session");
    const token = await emulator.mintToken();
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${emulator.url}/create-session`, {
        headers: { authorization: `Bearer ${token}` },
      });
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    expect(statuses).toEqual([503, 503, 200]);
    // The auth endpoint was never affected.
    expect((await fetch(`${emulator.url}/auth`)).status).toBe(200);
  });

  it("counts a header or prompt spec per distinct text, so a retrying client eventually succeeds", async () => {
    const { sid, auth } = await login(emulator);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await postJson(
        emulator,
        "/chat",
        { sid, prompt: "hello [[fault:status=500 count=2 tag=prompt-retry]]" },
        auth,
      );
      await res.text();
      statuses.push(res.status);
    }
    expect(statuses).toEqual([500, 500, 200]);
    const headerStatuses: number[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await rawRequest(emulator, {
        path: "/auth",
        headers: { "x-emulator-fault": "429 count=1 tag=header-retry" },
      });
      headerStatuses.push(res.status);
    }
    expect(headerStatuses).toEqual([429, 200]);
  });

  it("applies instance faults from the options and replaces them with setFaults", async () => {
    const other = await startEmulator({
      faults: ["status=502, endpoint=auth", { status: 504, endpoint: "docs" }],
    });
    try {
      expect((await fetch(`${other.url}/auth`)).status).toBe(502);
      expect((await fetch(`${other.url}/docs`)).status).toBe(504);
      other.setFaults({ status: 500, endpoint: ["auth"], count: 1 });
      expect((await fetch(`${other.url}/docs`)).status).toBe(200);
      expect((await fetch(`${other.url}/auth`)).status).toBe(500);
      expect((await fetch(`${other.url}/auth`)).status).toBe(200);
    } finally {
      await other.close();
    }
  });

  it("rejects an invalid spec with a 400 that says why", async () => {
    const res = await rawRequest(emulator, { path: "/auth", headers: { "x-emulator-fault": "explode" } });
    expect(res.status).toBe(400);
    expect(res.body.toString()).toBe('Invalid fault spec: unknown fault "explode"\n');
  });
});

describe("expired tokens", () => {
  it("hands out expired tokens from /auth with expired-token, which the API then rejects", async () => {
    const res = await rawRequest(emulator, {
      path: "/auth",
      headers: { "x-emulator-fault": "expired-token" },
    });
    let token = "";
    const walk = (node: {
      name?: string;
      attribs?: Record<string, string>;
      children?: unknown[];
      data?: string;
    }): void => {
      if (node.name === "pre" && node.attribs?.id === "token")
        token = String((node.children?.[0] as { data?: string })?.data).trim();
      for (const child of node.children ?? []) walk(child as typeof node);
    };
    walk(parseDocument(res.body.toString()) as unknown as Parameters<typeof walk>[0]);
    expect((decodeJwt(token).exp ?? 0) * 1000).toBeLessThan(Date.now());
    const session = await fetch(`${emulator.url}/create-session`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(session.status).toBe(401);
  });
});
