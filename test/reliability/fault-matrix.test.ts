/**
 * The fault matrix: every fault mode of the emulator against the library, the built CLI (a child process)
 * and the gateway (through the official `openai` client). Each row says what must happen: the call
 * recovers and delivers exactly the text the emulator sent, or it fails with a clear error after
 * delivering everything that arrived whole — never lost, duplicated or reordered text.
 *
 * Each faulty call is the second turn of a fresh session (the first turn, a clarifying question, is played
 * beforehand without faults), so the fault shapes the long working turn: many lines, long file contents,
 * non-ASCII text. Rows run concurrently; each call is told apart by a marker in its prompt.
 */

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { Agent, fetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cacheFileName } from "../../src/client/options.js";
import { Robocoders } from "../../src/client/robocoders.js";
import { RobocodersError } from "../../src/core/errors.js";
import { startEmulator } from "../../src/emulator/index.js";
import type { ChatOutcome, Emulator } from "../../src/emulator/types.js";
import { type RunningServer, SESSION_HEADER, startServer } from "../../src/server/index.js";
import { sentText } from "../support.js";
import { CLI, recordsOf, runNode } from "./helpers.js";

/** What a row expects: recovery, or an error of this library code, CLI exit code and gateway status. */
type Expected =
  | {
      ok: true;
      /** How the last faulty response ended. Default: `completed`. */
      outcome?: ChatOutcome;
    }
  | {
      /** Library error code. */
      error: string;
      /** CLI exit code. */
      exit: number;
      /** Gateway HTTP status before the stream began, or "in-stream" for an error event inside the stream. */
      gateway: number | "in-stream";
    };

interface Row {
  /** The fault spec, sent as a `[[fault:...]]` prompt directive. */
  spec: string;
  expected: Expected;
  /** Instance faults set on the emulator for this row (e.g. on `/auth`), instead of the directive. */
  instance?: string;
  /**
   * The call does not name its session (the library picks or creates one, the CLI starts a new one, the
   * gateway starts a new conversation), so the faulty request is the first turn. Default: the call names a
   * session whose first turn was played (`sid`, `--session`, `X-Robocoders-Session`).
   */
  implicit?: boolean;
}

const OK: Expected = { ok: true };
/** Every line arrived but the body's terminating chunk did not: the turn is complete all the same. */
const OK_WITHOUT_TERMINATOR: Expected = { ok: true, outcome: "missing-final-chunk" };
const TRUNCATED: Expected = { error: "stream_truncated", exit: 5, gateway: "in-stream" };

const ROWS: Row[] = [
  // Stream shapes: every one must decode to exactly the text that was sent.
  { spec: "chunk=1", expected: OK },
  { spec: "chunk=split", expected: OK },
  { spec: "chunk=random:7", expected: OK },
  { spec: "chunk=whole", expected: OK },
  { spec: "crlf", expected: OK },
  { spec: "split-crlf", expected: OK },
  { spec: "utf8", expected: OK },
  { spec: "blank-lines", expected: OK },
  { spec: "no-final-newline", expected: OK },
  { spec: "malformed", expected: OK },
  { spec: "non-object", expected: OK },
  { spec: "nan", expected: OK },
  { spec: "control", expected: OK },
  { spec: "error-frame", expected: OK },
  { spec: "long-line=2MiB", expected: OK },
  { spec: "silence=30", expected: OK },
  { spec: "slow-first-byte=150", expected: OK },
  { spec: "slow-body=150", expected: OK },
  { spec: "verbose", expected: OK },
  { spec: "chunk=1, crlf, blank-lines, malformed, nan, utf8", expected: OK },
  // Transient statuses: retried (or re-authenticated, or a new session) before any output.
  { spec: "status=429, retry-after=0, count=1", expected: OK },
  { spec: "status=500, count=1", expected: OK },
  { spec: "status=502, count=1", expected: OK },
  { spec: "status=503, count=1", expected: OK },
  { spec: "status=504, count=1", expected: OK },
  { spec: "status=401, count=1", expected: OK },
  { spec: "status=401, count=1", expected: OK, implicit: true },
  // A session the caller named is never silently replaced; one the client chose is.
  { spec: "status=404, count=1", expected: { error: "not_found", exit: 4, gateway: 404 } },
  { spec: "status=404, count=1", expected: OK, implicit: true },
  // Broken streams: everything whole is delivered, then a clear error.
  { spec: "cut-mid-line=3", expected: TRUNCATED },
  // Every line arrived, the last one ending the turn: only the terminator is missing, the turn is complete.
  { spec: "missing-final-chunk", expected: OK_WITHOUT_TERMINATOR },
  // Persistent statuses: a clear error, nothing delivered.
  { spec: "status=422", expected: { error: "validation_failed", exit: 4, gateway: 400 } },
  { spec: "status=403", expected: { error: "authentication_failed", exit: 3, gateway: 502 } },
  { spec: "status=401", expected: { error: "authentication_failed", exit: 3, gateway: 502 } },
  { spec: "status=404", expected: { error: "not_found", exit: 4, gateway: 404 } },
  { spec: "status=404", expected: { error: "not_found", exit: 4, gateway: 502 }, implicit: true },
  { spec: "status=429, retry-after=0", expected: { error: "rate_limited", exit: 4, gateway: 429 } },
  { spec: "status=500", expected: { error: "server_error", exit: 5, gateway: 502 } },
  { spec: "status=503", expected: { error: "server_error", exit: 5, gateway: 503 } },
  // /auth hands out expired tokens.
  {
    spec: "",
    instance: "expired-token",
    implicit: true,
    expected: { error: "authentication_failed", exit: 3, gateway: 502 },
  },
];

const CLIENT_OPTIONS = { cacheDir: false as const, retryDelay: 5, maxRetries: 2 };

let emulator: Emulator;
let gateway: RunningServer;
let dir: string;
let token: string;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  // The reference text, byte for byte, so the gateway's answers compare with the emulator's records.
  gateway = await startServer({
    port: 0,
    apiKey: false,
    logLevel: "off",
    textMode: "reference",
    clientOptions: { ...CLIENT_OPTIONS, baseURL: emulator.url },
  });
  dir = mkdtempSync(join(tmpdir(), "robocoders-matrix-"));
  token = await emulator.mintToken();
});

// One connection per setup request: a kept-alive socket can be closed by the emulator just as it is reused
// (ECONNRESET on a loaded machine), and a POST is not retried.
const setupDispatcher = new Agent({ pipelining: 0 });

/** A fresh session whose first turn (the agent's question) was played, without faults. */
async function answeredSession(marker: string): Promise<string> {
  const sid = emulator.createSession();
  const res = await fetch(`${emulator.url}/chat`, {
    dispatcher: setupDispatcher,
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({
      sid,
      prompt: `Write a Python function that adds two numbers (setup ${marker})`,
      agent: "GeneralCodingAgent",
    }),
  });
  expect(res.status).toBe(200);
  await res.text();
  return sid;
}

afterAll(async () => {
  await setupDispatcher.close();
  await gateway?.close(0);
  await emulator?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function promptFor(row: Row, marker: string): string {
  const directive = row.spec === "" ? "" : ` [[fault:${row.spec}, tag=${marker}]]`;
  return `Keep it in one file, go ahead <${marker}>${directive}`;
}

/** Checks the delivered text against the emulator's record, and the outcome against the row. */
function check(row: Row, marker: string, delivered: string, failed: boolean): void {
  const records = recordsOf(emulator.chats, `<${marker}>`);
  expect(delivered).toBe(sentText(records));
  if ("ok" in row.expected) {
    expect(failed).toBe(false);
    expect(delivered.length).toBeGreaterThan(0);
    expect(records.at(-1)?.outcome).toBe(row.expected.outcome ?? "completed");
  } else {
    expect(failed).toBe(true);
  }
}

/** Rows with instance faults run alone (they change the emulator for everyone), after the others. */
function eachRow(surface: string, run: (row: Row, marker: string) => Promise<void>): void {
  describe.concurrent(`${surface}: per-request faults`, () => {
    ROWS.forEach((row, i) => {
      if (row.instance === undefined) it(title(row), () => run(row, `${surface}-${i}`));
    });
  });
  describe(`${surface}: instance faults`, () => {
    ROWS.forEach((row, i) => {
      if (row.instance !== undefined) {
        it(title(row), async () => {
          emulator.setFaults(row.instance);
          try {
            await run(row, `${surface}-${i}`);
          } finally {
            emulator.clearFaults();
          }
        });
      }
    });
  });
}

function title(row: Row): string {
  const e = row.expected;
  const outcome = "ok" in e ? "recovers" : `${e.error} / exit ${e.exit} / gateway ${e.gateway}`;
  return `${row.instance ?? row.spec}${row.implicit ? " (new session)" : ""} → ${outcome}`;
}

describe("fault matrix: library (Robocoders)", () => {
  eachRow("lib", async (row, marker) => {
    const sid = row.implicit ? undefined : await answeredSession(marker);
    const client = new Robocoders({ ...CLIENT_OPTIONS, baseURL: emulator.url });
    let delivered = "";
    let error: unknown;
    try {
      for await (const text of client.chat(promptFor(row, marker), sid === undefined ? {} : { sid }).text())
        delivered += text;
    } catch (e) {
      error = e;
    } finally {
      await client.close();
    }
    check(row, marker, delivered, error !== undefined);
    if (!("ok" in row.expected)) {
      expect(error).toBeInstanceOf(RobocodersError);
      expect((error as RobocodersError).code).toBe(row.expected.error);
    }
  });
});

describe("fault matrix: CLI (dist/cli/main.js)", () => {
  eachRow("cli", async (row, marker) => {
    {
      const session = row.implicit ? [] : ["--session", await answeredSession(marker)];
      const cacheDir = join(dir, marker);
      const result = await runNode([CLI, "chat", "--raw", ...session, promptFor(row, marker)], {
        ROBOCODERS_BASE_URL: emulator.url,
        ROBOCODERS_CACHE_DIR: cacheDir,
      });
      const expectedExit = "ok" in row.expected ? 0 : row.expected.exit;
      expect({ exit: result.code, stderr: result.stderr }).toMatchObject({ exit: expectedExit });
      check(row, marker, result.stdout, result.code !== 0);
      if (result.code !== 0) {
        // One clear line, no stack trace.
        expect(result.stderr.trim().split("\n")).toHaveLength(1);
        expect(result.stderr).not.toMatch(/\n\s+at /);
      }
      // The token never shows up in the output.
      let token: string | undefined;
      try {
        const cache: unknown = JSON.parse(readFileSync(join(cacheDir, cacheFileName(emulator.url)), "utf8"));
        if (typeof cache === "object" && cache !== null && "access_token" in cache) {
          token = typeof cache.access_token === "string" ? cache.access_token : undefined;
        }
      } catch {
        // no cache written (the call failed before a token was stored)
      }
      if (token) {
        expect(result.stdout + result.stderr).not.toContain(token);
      }
    }
  });
});

describe("fault matrix: gateway (openai client)", () => {
  eachRow("gw", async (row, marker) => {
    {
      const expected = row.expected;
      const headers: Record<string, string> = row.implicit
        ? {}
        : { [SESSION_HEADER]: await answeredSession(marker) };
      // Instance faults on /auth need a gateway without a token yet.
      const own =
        row.instance === undefined
          ? undefined
          : await startServer({
              port: 0,
              apiKey: false,
              logLevel: "off",
              textMode: "reference",
              clientOptions: { ...CLIENT_OPTIONS, baseURL: emulator.url },
            });
      // The gateway pins only sessions it created for the caller: the session made on the emulator is
      // recorded as one it created for a keyless caller without a `user` field.
      const pinned = headers[SESSION_HEADER];
      if (pinned !== undefined) await (own ?? gateway).app.store.own(pinned, JSON.stringify(["", null]));
      const openai = new OpenAI({ baseURL: `${(own ?? gateway).url}/v1`, apiKey: "unused", maxRetries: 0 });
      let delivered = "";
      let error: unknown;
      let began = false;
      try {
        const stream = await openai.chat.completions.create(
          {
            model: "GeneralCodingAgent",
            stream: true,
            messages: [{ role: "user", content: promptFor(row, marker) }],
          },
          { headers },
        );
        began = true;
        for await (const chunk of stream) delivered += chunk.choices[0]?.delta?.content ?? "";
      } catch (e) {
        error = e;
      } finally {
        await own?.close(0);
      }
      if (row.spec === "error-frame") {
        // The gateway ends an answer at an upstream error frame: the text before it, then an in-stream error.
        expect(began).toBe(true);
        expect(error).toBeInstanceOf(OpenAI.APIError);
        expect(sentText(recordsOf(emulator.chats, `<${marker}>`)).startsWith(delivered)).toBe(true);
        return;
      }
      check(row, marker, delivered, error !== undefined);
      if (!("ok" in expected)) {
        expect(error).toBeInstanceOf(OpenAI.APIError);
        const apiError = error as InstanceType<typeof OpenAI.APIError>;
        if (expected.gateway === "in-stream") {
          expect(began).toBe(true);
        } else {
          expect(began).toBe(false);
          expect(apiError.status).toBe(expected.gateway);
        }
        expect(apiError.message.length).toBeGreaterThan(0);
      }
    }
  });
});
