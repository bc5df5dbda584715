/**
 * `robocoders/mcp`: the Robocoders agents as tools for any Model Context Protocol client, built on the
 * official SDK (`@modelcontextprotocol/sdk`).
 *
 * ```ts
 * import { Robocoders } from "robocoders";
 * import { createMcpServer } from "robocoders/mcp";
 * import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
 *
 * const server = createMcpServer({ client: new Robocoders() });
 * await server.connect(new StdioServerTransport());
 * ```
 *
 * `robocoders mcp` runs exactly this. {@link createMcpHttpHandler} serves the same tools over Streamable
 * HTTP as a fetch handler.
 */
export { AGENT_GUIDE, agentList } from "./agents.js";
export {
  createMcpHttpHandler,
  DEFAULT_MCP_HTTP_MAX_SESSIONS,
  DEFAULT_MCP_HTTP_SESSION_IDLE_MS,
  McpHttpHandler,
  type McpHttpOptions,
} from "./http.js";
export { MAX_PROGRESS_MESSAGE_CHARS, oneLine, progressMessage } from "./progress.js";
export {
  fileUri,
  mimeTypeOf,
  parseResourceUri,
  RESOURCE_NOT_FOUND,
  type ResourceRef,
  TIMELINE_MIME_TYPE,
  timelineUri,
} from "./resources.js";
export { type TaskResult, TOOL_NAMES } from "./schemas.js";
export {
  createMcpServer,
  DEFAULT_MCP_MAX_CONTINUES,
  MCP_SERVER_NAME,
  type McpServerOptions,
} from "./server.js";
export {
  DEFAULT_MAX_SESSIONS,
  DEFAULT_MAX_TIMELINE_BYTES,
  type SessionRecord,
  SessionRegistry,
  type SessionRegistryOptions,
} from "./sessions.js";
export { type FailureContext, type ToolFailure, toolFailure } from "./tool-errors.js";
