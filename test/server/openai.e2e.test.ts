/**
 * The gateway driven by the official `openai` client, against the emulator, over loopback sockets.
 */
import OpenAI, { APIError, AuthenticationError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENTS } from "../../src/client/types.js";
import { emulatorText, errorOf, type Stack, startStack, until } from "./helpers.js";

const API_KEY = "gw-test-key-0123456789";

let stack: Stack;
let openai: OpenAI;

beforeAll(async () => {
  stack = await startStack({ server: { apiKey: API_KEY } });
  openai = new OpenAI({ baseURL: stack.baseURL, apiKey: API_KEY, maxRetries: 0 });
});
afterAll(async () => {
  await stack?.close();
});

/** The status and OpenAI error object of a failing call. */
async function failure(promise: Promise<unknown>): Promise<APIError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof APIError) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}

describe("models and health", () => {
  it("answers /health without a key", async () => {
    const response = await fetch(`${stack.server.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("lists the agents", async () => {
    const models = await openai.models.list();
    expect(models.data.map((m) => m.id)).toEqual([...AGENTS]);
    for (const model of models.data) {
      expect(model).toMatchObject({ object: "model", owned_by: "robocoders" });
      expect(typeof model.created).toBe("number");
    }
  });

  it("retrieves a model by name or alias and 404s an unknown one", async () => {
    expect((await openai.models.retrieve("RepoAgent")).id).toBe("RepoAgent");
    expect((await openai.models.retrieve("frontend")).id).toBe("FrontEndAgent");
    const error = await failure(openai.models.retrieve("gpt-4o"));
    expect(error.status).toBe(404);
    expect(error.code).toBe("model_not_found");
  });
});

describe("chat completions", () => {
  it("answers without streaming with the whole text, stop and usage", async () => {
    const { data, response } = await openai.chat.completions
      .create({ model: "GeneralCodingAgent", messages: [{ role: "user", content: "Write add.py" }] })
      .withResponse();
    const sid = response.headers.get("x-robocoders-session");
    const expected = emulatorText(stack.emulator, sid);
    expect(expected.length).toBeGreaterThan(0);
    expect(data.object).toBe("chat.completion");
    expect(data.model).toBe("GeneralCodingAgent");
    expect(data.choices).toHaveLength(1);
    expect(data.choices[0]?.message).toMatchObject({ role: "assistant", content: expected });
    expect(data.choices[0]?.finish_reason).toBe("stop");
    expect(data.usage?.completion_tokens).toBe(Math.ceil([...expected].length / 4));
    expect(data.usage?.total_tokens).toBe(
      (data.usage?.prompt_tokens ?? 0) + (data.usage?.completion_tokens ?? 0),
    );
  });

  it("streams: role first, one delta per event text, stop, usage, [DONE]", async () => {
    const { data: stream, response } = await openai.chat.completions
      .create({
        model: "repo",
        messages: [{ role: "user", content: "Fix the failing test in utils.py" }],
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const sid = response.headers.get("x-robocoders-session");
    const record = stack.emulator.chats.find((r) => r.sid === sid);
    const texts = record?.texts.filter((t) => t !== "") ?? [];
    expect(texts.length).toBeGreaterThan(0);

    expect(chunks[0]?.choices[0]?.delta.role).toBe("assistant");
    const deltas = chunks
      .slice(1)
      .flatMap((c) => (c.choices[0]?.delta.content ? [c.choices[0].delta.content] : []));
    expect(deltas).toEqual(texts);
    const finals = chunks.filter((c) => c.choices[0]?.finish_reason != null);
    expect(finals.map((c) => c.choices[0]?.finish_reason)).toEqual(["stop"]);
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage?.completion_tokens).toBe(Math.ceil([...texts.join("")].length / 4));
    for (const chunk of chunks) {
      expect(chunk.model).toBe("RepoAgent");
      expect(chunk.id).toBe(chunks[0]?.id);
    }
  });

  it("ends the SSE body with exactly one [DONE] and no usage chunk unless asked", async () => {
    const response = await fetch(`${stack.baseURL}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "ui",
        messages: [{ role: "user", content: "A login form" }],
        stream: true,
      }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const body = await response.text();
    expect(body.endsWith("data: [DONE]\n\n")).toBe(true);
    // A first comment opens the stream; every other event is data.
    expect(body.startsWith(": ")).toBe(true);
    const events = body.split("\n\n").filter((e) => e !== "" && !e.startsWith(":"));
    expect(events.every((e) => e.startsWith("data: "))).toBe(true);
    expect(events.filter((e) => e === "data: [DONE]")).toHaveLength(1);
    const objects = events.slice(0, -1).map((e) => JSON.parse(e.slice("data: ".length)));
    expect(objects.some((o) => "usage" in o)).toBe(false);
    expect(objects.at(-1).choices[0]).toMatchObject({ delta: {}, finish_reason: "stop" });
  });

  it("accepts text parts and ignores sampling knobs", async () => {
    const completion = await openai.chat.completions.create({
      model: "GeneralCodingAgent",
      messages: [{ role: "user", content: [{ type: "text", text: "Write a fizzbuzz" }] }],
      temperature: 0.3,
      max_tokens: 5,
      seed: 7,
    });
    expect(completion.choices[0]?.message.content?.length).toBeGreaterThan(0);
  });
});

describe("errors", () => {
  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${stack.baseURL}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json", ...headers },
      body,
    });

  it("400 for broken JSON, as an OpenAI error object", async () => {
    const response = await post('{"model": "GeneralCodingAgent", "messages": [');
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const body = await response.json();
    expect(body).toEqual({
      error: {
        message: expect.stringContaining("not valid JSON"),
        type: "invalid_request_error",
        param: null,
        code: "invalid_json",
      },
    });
  });

  it("400 for an invalid body (n > 1, tools, missing messages)", async () => {
    const n = await failure(
      openai.chat.completions.create({
        model: "GeneralCodingAgent",
        messages: [{ role: "user", content: "x" }],
        n: 2,
      }),
    );
    expect(n.status).toBe(400);
    expect(n.param).toBe("n");
    const tools = await failure(
      openai.chat.completions.create({
        model: "GeneralCodingAgent",
        messages: [{ role: "user", content: "x" }],
        tools: [{ type: "function", function: { name: "f", parameters: {} } }],
      }),
    );
    expect(tools.status).toBe(400);
    expect(tools.code).toBe("unsupported_parameter");
    const missing = await post(JSON.stringify({ model: "GeneralCodingAgent" }));
    expect(missing.status).toBe(400);
    expect((await errorOf(missing)).param).toBe("messages");
  });

  it("401 without a key or with a wrong one, x-api-key accepted", async () => {
    const body = JSON.stringify({ model: "GeneralCodingAgent", messages: [{ role: "user", content: "x" }] });
    const none = await fetch(`${stack.baseURL}/chat/completions`, {
      method: "POST",
      body,
      headers: { "content-type": "application/json" },
    });
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await errorOf(none)).code).toBe("missing_api_key");
    const wrong = await failure(
      new OpenAI({ baseURL: stack.baseURL, apiKey: "not-the-key", maxRetries: 0 }).models.list(),
    );
    expect(wrong).toBeInstanceOf(AuthenticationError);
    expect(wrong.status).toBe(401);
    expect(wrong.code).toBe("invalid_api_key");
    const viaHeader = await fetch(`${stack.baseURL}/models`, { headers: { "x-api-key": API_KEY } });
    expect(viaHeader.status).toBe(200);
  });

  it("404 for an unknown model, before any upstream request", async () => {
    const before = stack.emulator.stats.requests.chat;
    const error = await failure(
      openai.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "x" }] }),
    );
    expect(error.status).toBe(404);
    expect(error.code).toBe("model_not_found");
    expect(error.message).toContain("GeneralCodingAgent");
    expect(stack.emulator.stats.requests.chat).toBe(before);
  });

  it("429 with Retry-After when the service rate-limits", async () => {
    const error = await failure(
      openai.chat.completions.create({
        model: "GeneralCodingAgent",
        messages: [{ role: "user", content: "hello [[fault:status=429, retry-after=7]]" }],
      }),
    );
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error.status).toBe(429);
    expect(error.headers?.get("retry-after")).toBe("7");
  });

  it.each([
    [500, 502, "upstream_error"],
    [502, 502, "upstream_error"],
    [503, 503, "upstream_unavailable"],
    [504, 504, "upstream_timeout"],
    [401, 502, "upstream_authentication_failed"],
  ])("upstream %i → %i (%s), streaming or not", async (upstream, status, code) => {
    for (const stream of [false, true]) {
      const error = await failure(
        openai.chat.completions.create({
          model: "GeneralCodingAgent",
          messages: [{ role: "user", content: `hello [[fault:status=${upstream}]]` }],
          stream,
        }),
      );
      expect(error.status).toBe(status);
      expect(error.code).toBe(code);
    }
  });

  it("an upstream 422 reaches the caller's message", async () => {
    const error = await failure(
      openai.chat.completions.create({
        model: "GeneralCodingAgent",
        messages: [{ role: "user", content: "hello [[fault:status=422]]" }],
      }),
    );
    expect(error.status).toBe(400);
    expect(error.code).toBe("upstream_validation_failed");
    expect(error.message).toContain("Field required");
  });

  it("an error after the stream began is a final error event, then [DONE]", async () => {
    const response = await fetch(`${stack.baseURL}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "GeneralCodingAgent",
        messages: [{ role: "user", content: "Write add.py [[fault:verbose cut-mid-line=2]]" }],
        stream: true,
      }),
    });
    expect(response.status).toBe(200);
    const body = await response.text();
    const events = body.split("\n\n").filter((e) => e !== "");
    expect(events.at(-1)).toBe("data: [DONE]");
    const error = JSON.parse(events.at(-2)?.slice("data: ".length) ?? "null");
    expect(error).toEqual({
      error: { message: expect.any(String), type: "upstream_error", param: null, code: "upstream_error" },
    });
    // The openai client surfaces it as an error too.
    const failed = await failure(
      (async () => {
        const stream = await openai.chat.completions.create({
          model: "GeneralCodingAgent",
          messages: [{ role: "user", content: "Write sub.py [[fault:verbose cut-mid-line=2]]" }],
          stream: true,
        });
        for await (const _ of stream) {
          // drain
        }
      })(),
    );
    expect(failed.message).toMatch(/Robocoders API failed/);
  });

  it("502 when a non-streamed answer breaks mid-way", async () => {
    const error = await failure(
      openai.chat.completions.create({
        model: "GeneralCodingAgent",
        messages: [{ role: "user", content: "Write mul.py [[fault:cut-mid-line=1]]" }],
      }),
    );
    expect(error.status).toBe(502);
  });

  it("404 for an unknown route, 405 for a wrong method", async () => {
    const route = await fetch(`${stack.baseURL}/embeddings`, {
      method: "POST",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
    });
    expect(route.status).toBe(404);
    expect((await errorOf(route)).code).toBe("unknown_url");
    const method = await fetch(`${stack.baseURL}/chat/completions`, {
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    expect(method.status).toBe(405);
    expect(method.headers.get("allow")).toBe("POST");
  });
});

describe("cancellation", () => {
  it("a client that disconnects cancels the upstream request", async () => {
    const aborted = stack.emulator.stats.chatStreams.aborted;
    const controller = new AbortController();
    const stream = await openai.chat.completions.create(
      {
        model: "GeneralCodingAgent",
        messages: [{ role: "user", content: "Write a long program [[fault:verbose silence=300]]" }],
        stream: true,
      },
      { signal: controller.signal },
    );
    let chunks = 0;
    try {
      for await (const _ of stream) {
        chunks++;
        if (chunks === 1) controller.abort();
      }
    } catch {
      // Depending on timing the client reports the abort or just ends the loop.
    }
    expect(chunks).toBe(1);
    await until(() => stack.emulator.stats.chatStreams.aborted === aborted + 1);
    await until(() => stack.server.app.activeRequests === 0);
    await until(() => stack.logger.records.some((r) => r.fields?.status === 499));
  });
});

describe("request logs", () => {
  it("log method, path, status, duration, model and session, never the key", async () => {
    await openai.chat.completions.create({
      model: "repo",
      messages: [{ role: "user", content: "Read the README" }],
    });
    const record = stack.logger.records.findLast((r) => r.fields?.path === "/v1/chat/completions");
    expect(record?.fields).toMatchObject({
      method: "POST",
      status: 200,
      model: "RepoAgent",
      durationMs: expect.any(Number),
      session: expect.any(String),
    });
    expect(JSON.stringify(stack.logger.records)).not.toContain(API_KEY);
  });
});
