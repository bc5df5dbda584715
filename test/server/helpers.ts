/**
 * Shared fixtures of the gateway's end-to-end tests: an emulator, a client with a temp cache, a gateway.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { Robocoders } from "../../src/client/robocoders.js";
import type { RobocodersOptions } from "../../src/client/types.js";
import { type Emulator, type EmulatorOptions, startEmulator } from "../../src/emulator/index.js";
import {
  type OpenAIErrorObject,
  type RunningServer,
  type ServerOptions,
  startServer,
} from "../../src/server/index.js";
import { recordingLogger, sentText, sessionChats } from "../support.js";

/** An emulator, a client on it (temp cache, no retries, no continues) and a gateway in front. */
export interface Stack {
  emulator: Emulator;
  client: Robocoders;
  server: RunningServer;
  logger: ReturnType<typeof recordingLogger>;
  /** `${server.url}/v1` */
  baseURL: string;
  close(): Promise<void>;
}

export async function startStack(
  options: { emulator?: EmulatorOptions; client?: RobocodersOptions; server?: ServerOptions } = {},
): Promise<Stack> {
  const emulator = await startEmulator({ port: 0, ...options.emulator });
  const cacheDir = await mkdtemp(join(tmpdir(), "robocoders-gateway-"));
  const client = new Robocoders({
    baseURL: emulator.url,
    cacheDir,
    maxRetries: 0,
    maxContinues: 0,
    logLevel: "off",
    ...options.client,
  });
  const logger = recordingLogger();
  const server = await startServer({ port: 0, apiKey: false, client, logger, ...options.server });
  return {
    emulator,
    client,
    server,
    logger,
    baseURL: `${server.url}/v1`,
    async close() {
      await server.close(0);
      await client.close();
      await emulator.close();
      await rm(cacheDir, { recursive: true, force: true });
    },
  };
}

/**
 * What the gateway answers for the `/chat` responses of a session: the texts of its events, joined by a
 * blank line in `separated` mode (one newline when a piece ends with one, none when it ends with two),
 * as they are in `reference` mode (`sentText`).
 */
export function emulatorText(
  emulator: Emulator,
  sid: string | null | undefined,
  mode: "separated" | "reference" = "separated",
): string {
  const records = sessionChats(emulator, sid);
  if (mode === "reference") return sentText(records);
  let out = "";
  for (const text of records.flatMap((record) => record.texts).filter((text) => text !== "")) {
    if (out !== "") out += out.endsWith("\n\n") ? "" : out.endsWith("\n") ? "\n" : "\n\n";
    out += text;
  }
  return out;
}

/** The `error` object of an OpenAI error response; throws when the body does not have that shape. */
export async function errorOf(response: Response): Promise<OpenAIErrorObject> {
  const body: unknown = await response.json();
  if (typeof body === "object" && body !== null && "error" in body) {
    const error: unknown = body.error;
    if (
      typeof error === "object" &&
      error !== null &&
      "message" in error &&
      typeof error.message === "string" &&
      "type" in error &&
      typeof error.type === "string" &&
      "param" in error &&
      (error.param === null || typeof error.param === "string") &&
      "code" in error &&
      (error.code === null || typeof error.code === "string")
    ) {
      return { message: error.message, type: error.type, param: error.param, code: error.code };
    }
  }
  throw new Error(`not an OpenAI error body: ${JSON.stringify(body)}`);
}

export { recordingLogger, until } from "../support.js";

/**
 * A test file's stacks: returns `stack(options)`, which starts one, and closes every stack started by a
 * test after it (call once per file, at the top level).
 */
export function stackFixture(): (options?: Parameters<typeof startStack>[0]) => Promise<Stack> {
  const stacks: Stack[] = [];
  afterEach(async () => {
    await Promise.all(stacks.splice(0).map((s) => s.close()));
  });
  return async (options = {}) => {
    const started = await startStack(options);
    stacks.push(started);
    return started;
  };
}
