/**
 * `robocoders keys add|list|revoke` end to end: the built CLI against a real redis-server.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeys, openStore, type Store } from "../../src/store/index.js";
import { freePort, useRedis } from "../redis.js";
import { ensureBuilt, runCli } from "./helpers.js";

const redis = useRedis();
let store: Store;
beforeAll(async () => {
  ensureBuilt();
  store = await openStore(redis().url, { prefix: "cli:", env: {} });
}, 180_000);
afterAll(async () => {
  await store?.close();
});

const env = () => ({ ROBOCODERS_STORE: redis().url, ROBOCODERS_STORE_PREFIX: "cli:" });

describe("robocoders keys", () => {
  it("adds a key shown once, lists it without the key, and revokes it", async () => {
    const added = await runCli(["keys", "add", "ci bot"], { env: env() });
    expect(added.code).toBe(0);
    const key = added.stdout.trim();
    expect(added.stdout).toMatch(/^rck_[A-Za-z0-9_-]{43}\n$/);
    expect(added.stderr).toMatch(/Added key_[0-9a-f]{12} \(ci bot\)\. The key is shown only this once/);
    expect((await new ApiKeys(store).verify(key))?.name).toBe("ci bot");

    const listed = await runCli(["keys", "list", "--json"], { env: env() });
    expect(listed.code).toBe(0);
    const records = JSON.parse(listed.stdout) as Array<{ id: string; name: string; hint: string }>;
    expect(records).toHaveLength(1);
    expect(records[0]?.name).toBe("ci bot");
    expect(listed.stdout).not.toContain(key);
    const table = await runCli(["keys", "list"], { env: env() });
    expect(table.stdout).toMatch(/^ID\s+NAME\s+KEY\s+CREATED\n/);
    expect(table.stdout).toContain(`${records[0]?.id}  ci bot  ${key.slice(0, 10)}…`);
    expect(table.stdout).not.toContain(key);

    // Nothing in the store holds the key itself.
    const raw = new Redis(redis().url);
    try {
      const dump = JSON.stringify(await raw.hgetall("cli:apikeys"));
      expect(dump).not.toContain(key);
    } finally {
      raw.disconnect();
    }

    const revoked = await runCli(["keys", "revoke", records[0]?.id ?? ""], { env: env() });
    expect(revoked.code).toBe(0);
    expect(revoked.stderr).toContain(`Revoked ${records[0]?.id} (ci bot)`);
    expect(await new ApiKeys(store).verify(key)).toBeUndefined();
    const again = await runCli(["keys", "revoke", records[0]?.id ?? ""], { env: env() });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("No API key has the id");
    const empty = await runCli(["keys", "list"], { env: env() });
    expect(empty).toMatchObject({ code: 0, stdout: "" });
    expect(empty.stderr).toContain("No API keys.");
  });

  it("takes --store and --store-prefix as flags", async () => {
    const added = await runCli(
      ["keys", "add", "flags", "--json", "--store", redis().url, "--store-prefix", "other:"],
      {},
    );
    expect(added.code).toBe(0);
    const record = JSON.parse(added.stdout) as { key: string; id: string };
    expect(await new ApiKeys(store).verify(record.key)).toBeUndefined(); // another prefix
    const other = await openStore(redis().url, { prefix: "other:", env: {} });
    try {
      expect((await new ApiKeys(other).verify(record.key))?.id).toBe(record.id);
    } finally {
      await other.close();
    }
  });

  it("needs a shared store", async () => {
    const result = await runCli(["keys", "list"], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("API keys live in the gateways' shared store");
    expect(result.stderr).toContain("--store redis://host:port");
  });

  it("says clearly when the store cannot be reached (exit 5), without the password", async () => {
    const port = await freePort();
    const result = await runCli(["keys", "list", "--store", `redis://:topsecret@127.0.0.1:${port}`]);
    expect(result.code).toBe(5);
    expect(result.stderr).toContain(`robocoders: Cannot reach the store at redis://:***@127.0.0.1:${port}`);
    expect(result.stderr).not.toContain("topsecret");
  });

  it("refuses an empty name", async () => {
    const result = await runCli(["keys", "add", " "], { env: env() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("A key name must be 1 to 100 printable characters");
  });
});
