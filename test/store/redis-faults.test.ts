/**
 * The Redis store when the server is away: at start (refused with a clear message), stopped or restarted
 * mid-run (store_unavailable at once, then recovery without any call to reconnect), frozen (commands time
 * out), and an instance that crashes while holding a slot (the slot expires).
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { InvalidArgumentError, StoreUnavailableError } from "../../src/core/errors.js";
import { openStore, type Store } from "../../src/store/index.js";
import { ensureBuilt, ROOT } from "../cli/helpers.js";
import { freePort, useRedis } from "../redis.js";
import { recordingLogger } from "../support.js";

const redis = useRedis();
beforeAll(() => ensureBuilt(), 180_000);
const opened: Store[] = [];
afterEach(async () => {
  await redis().start();
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

async function open(options: Parameters<typeof openStore>[1] = {}): Promise<Store> {
  const store = await openStore(redis().url, { env: {}, prefix: `f${opened.length}:`, ...options });
  opened.push(store);
  return store;
}

describe("at start", () => {
  it("refuses an unreachable server with a clear message that hides the password", async () => {
    const port = await freePort();
    const started = Date.now();
    const error = await openStore(`redis://:hunter2-secret@127.0.0.1:${port}`, { env: {} }).catch((e) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error.code).toBe("store_unavailable");
    expect(error.message).toContain(`Cannot reach the store at redis://:***@127.0.0.1:${port}`);
    expect(error.message).toContain("ECONNREFUSED");
    expect(error.message).not.toContain("hunter2");
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("refuses unknown schemes and bad prefixes", async () => {
    await expect(openStore("http://127.0.0.1:6379", { env: {} })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(openStore("memory", { prefix: "a b", env: {} })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(openStore("memory", { prefix: "", env: {} })).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it("reads ROBOCODERS_STORE and ROBOCODERS_STORE_PREFIX", async () => {
    const store = await openStore(undefined, {
      env: { ROBOCODERS_STORE: redis().url, ROBOCODERS_STORE_PREFIX: "envp:" },
    });
    opened.push(store);
    expect(store.kind).toBe("redis");
    expect(store.prefix).toBe("envp:");
    const memory = await openStore(undefined, { env: {} });
    opened.push(memory);
    expect(memory.kind).toBe("memory");
    expect(memory.prefix).toBe("robocoders:");
  });
});

describe("while running", () => {
  it("fails calls with store_unavailable while the server is down and recovers by itself after a restart", async () => {
    const logger = recordingLogger();
    const store = await open({ logger });
    const other = await open({ prefix: "f0:" });
    const resets: number[] = [];
    const messages: string[] = [];
    await store.subscribe(
      "events",
      (message) => messages.push(message),
      () => resets.push(Date.now()),
    );
    const slot = await store.acquireSlot("pool", 5, 600);
    await store.set("k", "v", 60_000);

    await redis().stop();
    const started = Date.now();
    const error = await store.get("k").catch((e) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error.retryable).toBe(true);
    expect(error.retryAfterMs).toBe(1000);
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(store.claim("c", "v", 1000)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.rateLimit("a", { limit: 1, periodMs: 1000 })).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
    await expect.poll(() => store.available).toBe(false);
    expect(logger.records.filter((r) => r.level === "warn")).toHaveLength(1);
    expect(logger.records[0]?.message).toContain("store unreachable");

    await redis().start();
    // No call reconnects it: the store does so by itself.
    await expect.poll(() => store.available, { timeout: 5000 }).toBe(true);
    expect(await store.get("k")).toBeUndefined(); // persistence is off: the restarted server is empty
    await store.set("k", "again", 60_000);
    expect(await other.get("k")).toBe("again");
    expect(logger.records.some((r) => r.level === "info" && r.message.includes("reachable again"))).toBe(
      true,
    );
    // The held slot is put back by its refresher; subscriptions are renewed and told about the gap.
    await expect.poll(() => store.slotsInUse("pool"), { timeout: 3000 }).toBe(1);
    expect(resets.length).toBeGreaterThan(0);
    await expect
      .poll(
        async () => {
          await other.publish("events", "after restart");
          return messages;
        },
        { timeout: 3000, interval: 100 },
      )
      .toContain("after restart");
    await slot?.release();
    expect(await store.slotsInUse("pool")).toBe(0);
  });

  it("times out commands to a frozen server as store_unavailable", async () => {
    const store = await open({ redis: { commandTimeoutMs: 300 } });
    await store.set("k", "v", 60_000);
    redis().freeze();
    try {
      const started = Date.now();
      const error = await store.get("k").catch((e) => e);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      redis().resume();
    }
    await expect.poll(() => store.get("k").catch(() => "unavailable"), { timeout: 5000 }).toBe("v");
  });

  it("frees the slots of an instance that crashed (expiry)", async () => {
    const store = await open({ prefix: "crash:" });
    const child = spawn(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const { openStore } = await import(${JSON.stringify(join(ROOT, "dist/store/index.js"))});
const store = await openStore(${JSON.stringify(redis().url)}, { prefix: "crash:", env: {} });
await store.acquireSlot("pool", 5, 400);
process.stdout.write("held\\n");
setInterval(() => {}, 1000);`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (chunk: Buffer) => {
          if (chunk.toString().includes("held")) resolve();
        });
        child.once("exit", () => reject(new Error("child exited early")));
      });
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(await store.slotsInUse("pool")).toBe(1); // refreshed past its 400 ms ttl
      child.kill("SIGKILL");
      await expect.poll(() => store.slotsInUse("pool"), { timeout: 2000, interval: 50 }).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
