/**
 * Clients (one per gateway instance) that keep their credentials in one Redis store: one `/auth` for all of
 * them, and after a token is rejected, one replacement for all of them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CredentialStore } from "../../src/client/cache.js";
import { Robocoders } from "../../src/client/robocoders.js";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { openStore, type Store, StoreCredentialCache } from "../../src/store/index.js";
import { useRedis } from "../redis.js";

const redis = useRedis();
let emulator: Emulator;
const stores: Store[] = [];
const clients: Robocoders[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  for (let i = 0; i < 3; i++) {
    const store = await openStore(redis().url, { prefix: "creds:", env: {} });
    stores.push(store);
    const credentialStore: CredentialStore = new StoreCredentialCache(store);
    clients.push(
      new Robocoders({
        baseURL: emulator.url,
        credentialStore,
        maxRetries: 0,
        maxContinues: 0,
        logLevel: "off",
      }),
    );
  }
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await Promise.all(stores.map((store) => store.close()));
  await emulator?.close();
});

describe("credentials in a shared store", () => {
  it("fetches one token for every client, and replaces a rejected one once", async () => {
    const ask = (i: number) =>
      (clients[i % 3] as Robocoders).chat(`question ${i}`, { newSession: true }).finalText();
    const answers = await Promise.all(Array.from({ length: 9 }, (_, i) => ask(i)));
    expect(answers.every((text) => text.length > 0)).toBe(true);
    expect(emulator.stats.requests.auth).toBe(1);
    const stored = await new StoreCredentialCache(stores[0] as Store).read();
    expect(stored.access_token).toMatch(/^eyJ/);

    // The service rejects the token once: the client that sees the 401 fetches a new one for everybody.
    emulator.addFault("status=401, count=1, endpoint=chat");
    await ask(0);
    expect(emulator.stats.requests.auth).toBe(2);
    await Promise.all(Array.from({ length: 6 }, (_, i) => ask(i)));
    expect(emulator.stats.requests.auth).toBe(2);
    // (Tokens minted in the same second are the same string: the /auth count is what shows the refresh.)
    expect((await new StoreCredentialCache(stores[2] as Store).read()).access_token).toMatch(/^eyJ/);
  });
});
