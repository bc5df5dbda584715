/**
 * Cache safety: many processes (the built client) race on one credential cache, cold and corrupt. The
 * file is valid JSON with owner-only permissions afterwards, every process ends with the same token, and
 * the race makes exactly one `/auth` fetch.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cacheFileName } from "../../src/client/options.js";
import { startEmulator } from "../../src/emulator/index.js";
import type { Emulator } from "../../src/emulator/types.js";
import { runNode } from "./helpers.js";

/** The name of the emulator's cache file. */
const cacheFile = (): string => cacheFileName(emulator.url);

const CHILD = fileURLToPath(new URL("./fixtures/cache-child.mjs", import.meta.url));
const PROCESSES = 10;

let emulator: Emulator;
let root: string;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  root = mkdtempSync(join(tmpdir(), "robocoders-race-"));
});

afterAll(async () => {
  await emulator?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** Starts the processes together and returns the token digest each one printed. */
async function race(cacheDir: string): Promise<string[]> {
  const startAt = Date.now() + 600;
  const results = await Promise.all(
    Array.from({ length: PROCESSES }, () =>
      runNode([CHILD, emulator.url, cacheDir, String(startAt)], {}, 60_000),
    ),
  );
  return results.map((r) => {
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    const parsed: unknown = JSON.parse(r.stdout);
    expect(parsed).toMatchObject({ digest: expect.stringMatching(/^[0-9a-f]{64}$/) });
    return (parsed as { digest: string }).digest;
  });
}

function expectSoundCache(cacheDir: string): void {
  const file = join(cacheDir, cacheFile());
  const data: unknown = JSON.parse(readFileSync(file, "utf8"));
  expect(data).toMatchObject({ access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/) });
  expect(statSync(file).mode & 0o777).toBe(0o600);
  // No lock or temporary file is left behind.
  expect(readdirSync(cacheDir)).toEqual([cacheFile()]);
}

describe("cache safety: processes racing on one cache", () => {
  it(`${PROCESSES} processes on a cold cache: one /auth fetch, one token, a sound file`, async () => {
    emulator.reset();
    const dir = join(root, "cold");
    const digests = await race(dir);
    expect(new Set(digests).size).toBe(1);
    expect(emulator.stats.requests.auth).toBe(1);
    expectSoundCache(dir);
  });

  it(`${PROCESSES} processes on a corrupt cache: it is replaced once, by a sound file`, async () => {
    emulator.reset();
    const dir = join(root, "corrupt");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, cacheFile()), '{"access_token": "eyJhbGciOiJIUzI1NiJ9.trunc', {
      mode: 0o644,
    });
    const digests = await race(dir);
    expect(new Set(digests).size).toBe(1);
    expect(emulator.stats.requests.auth).toBe(1);
    expectSoundCache(dir);
  });

  it(`${PROCESSES} processes on a warm cache: no /auth fetch, the file untouched`, async () => {
    emulator.reset();
    const dir = join(root, "cold");
    const before = readFileSync(join(dir, cacheFile()), "utf8");
    const digests = await race(dir);
    expect(new Set(digests).size).toBe(1);
    expect(emulator.stats.requests.auth).toBe(0);
    expect(readFileSync(join(dir, cacheFile()), "utf8")).toBe(before);
    expectSoundCache(dir);
  });
});
