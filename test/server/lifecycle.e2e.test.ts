/**
 * Starting and stopping the gateway, body limits, upstream timeouts and connection failures.
 */
import { createServer } from "node:net";
import OpenAI, { APIError } from "openai";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../src/core/errors.js";
import { API_KEY_ENV, InsecureBindError, startServer } from "../../src/server/index.js";
import { emulatorText, errorOf, recordingLogger, stackFixture, until } from "./helpers.js";

const stack = stackFixture();

const chatBody = (content: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: "GeneralCodingAgent", messages: [{ role: "user", content }], ...extra });

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("startServer", () => {
  it("refuses a non-loopback host without an API key unless forced, before binding", async () => {
    const logger = recordingLogger();
    const error = await startServer({ host: "0.0.0.0", port: 0, apiKey: false, logger }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InsecureBindError);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    await expect(startServer({ port: 70_000, apiKey: false, logger })).rejects.toThrow(/port/);
  });

  it("reads the API key from the environment by default", async () => {
    const previous = process.env[API_KEY_ENV];
    process.env[API_KEY_ENV] = "from-the-environment";
    try {
      const s = await stack({ server: { apiKey: undefined } });
      expect((await fetch(`${s.baseURL}/models`)).status).toBe(401);
      const ok = await fetch(`${s.baseURL}/models`, {
        headers: { authorization: "Bearer from-the-environment" },
      });
      expect(ok.status).toBe(200);
    } finally {
      if (previous === undefined) delete process.env[API_KEY_ENV];
      else process.env[API_KEY_ENV] = previous;
    }
  });

  it("reports the port in use", async () => {
    const s = await stack();
    await expect(startServer({ port: s.server.port, apiKey: false, client: s.client })).rejects.toThrow(
      /EADDRINUSE/,
    );
  });

  it("lets a running stream finish on close, then refuses connections", async () => {
    const s = await stack({ emulator: { latencyMs: 100 } });
    const openai = new OpenAI({ baseURL: s.baseURL, apiKey: "unused", maxRetries: 0 });
    const { data, response } = await openai.chat.completions
      .create({
        model: "GeneralCodingAgent",
        messages: [{ role: "user", content: "Write a JSON formatter [[verbose]]" }],
        stream: true,
      })
      .withResponse();
    let text = "";
    let closing: Promise<void> | undefined;
    for await (const chunk of data) {
      closing ??= s.server.close(10_000);
      text += chunk.choices[0]?.delta.content ?? "";
    }
    await closing;
    expect(text).toBe(emulatorText(s.emulator, response.headers.get("x-robocoders-session")));
    expect(s.emulator.stats.chatStreams.aborted).toBe(0);
    await expect(fetch(`${s.server.url}/health`)).rejects.toThrow();
  });

  it("cancels streams still running when the grace period ends", async () => {
    const s = await stack({ emulator: { latencyMs: 300 } });
    const response = await fetch(`${s.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: chatBody("Write a long program [[verbose]]", { stream: true }),
    });
    expect(response.status).toBe(200);
    const body = response.text();
    await s.server.close(0);
    const text = await body;
    expect(text).toContain('"code":"shutting_down"');
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    await until(() => s.emulator.stats.chatStreams.aborted === 1);
  });

  it("handles SIGTERM when asked to", async () => {
    const s = await stack();
    const server = await startServer({
      port: 0,
      apiKey: false,
      client: s.client,
      handleSignals: true,
      logger: s.logger,
    });
    expect(process.listenerCount("SIGTERM")).toBeGreaterThan(0);
    process.emit("SIGTERM", "SIGTERM");
    await until(() => server.app.isDraining);
    await server.close();
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  });
});

describe("keep-alive", () => {
  it("sends SSE comments during silences, which clients ignore", async () => {
    const s = await stack({ server: { keepAliveMs: 50 } });
    const raw = await fetch(`${s.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: chatBody("Write a slow build script [[fault:verbose silence=300]]", { stream: true }),
    });
    expect(await raw.text()).toContain("\n\n: keep-alive\n\n");

    const openai = new OpenAI({ baseURL: s.baseURL, apiKey: "unused", maxRetries: 0 });
    const { data, response } = await openai.chat.completions
      .create({
        model: "GeneralCodingAgent",
        messages: [{ role: "user", content: "Write a slow test script [[fault:verbose silence=300]]" }],
        stream: true,
      })
      .withResponse();
    let text = "";
    for await (const chunk of data) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe(emulatorText(s.emulator, response.headers.get("x-robocoders-session")));
  });
});

describe("limits and upstream failures", () => {
  it("413 for a body over maxBodyBytes", async () => {
    const s = await stack({ server: { maxBodyBytes: 1024 } });
    const response = await fetch(`${s.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: chatBody("x".repeat(2000)),
    });
    expect(response.status).toBe(413);
    expect(await errorOf(response)).toMatchObject({ code: "request_too_large" });
    const small = await fetch(`${s.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: chatBody("Write add.py"),
    });
    expect(small.status).toBe(200);
  });

  it("504 when the service does not answer in time", async () => {
    const s = await stack({ client: { timeout: 300 } });
    const response = await fetch(`${s.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: chatBody("hello [[fault:slow-first-byte=3000]]"),
    });
    expect(response.status).toBe(504);
    expect(await errorOf(response)).toMatchObject({ type: "timeout_error", code: "upstream_timeout" });
  });

  it("502 when the service is unreachable", async () => {
    const s = await stack({ client: { baseURL: `http://127.0.0.1:${await closedPort()}` } });
    const openai = new OpenAI({ baseURL: s.baseURL, apiKey: "unused", maxRetries: 0 });
    const error = await openai.chat.completions
      .create({ model: "GeneralCodingAgent", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIError);
    expect(error).toMatchObject({ status: 502, code: "upstream_unreachable" });
  });
});
