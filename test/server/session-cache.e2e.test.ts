/**
 * The gateway tracks its conversations' sessions itself: they never go into the shared credential cache.
 */
import { readFile, stat } from "node:fs/promises";
import OpenAI from "openai";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Stack, startStack } from "./helpers.js";

let stack: Stack;
let openai: OpenAI;

beforeAll(async () => {
  stack = await startStack();
  openai = new OpenAI({ baseURL: stack.baseURL, apiKey: "unused", maxRetries: 0 });
});
afterAll(async () => {
  await stack?.close();
});

it("new conversations create sessions without rewriting robocoders.json", async () => {
  const file = stack.client.cacheFile;
  if (file === undefined) throw new Error("the stack's client has no cache file");
  // The first request fetches and caches the token.
  await openai.chat.completions.create({
    model: "GeneralCodingAgent",
    messages: [{ role: "user", content: "a" }],
  });
  const before = await readFile(file, "utf8");
  const mtime = (await stat(file)).mtimeMs;
  expect(JSON.parse(before)).not.toHaveProperty("sid");

  const sids = await Promise.all(
    Array.from({ length: 8 }, async (_, i) => {
      const { response } = await openai.chat.completions
        .create({ model: "GeneralCodingAgent", messages: [{ role: "user", content: `task ${i}` }] })
        .withResponse();
      return response.headers.get("x-robocoders-session");
    }),
  );
  expect(new Set(sids).size).toBe(8);
  expect(await readFile(file, "utf8")).toBe(before);
  expect((await stat(file)).mtimeMs).toBe(mtime);
  expect(stack.emulator.stats.requests.auth).toBe(1);
});
