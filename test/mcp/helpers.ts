/**
 * Helpers of the MCP tests: the SDK's own client connected to the built CLI over stdio, and what the
 * emulator's scripts are expected to produce.
 */
import type { Readable } from "node:stream";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { CLI, cliEnv } from "../cli/helpers.js";

/** An MCP client talking to `robocoders mcp`, and everything the server wrote on stderr. */
export interface StdioSession {
  client: Client;
  transport: StdioClientTransport;
  /** The server's stderr so far. */
  stderr(): string;
  /**
   * Errors the client reported: a line on stdout that is not a protocol message, and a progress
   * notification arriving after its result (the SDK's client handles notifications a tick late and reports
   * one that arrives with the result in one read as "unknown token"; `received` has them all).
   */
  errors: Error[];
  /** Every message the server sent, in arrival order. */
  received: JSONRPCMessage[];
  close(): Promise<void>;
}

/** Spawns `node dist/cli/main.js <args> mcp` and connects the SDK's client to it over stdio. */
export async function connectStdio(args: string[], env: Record<string, string>): Promise<StdioSession> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, ...args, "mcp"],
    env: cliEnv(env) as Record<string, string>,
    stderr: "pipe",
  });
  let stderr = "";
  (transport.stderr as Readable | null)?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const errors: Error[] = [];
  const client = new Client({ name: "robocoders-test", version: "1.0.0" });
  client.onerror = (error) => errors.push(error);
  await client.connect(transport);
  const received: JSONRPCMessage[] = [];
  const deliver = transport.onmessage;
  transport.onmessage = (message: JSONRPCMessage) => {
    received.push(message);
    deliver?.(message);
  };
  return {
    client,
    transport,
    received,
    stderr: () => stderr,
    errors,
    close: () => client.close(),
  };
}

/** The text blocks of a tool result. */
export function texts(result: unknown): string[] {
  const content = (result as { content?: unknown }).content;
  if (!Array.isArray(content)) return [];
  return content.flatMap((block: { type?: string; text?: string }) =>
    block.type === "text" && typeof block.text === "string" ? [block.text] : [],
  );
}
