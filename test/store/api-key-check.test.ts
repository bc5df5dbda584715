/** The gateway's check of API keys kept in a store (`robocoders keys add`), with and without a fixed key. */
import { describe, expect, it } from "vitest";
import { storeApiKeyCheck } from "../../src/server/api-key.js";
import { ApiKeys, MemoryStore } from "../../src/store/index.js";

const headers =
  (values: Record<string, string>) =>
  (name: string): string | undefined =>
    values[name.toLowerCase()];

describe("storeApiKeyCheck", () => {
  it("accepts stored keys and the fixed key, refuses others, and scopes callers by key", async () => {
    const store = new MemoryStore();
    const keys = new ApiKeys(store, { cacheMs: 0 });
    const a = await keys.add("team a");
    const b = await keys.add("team b");
    const check = storeApiKeyCheck(keys, "fixed-key-123");
    expect(await check.errorFor(headers({ authorization: `Bearer ${a.key}` }))).toBeUndefined();
    expect(await check.errorFor(headers({ "x-api-key": b.key }))).toBeUndefined();
    expect(await check.errorFor(headers({ authorization: "Bearer fixed-key-123" }))).toBeUndefined();
    expect((await check.errorFor(headers({})))?.openaiCode).toBe("missing_api_key");
    const wrong = await check.errorFor(headers({ authorization: `Bearer ${a.key}x` }));
    expect(wrong?.status).toBe(401);
    expect(wrong?.openaiCode).toBe("invalid_api_key");
    const callerA = check.callerOf(headers({ authorization: `Bearer ${a.key}` }));
    expect(callerA).toMatch(/^key:[0-9a-f]{32}$/);
    expect(callerA).not.toContain(a.key);
    expect(check.callerOf(headers({ "x-api-key": b.key }))).not.toBe(callerA);
    await keys.revoke(a.id);
    expect((await check.errorFor(headers({ authorization: `Bearer ${a.key}` })))?.openaiCode).toBe(
      "invalid_api_key",
    );
    await store.close();
  });
});
