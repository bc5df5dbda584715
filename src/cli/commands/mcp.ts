/**
 * `robocoders mcp`: serves the agents as MCP tools over stdio, for Claude Desktop, Cursor, VS Code and any
 * other MCP client. Only protocol messages go to stdout; logs go to stderr.
 */
import type { CliIO, GlobalOptions } from "../context.js";
import { createClient } from "../context.js";
import { untilStopped } from "./emulate.js";

/** Options of `robocoders mcp`. */
export interface McpCommandOptions {
  /** `--max-continues <n>`: automatic `continue` prompts when a call asks for auto-continue. Default: 1. */
  maxContinues?: number;
}

/** Resolves when `stream` ends or closes (the MCP client went away). */
function untilClosed(stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve) => {
    stream.once("end", resolve);
    stream.once("close", resolve);
  });
}

/**
 * Runs `robocoders mcp` until stdin ends (after the tool calls already received have been answered), or
 * until SIGINT or SIGTERM (which abort the running calls and their upstream requests).
 */
export async function runMcp(opts: McpCommandOptions, globals: GlobalOptions, io: CliIO): Promise<void> {
  const [{ createMcpServer }, { StdioServerTransport }] = await Promise.all([
    import("../../mcp/index.js"),
    import("@modelcontextprotocol/sdk/server/stdio.js"),
  ]);
  const client = await createClient(globals, io);
  const server = createMcpServer({
    client,
    ...(opts.maxContinues !== undefined ? { maxContinues: opts.maxContinues } : {}),
  });
  const closed = untilClosed(io.stdin);
  await server.connect(new StdioServerTransport(io.stdin, io.stdout));
  io.stderr.write(`robocoders MCP server on stdio (API: ${client.baseURL})\n`);
  const stopped = untilStopped();
  const reason = await Promise.race([closed.then(() => "end" as const), stopped]);
  if (reason === "end") await Promise.race([server.whenIdle(), stopped]);
  await server.close();
  await client.close();
}
