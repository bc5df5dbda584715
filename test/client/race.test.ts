/**
 * Several processes on a cold cache: they must share one token fetch and one session, and leave a valid
 * cache file. The children run the built package (dist/), built here when it is older than the sources.
 */
import { execFile, spawn } from "node:child_process";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, expect, it } from "vitest";
import { useWorld } from "./helpers.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const distEntry = join(root, "dist", "index.js");

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, await newestMtime(path));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, (await stat(path)).mtimeMs);
  }
  return newest;
}

beforeAll(async () => {
  const built = await stat(distEntry).then(
    (info) => info.mtimeMs,
    () => 0,
  );
  const sources = Math.max(
    ...(await Promise.all(
      ["core", "client", "provider"].map((part) => newestMtime(join(root, "src", part))),
    )),
  );
  if (built < sources) {
    await promisify(execFile)(
      process.execPath,
      [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"],
      {
        cwd: root,
      },
    ).catch(() => undefined); // tsc emits even when another part has type errors; the import below checks.
  }
}, 180_000);

const CHILD = `
import { Robocoders } from ${JSON.stringify(distEntry)};
const [baseURL, cacheDir] = process.argv.slice(2);
const client = new Robocoders({ baseURL, cacheDir, retryDelay: 10 });
const stream = client.chat("Write a Python script that adds two numbers", { maxContinues: 0 });
const text = await stream.finalText();
const status = await client.status();
await client.close();
process.stdout.write(JSON.stringify({ sid: stream.sid, cachedSid: status.sid, source: status.tokenSource, chars: text.length }));
`;

function runChild(script: string, args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { PATH: process.env.PATH ?? "" },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolvePromise(out) : reject(new Error(`child exited ${code}: ${err}`)),
    );
  });
}

const w = useWorld();

it("several processes racing on a cold cache share one /auth fetch and one session", async () => {
  const script = join(w.dir, "child.mjs");
  await writeFile(script, CHILD);
  const outputs = await Promise.all(
    Array.from({ length: 6 }, () => runChild(script, [w.emulator.url, w.cacheDir])),
  );
  const results = outputs.map((out) => JSON.parse(out) as { sid: string; cachedSid: string; chars: number });

  expect(w.emulator.stats.requests.auth).toBe(1);
  expect(w.emulator.stats.tokensIssued).toBe(1);
  expect(w.emulator.stats.sessionsCreated).toBe(1);
  expect(w.emulator.stats.requests.chat).toBe(6);
  const sids = new Set(results.map((result) => result.sid));
  expect(sids.size).toBe(1);
  for (const result of results) expect(result.chars).toBeGreaterThan(0);

  const data = JSON.parse(await readFile(w.cacheFile, "utf8")) as Record<string, unknown>;
  expect(data.sid).toBe([...sids][0]);
  expect(typeof data.access_token).toBe("string");
  expect((await stat(w.cacheFile)).mode & 0o777).toBe(0o600);
  const leftovers = (await readdir(w.cacheDir)).filter((name) => join(w.cacheDir, name) !== w.cacheFile);
  expect(leftovers).toEqual([]);
}, 120_000);
