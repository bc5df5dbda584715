/**
 * robocoders: a TypeScript toolkit for the Robocoders AI coding-agent API.
 *
 * The root export holds the client ({@link Robocoders}), the g4f-style provider ({@link RobocodersAPI})
 * and the provider framework, typed events and errors. The emulator, the gateway, the AI SDK
 * provider and the MCP server have their own subpaths: `robocoders/emulator`, `robocoders/server`,
 * `robocoders/ai-sdk`, `robocoders/mcp`.
 */
export * from "./client/index.js";
export * from "./core/errors.js";
export * from "./core/events.js";
export type { Logger, LogLevel } from "./core/logger.js";
export {
  type ChatExchange,
  loadTranscripts,
  parseTranscript,
  REDACTED,
  TRANSCRIPT_FORMAT,
} from "./core/transcript.js";
export * from "./provider/index.js";
