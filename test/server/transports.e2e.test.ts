/**
 * `startServer` answers chat completions on Node's HTTP objects directly, while `createApp()` answers them
 * through the fetch layer. Both must give the same answers: same statuses, headers, errors and SSE frames.
 */

import { mkdtemp, rm } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Robocoders } from "../../src/client/robocoders.js";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { createApp, type GatewayApp, type RunningServer, startServer } from "../../src/server/index.js";
import { recordingLogger } from "./helpers.js";

const KEY = "transport-test-key";
const MAX_BODY = 2048;

let emulator: Emulator;
let client: Robocoders;
let cacheDir: string;
let app: GatewayApp;
let server: RunningServer;
const appLogger = recordingLogger();
const serverLogger = recordingLogger();

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  cacheDir = await mkdtemp(join(tmpdir(), "robocoders-transports-"));
  client = new Robocoders({
    baseURL: emulator.url,
    cacheDir,
    maxRetries: 0,
    maxContinues: 0,
    logLevel: "off",
  });
  const common = { client, apiKey: KEY, maxBodyBytes: MAX_BODY, affinity: false as const };
  app = createApp({ ...common, logger: appLogger });
  server = await startServer({ ...common, port: 0, logger: serverLogger });
});

afterAll(async () => {
  await server.close(0);
  await app.close();
  await client.close();
  await emulator.close();
  await rm(cacheDir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const HEADERS = ["content-type", "cache-control", "x-accel-buffering", "www-authenticate"];

/** One request through both transports, with the same headers and body. */
async function both(
  headers: Record<string, string>,
  body: string | Uint8Array[],
): Promise<{ viaFetch: Answer; viaNode: Answer }> {
  const fetchBody =
    typeof body === "string"
      ? body
      : new ReadableStream<Uint8Array>({
          start(out) {
            for (const part of body) out.enqueue(part);
            out.close();
          },
        });
  const response = await app.request("/v1/chat/completions", {
    method: "POST",
    headers,
    body: fetchBody,
    // A stream body needs half-duplex in Node's fetch.
    ...(typeof body === "string" ? {} : { duplex: "half" }),
  } as RequestInit);
  const viaFetch: Answer = { status: response.status, headers: {}, body: await response.text() };
  for (const name of HEADERS) {
    const value = response.headers.get(name);
    if (value !== null) viaFetch.headers[name] = value;
  }
  const viaNode = await new Promise<Answer>((resolve, reject) => {
    const req = httpRequest(`${server.url}/v1/chat/completions`, { method: "POST", headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
      });
      res.on("end", () => {
        const picked: Record<string, string> = {};
        for (const name of HEADERS) {
          const value = res.headers[name];
          if (typeof value === "string") picked[name] = value;
        }
        resolve({ status: res.statusCode ?? 0, headers: picked, body: text });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    if (typeof body === "string") req.end(body);
    else {
      for (const part of body) req.write(part);
      req.end();
    }
  });
  return { viaFetch, viaNode };
}

/** The SSE frames with the per-completion id and time replaced, so two answers compare. */
function normalise(body: string): string {
  return body.replace(/"id":"chatcmpl-[0-9a-f]{32}"/g, '"id":"ID"').replace(/"created":\d+/g, '"created":0');
}

const auth = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
const chat = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    model: "GeneralCodingAgent",
    messages: [{ role: "user", content: "Write add.py" }],
    ...extra,
  });

describe("the Node chat path and the fetch path answer alike", () => {
  it("a stream: same headers and the same SSE frames", async () => {
    const { viaFetch, viaNode } = await both(
      auth,
      chat({ stream: true, stream_options: { include_usage: true } }),
    );
    expect(viaNode.status).toBe(200);
    expect(viaNode.headers).toEqual(viaFetch.headers);
    expect(viaNode.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
    expect(normalise(viaNode.body)).toBe(normalise(viaFetch.body));
    expect(viaNode.body.startsWith('data: {"id":"chatcmpl-')).toBe(true);
    expect(viaNode.body.endsWith("data: [DONE]\n\n")).toBe(true);
    const last = serverLogger.records.filter((r) => r.message === "POST /v1/chat/completions 200").at(-1);
    expect(last?.fields).toMatchObject({ method: "POST", path: "/v1/chat/completions", stream: true });
  });

  it("a non-streamed answer: same status, content type and body", async () => {
    const { viaFetch, viaNode } = await both(auth, chat());
    expect(viaNode.status).toBe(200);
    expect(viaNode.headers["content-type"]).toMatch(/^application\/json/);
    expect(viaNode.headers).toEqual(viaFetch.headers);
    expect(normalise(viaNode.body)).toBe(normalise(viaFetch.body));
  });

  it.each([
    ["no API key", { "content-type": "application/json" }, chat(), 401, "missing_api_key"],
    ["a wrong API key", { ...auth, authorization: "Bearer nope" }, chat(), 403, "invalid_api_key"],
    ["invalid JSON", auth, "{not json", 400, "invalid_json"],
    ["a declared length over the limit", auth, chat({ pad: "x".repeat(MAX_BODY) }), 413, "request_too_large"],
  ])("%s: the same error", async (_name, headers, body, status, code) => {
    const { viaFetch, viaNode } = await both(headers, body);
    expect(viaNode.status).toBe(status);
    expect(viaFetch.status).toBe(status);
    expect(viaNode.headers).toEqual(viaFetch.headers);
    expect(JSON.parse(viaNode.body)).toEqual(JSON.parse(viaFetch.body));
    expect(JSON.parse(viaNode.body)).toMatchObject({ error: { code } });
  });

  it("a chunked body over the limit: 413; a chunked body within it: answered", async () => {
    const big = new TextEncoder().encode(chat({ pad: "x".repeat(MAX_BODY) }));
    const over = await both(auth, [big.subarray(0, 1000), big.subarray(1000)]);
    expect(over.viaNode.status).toBe(413);
    expect(over.viaFetch.status).toBe(413);
    expect(JSON.parse(over.viaNode.body)).toEqual(JSON.parse(over.viaFetch.body));
    const small = new TextEncoder().encode(chat());
    const within = await both(auth, [small.subarray(0, 10), small.subarray(10)]);
    expect(within.viaNode.status).toBe(200);
    expect(within.viaFetch.status).toBe(200);
  });
});
