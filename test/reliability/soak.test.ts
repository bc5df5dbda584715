/**
 * The soak run: hundreds of chats through the library and the gateway, ten at a time, with random
 * (seeded) faults — 429, 5xx, 401, cut streams, missing final chunks, slow and chunked streams. Every
 * reply is checked against the emulator's record of what it sent: no lost, duplicated or reordered
 * text. At the end no socket, server or timer is left open and the heap is back near where it was.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import OpenAI from "openai";
import { expect, it } from "vitest";
import { Robocoders } from "../../src/client/robocoders.js";
import { RobocodersError } from "../../src/core/errors.js";
import { startEmulator } from "../../src/emulator/index.js";
import { mulberry32 } from "../../src/emulator/stream.js";
import type { Emulator } from "../../src/emulator/types.js";
import { SESSION_HEADER, startServer } from "../../src/server/index.js";
import { sentText } from "../support.js";
import { activeResources, recordsOf } from "./helpers.js";

const LIBRARY_CHATS = 200;
const GATEWAY_CHATS = 100;
const CONCURRENCY = 10;
const SEED = 20_240_607;

/** A fault for one call and whether the call must recover from it. */
interface Plan {
  spec: string;
  recovers: boolean;
}

function planFor(r: () => number): Plan {
  const x = r();
  if (x < 0.35) return { spec: "", recovers: true };
  if (x < 0.45) return { spec: "status=429, retry-after=0, count=1", recovers: true };
  if (x < 0.6) return { spec: `status=${[500, 502, 503][Math.floor(r() * 3)]}, count=1`, recovers: true };
  if (x < 0.7) return { spec: "status=401, count=1", recovers: true };
  if (x < 0.78) return { spec: `cut-mid-line=${1 + Math.floor(r() * 6)}`, recovers: false };
  if (x < 0.83) return { spec: "missing-final-chunk", recovers: true };
  if (x < 0.9)
    return {
      spec: `silence=${1 + Math.floor(r() * 5)}, chunk=random:${Math.floor(r() * 1000)}`,
      recovers: true,
    };
  return {
    spec: `slow-first-byte=${10 + Math.floor(r() * 40)}, chunk=${1 + Math.floor(r() * 64)}`,
    recovers: true,
  };
}

/** Runs `jobs` with at most `limit` at a time. */
async function pool<T>(count: number, limit: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await job(i);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}

function heapAfterGc(gc: () => void): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

interface Outcome {
  marker: string;
  plan: Plan;
  delivered: string;
  error: unknown;
}

it("soak: 300 chats with random faults lose, duplicate and reorder nothing, and leak nothing", async () => {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const before = activeResources();

  const emulator: Emulator = await startEmulator({ port: 0, maxChatRecords: 2000 });
  const token = await emulator.mintToken();
  const clientOptions = { baseURL: emulator.url, cacheDir: false as const, retryDelay: 2, maxRetries: 2 };
  const client = new Robocoders(clientOptions);
  // The reference text, byte for byte, so answers compare with the emulator's records.
  const gateway = await startServer({
    port: 0,
    apiKey: false,
    logLevel: "off",
    textMode: "reference",
    clientOptions,
  });
  const openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: "unused", maxRetries: 0 });
  const r = mulberry32(SEED);
  const plans = Array.from({ length: LIBRARY_CHATS + GATEWAY_CHATS }, () => planFor(r));

  /** Odd calls name a session whose first turn was played, so the fault hits the long working turn. */
  const sessionFor = async (i: number, marker: string): Promise<string | undefined> => {
    if (i % 2 === 0) return undefined;
    const sid = emulator.createSession();
    const res = await fetch(`${emulator.url}/chat`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({
        sid,
        prompt: `Write a CSV parser (setup ${marker})`,
        agent: "GeneralCodingAgent",
      }),
    });
    await res.text();
    return sid;
  };
  const promptFor = (plan: Plan, marker: string) =>
    `Write a CSV parser <${marker}>${plan.spec === "" ? "" : ` [[fault:${plan.spec}, tag=${marker}]]`}`;

  const viaLibrary = async (i: number): Promise<Outcome> => {
    const plan = plans[i]!;
    const marker = `lib-${i}`;
    const sid = await sessionFor(i, marker);
    let delivered = "";
    let error: unknown;
    try {
      const stream = client.chat(promptFor(plan, marker), sid === undefined ? { newSession: true } : { sid });
      for await (const text of stream.text()) delivered += text;
    } catch (e) {
      error = e;
    }
    return { marker, plan, delivered, error };
  };
  const viaGateway = async (i: number): Promise<Outcome> => {
    const plan = plans[LIBRARY_CHATS + i]!;
    const marker = `gw-${i}`;
    const sid = await sessionFor(i, marker);
    // The gateway pins only sessions it created for the caller: this one is recorded as such.
    if (sid !== undefined) await gateway.app.store.own(sid, JSON.stringify(["", null]));
    let delivered = "";
    let error: unknown;
    try {
      const stream = await openai.chat.completions.create(
        {
          model: "GeneralCodingAgent",
          stream: true,
          messages: [{ role: "user", content: promptFor(plan, marker) }],
        },
        { headers: sid === undefined ? {} : { [SESSION_HEADER]: sid } },
      );
      for await (const chunk of stream) delivered += chunk.choices[0]?.delta?.content ?? "";
    } catch (e) {
      error = e;
    }
    return { marker, plan, delivered, error };
  };

  // A first batch warms everything up; the heap is measured after it and at the end.
  const outcomes = await pool(40, CONCURRENCY, viaLibrary);
  const heapWarm = heapAfterGc(gc);
  outcomes.push(...(await pool(LIBRARY_CHATS - 40, CONCURRENCY, (i) => viaLibrary(i + 40))));
  const gatewayOutcomes = await pool(GATEWAY_CHATS, CONCURRENCY, viaGateway);

  const problems: string[] = [];
  for (const o of [...outcomes, ...gatewayOutcomes]) {
    const expected = sentText(recordsOf(emulator.chats, `<${o.marker}>`));
    if (o.delivered !== expected) {
      problems.push(
        `${o.marker} [${o.plan.spec}]: delivered ${o.delivered.length} chars, sent ${expected.length}`,
      );
    }
    if (o.plan.recovers && o.error !== undefined) {
      problems.push(`${o.marker} [${o.plan.spec}]: failed: ${String(o.error)}`);
    }
    if (!o.plan.recovers) {
      if (o.error === undefined)
        problems.push(`${o.marker} [${o.plan.spec}]: no error after a broken stream`);
      else if (o.marker.startsWith("lib") && (o.error as RobocodersError).code !== "stream_truncated") {
        problems.push(`${o.marker} [${o.plan.spec}]: ${String(o.error)}`);
      }
    }
  }
  expect(problems).toEqual([]);
  // Every library error is typed, every gateway error is an OpenAI API error.
  for (const o of outcomes) if (o.error !== undefined) expect(o.error).toBeInstanceOf(RobocodersError);
  for (const o of gatewayOutcomes) if (o.error !== undefined) expect(o.error).toBeInstanceOf(OpenAI.APIError);
  // The faults did happen.
  expect(emulator.stats.chatStreams.cut).toBeGreaterThan(10);
  expect(Object.keys(emulator.stats.faultsInjected).length).toBeGreaterThan(5);

  const heapEnd = heapAfterGc(gc);
  await client.close();
  await gateway.close(0);
  await emulator.close();

  // Nothing left open: sockets, servers, timers back to what they were before.
  const leaked = () => {
    const now = activeResources();
    return ["TCPSocketWrap", "TCPServerWrap", "Timeout"].filter((k) => (now[k] ?? 0) > (before[k] ?? 0));
  };
  // Polled by hand: a waiting helper's own timer would count as a leaked Timeout. Checked before each sleep.
  for (let i = 0; i < 250 && leaked().length > 0; i++)
    await new Promise((resolve) => setTimeout(resolve, 20));
  expect({ leaked: leaked(), now: activeResources(), before }).toMatchObject({ leaked: [] });
  // Memory stable: 260 more chats (and their 2000 kept records) grew the heap by less than 24 MiB.
  expect((heapEnd - heapWarm) / 2 ** 20).toBeLessThan(24);
}, 60_000);
