/**
 * Leaving a chat stream early (a gateway that stops at an error frame or a size cap) cancels the request
 * without an unhandled AbortError: vitest fails a run on any unhandled error.
 */
import { expect, it } from "vitest";
import { Robocoders } from "../../src/client/robocoders.js";
import { startEmulator } from "../../src/emulator/index.js";

it("returning from a chat stream's iterator mid-body cancels the request cleanly", async () => {
  const emulator = await startEmulator({ port: 0, latencyMs: 20 });
  const client = new Robocoders({ baseURL: emulator.url, cacheDir: false, maxRetries: 0, logLevel: "off" });
  try {
    const stream = client.chat("Write a CLI that adds two numbers", {
      newSession: true,
      persistSession: false,
    });
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).done).toBe(false);
    expect(await iterator.return?.()).toEqual({ done: true, value: undefined });
    // Let the destroyed response and the aborted request settle inside this test.
    await new Promise((resolve) => setTimeout(resolve, 200));
  } finally {
    await client.close();
    await emulator.close();
  }
});
