/**
 * Three gateway instances sharing one redis-server, requests round-robined over them: one `/auth` for the
 * fleet, a rate limit and a key revocation that hold across instances, 503 store_unavailable while Redis
 * is away (and recovery), and a gateway that refuses to start without its store.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { type RunningServer, startServer } from "../../src/server/index.js";
import { ApiKeys, openStore, type Store } from "../../src/store/index.js";
import { ensureBuilt, runCli } from "../cli/helpers.js";
import { freePort, useRedis } from "../redis.js";
import { recordingLogger } from "../support.js";

const redis = useRedis();
let emulator: Emulator;
let admin: Store;
const fleet: RunningServer[] = [];
let turn = 0;
const next = () => fleet[turn++ % fleet.length] as RunningServer;

beforeAll(async () => {
  ensureBuilt();
  emulator = await startEmulator({ port: 0 });
  admin = await openStore(redis().url, { prefix: "fleet:", env: {} });
  for (let i = 0; i < 3; i++) {
    fleet.push(
      await startServer({
        port: 0,
        apiKey: false,
        sharedStore: redis().url,
        storePrefix: "fleet:",
        storeKeys: true,
        rateLimit: "4/min",
        logger: recordingLogger(),
        clientOptions: { baseURL: emulator.url, maxRetries: 0, maxContinues: 0, logLevel: "off" },
      }),
    );
  }
}, 180_000);

afterAll(async () => {
  await Promise.all(fleet.map((server) => server.close(0)));
  await admin?.close();
  await emulator?.close();
});

async function complete(server: RunningServer, key: string, content = "hello") {
  const response = await fetch(`${server.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: "GeneralCodingAgent", messages: [{ role: "user", content }] }),
  });
  const body = (await response.json()) as {
    choices?: Array<{ message: { content: string } }>;
    error?: { code: string };
  };
  return { status: response.status, headers: response.headers, body };
}

describe("a fleet on one Redis", () => {
  it("fetches the upstream token once for all instances", async () => {
    const { key } = await new ApiKeys(admin).add("auth once");
    const answers = await Promise.all(fleet.map((server, i) => complete(server, key, `question ${i}`)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    for (const answer of answers) {
      expect(answer.body.choices?.[0]?.message.content).toBe(
        emulator.chats.find((r) => r.sid === answer.headers.get("x-robocoders-session"))?.texts.join(""),
      );
    }
    expect(emulator.stats.requests.auth).toBe(1);
  });

  it("counts each caller's requests once across instances (--rate-limit 4/min)", async () => {
    const { key } = await new ApiKeys(admin).add("limited");
    const statuses: number[] = [];
    let refused: Awaited<ReturnType<typeof complete>> | undefined;
    for (let i = 0; i < 6; i++) {
      const answer = await complete(next(), key);
      statuses.push(answer.status);
      if (answer.status === 429) refused = answer;
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    expect(refused?.body.error?.code).toBe("rate_limit_exceeded");
    expect(Number(refused?.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // Another caller has its own budget.
    const other = await new ApiKeys(admin).add("other");
    expect((await complete(next(), other.key)).status).toBe(200);
  });

  it("stops a revoked key on every instance within a second", async () => {
    const keys = new ApiKeys(admin);
    const added = await keys.add("to revoke");
    expect(
      (await Promise.all(fleet.map((server) => complete(server, added.key)))).map((a) => a.status),
    ).toEqual([200, 200, 200]);
    await keys.revoke(added.id);
    const revokedAt = Date.now();
    await expect
      .poll(
        async () =>
          (await Promise.all(fleet.map((server) => complete(server, added.key)))).map((a) => a.status),
        {
          timeout: 1000,
          interval: 50,
        },
      )
      .toEqual([401, 401, 401]);
    expect(Date.now() - revokedAt).toBeLessThan(1000);
  });

  it("answers 503 store_unavailable with Retry-After while Redis is away, and recovers by itself", async () => {
    const { key } = await new ApiKeys(admin).add("outage");
    await redis().stop();
    try {
      const answer = await complete(next(), key);
      expect(answer.status).toBe(503);
      expect(answer.body.error?.code).toBe("store_unavailable");
      expect(answer.headers.get("retry-after")).toBe("1");
    } finally {
      await redis().start();
    }
    // Persistence is off: the restarted Redis is empty, so the key is added again.
    await expect.poll(() => admin.available, { timeout: 5000 }).toBe(true);
    const again = await new ApiKeys(admin).add("after outage");
    await expect
      .poll(async () => (await complete(next(), again.key)).status, { timeout: 5000, interval: 100 })
      .toBe(200);
  });

  it("refuses to start when the store cannot be reached", async () => {
    const port = await freePort();
    const result = await runCli(["serve", "--port", "0", "--store", `redis://:pw-secret@127.0.0.1:${port}`]);
    expect(result.code).toBe(5);
    expect(result.stderr).toContain(`Cannot reach the store at redis://:***@127.0.0.1:${port}`);
    expect(result.stderr).not.toContain("pw-secret");
    expect(result.stdout).toBe("");
  });
});

describe("--max-concurrency on one Redis", () => {
  it("caps running completions for the fleet as a whole, and frees the slots as they end", async () => {
    const pair = await Promise.all(
      [0, 1].map(() =>
        startServer({
          port: 0,
          apiKey: false,
          sharedStore: redis().url,
          storePrefix: "cap:",
          maxConcurrency: 2,
          logger: recordingLogger(),
          clientOptions: { baseURL: emulator.url, maxRetries: 0, maxContinues: 0, logLevel: "off" },
        }),
      ),
    );
    const [a, b] = pair as [RunningServer, RunningServer];
    const slow = (server: RunningServer, content: string) =>
      fetch(`${server.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: "GeneralCodingAgent",
          stream: true,
          messages: [{ role: "user", content: `${content} [[fault:verbose silence=400]]` }],
        }),
      });
    try {
      const running = [await slow(a, "first slow task"), await slow(b, "second slow task")];
      expect(running.map((response) => response.status)).toEqual([200, 200]);
      const refused = await slow(a, "one too many");
      expect(refused.status).toBe(429);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("rate_limit_exceeded");
      expect(refused.headers.get("retry-after")).toBe("1");
      await Promise.all(running.map((response) => response.text()));
      await expect
        .poll(async () => (await slow(b, `after ${Date.now()}`)).status, { timeout: 5000, interval: 100 })
        .toBe(200);
    } finally {
      await Promise.all(pair.map((server) => server.close(0)));
    }
  });
});
