/**
 * What a completion carries: separated agent messages (or the reference text), upstream errors as errors,
 * the ignored parameters, an SSE stream that starts and stays alive before the first event, the answer
 * size cap.
 */
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { emulatorText, errorOf, type Stack, stackFixture } from "./helpers.js";
import { openRaw } from "./raw-http.js";

const stack = stackFixture();

const post = (s: Stack, body: Record<string, unknown>) =>
  fetch(`${s.baseURL}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "general", ...body }),
  });

describe("text", () => {
  it("joins two agent messages with a blank line; reference mode keeps the reference text", async () => {
    // One automatic "continue", so the answer holds several agent messages.
    const s = await stack({ client: { maxContinues: 1 } });
    const messages = [{ role: "user", content: "Write a CLI that adds two numbers" }];
    const response = await post(s, { messages });
    const sid = response.headers.get("x-robocoders-session");
    const { choices } = (await response.json()) as { choices: { message: { content: string } }[] };
    const text = choices[0]?.message.content ?? "";
    expect(text).toContain("🙂\n\nI'm asking");
    expect(text).toBe(emulatorText(s.emulator, sid));

    const r = await stack({ client: { maxContinues: 1 }, server: { textMode: "reference" } });
    const reference = await post(r, { messages });
    const refSid = reference.headers.get("x-robocoders-session");
    const refBody = (await reference.json()) as { choices: { message: { content: string } }[] };
    expect(refBody.choices[0]?.message.content).toBe(emulatorText(r.emulator, refSid, "reference"));
    expect(refBody.choices[0]?.message.content).toContain("🙂I'm asking");
  });
});

describe("upstream errors", () => {
  const messages = [{ role: "user", content: "Write mul.py [[fault:error-frame]]" }];

  it("an error frame before the answer is a 502 upstream_error, not a 200 with finish_reason stop", async () => {
    const s = await stack();
    const response = await post(s, { messages });
    expect(response.status).toBe(502);
    const error = await errorOf(response);
    expect(error).toMatchObject({ type: "upstream_error", code: "upstream_error" });
    expect(error.message).toContain("sandbox timed out");
  });

  it("an error frame in a stream ends it with an error event that the openai client throws", async () => {
    const s = await stack();
    const openai = new OpenAI({ baseURL: s.baseURL, apiKey: "unused", maxRetries: 0 });
    const stream = await openai.chat.completions.create({
      model: "general",
      messages: messages as never,
      stream: true,
    });
    const failure = await (async () => {
      for await (const chunk of stream) expect(chunk.choices[0]?.finish_reason ?? null).toBeNull();
    })().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect(String((failure as Error).message)).toContain("sandbox timed out");
  });
});

describe("headers", () => {
  it("lists accepted but ignored parameters in X-Robocoders-Ignored", async () => {
    const s = await stack();
    const response = await post(s, {
      messages: [{ role: "user", content: "hi" }],
      temperature: 0.1,
      max_tokens: 5,
      stop: ["\n"],
      top_p: 0.5,
      seed: null,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-robocoders-ignored")).toBe("temperature, max_tokens, stop, top_p");
    const plain = await post(s, { messages: [{ role: "user", content: "hi" }] });
    expect(plain.headers.get("x-robocoders-ignored")).toBeNull();
  });
});

describe("streams", () => {
  it("start as soon as upstream answered 200 and send keep-alives before the first event", async () => {
    const s = await stack({ server: { keepAliveMs: 100 } });
    const raw = openRaw(s.server.port);
    const body = JSON.stringify({
      model: "general",
      stream: true,
      messages: [{ role: "user", content: "Write add.py [[fault:slow-body=1200]]" }],
    });
    raw.socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
    // Headers, the first comment and the role chunk come long before the agent's first event…
    const start = await raw.until((r) => r.includes('"role":"assistant"'), 1000);
    expect(start).toMatch(/^HTTP\/1\.1 200 /);
    expect(start).not.toContain('"content":"T');
    // …then keep-alive comments fill the silence until the first event.
    const silence = await raw.until((r) => /"delta":\{"content":"[^"]/.test(r), 5000);
    const beforeText = silence.slice(0, silence.search(/"delta":\{"content":"[^"]/));
    expect(beforeText.match(/: keep-alive\n\n/g)?.length ?? 0).toBeGreaterThanOrEqual(3);
    const all = await raw.until((r) => r.includes("data: [DONE]"), 5000);
    expect(all).toContain("data: [DONE]");
    raw.socket.destroy();
  });
});

describe("answer size", () => {
  it("caps a non-streamed answer with a 502 and cancels upstream; streams are not held, so not capped", async () => {
    const s = await stack({ server: { maxAnswerBytes: 200 } });
    const messages = [{ role: "user", content: "Write a CLI that adds two numbers" }];
    const response = await post(s, { messages });
    expect(response.status).toBe(502);
    const error = await errorOf(response);
    expect(error.code).toBe("answer_too_large");
    expect(error.message).toMatch(/200 bytes/);
    const streamed = await post(s, { messages, stream: true });
    expect(streamed.status).toBe(200);
    expect(await streamed.text()).toContain("data: [DONE]");
  });
});
