/**
 * Fair under load: a cap on running chat completions (429 with Retry-After past it).
 */
import { describe, expect, it } from "vitest";
import { MemoryConcurrencyLimiter } from "../../src/server/index.js";
import { errorOf, type Stack, stackFixture } from "./helpers.js";

const stack = stackFixture();

const chat = (s: Stack, content: string, stream = false) =>
  fetch(`${s.baseURL}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "general", stream, messages: [{ role: "user", content }] }),
  });

describe("maxConcurrency", () => {
  it("answers 429 rate_limit_exceeded with Retry-After past the cap, and frees slots as completions end", async () => {
    const s = await stack({ server: { maxConcurrency: 2 } });
    const slow = "Write add.py [[fault:slow-body=800]]";
    const [a, b] = await Promise.all([chat(s, slow, true), chat(s, slow, true)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const third = await chat(s, "hello");
    expect(third.status).toBe(429);
    expect(third.headers.get("retry-after")).toBe("1");
    expect(await errorOf(third)).toMatchObject({ type: "rate_limit_error", code: "rate_limit_exceeded" });
    await Promise.all([a.text(), b.text()]);
    expect(s.server.app.activeRequests).toBe(0);
    expect((await chat(s, "hello")).status).toBe(200);
    // Cancelled and failed completions give their slot back too.
    const cancelled = new AbortController();
    const gone = await fetch(`${s.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "general", stream: true, messages: [{ role: "user", content: slow }] }),
      signal: cancelled.signal,
    });
    expect(gone.status).toBe(200);
    cancelled.abort();
    await expect.poll(() => (s.server.app.limiter as MemoryConcurrencyLimiter).active).toBe(0);
    expect((await chat(s, "missing [[fault:error-frame]]")).status).toBe(502);
    expect((s.server.app.limiter as MemoryConcurrencyLimiter).active).toBe(0);
  });

  it("rejects a nonsense cap", () => {
    expect(() => new MemoryConcurrencyLimiter(0)).toThrow(/positive integer/);
  });
});
