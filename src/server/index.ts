/**
 * `robocoders/server`: an OpenAI-compatible gateway to the Robocoders agents.
 *
 * ```ts
 * import { startServer } from "robocoders/server";
 * const server = await startServer({ port: 1337 });
 * console.log(`OpenAI base URL: ${server.url}/v1`);
 * ```
 *
 * `createApp` gives the same gateway as a fetch handler (a Hono app) to mount elsewhere or test with
 * `app.request()`.
 */
export {
  ConversationCache,
  type ConversationCacheOptions,
  conversationKey,
  planTurn,
  rememberTurn,
  type TurnInput,
  type TurnPlan,
} from "./affinity.js";
export { createApp, GatewayApp, SESSION_HEADER } from "./app.js";
export { InsecureBindError, isLoopbackHost } from "./bind.js";
export { type ChatMessage, type ChatRequest, parseChatRequest } from "./chat-request.js";
export { estimateTokens, type Usage } from "./completion.js";
export { GatewayError, type OpenAIErrorObject, toGatewayError } from "./openai-error.js";
export {
  API_KEY_ENV,
  DEFAULT_HOST,
  DEFAULT_KEEP_ALIVE_MS,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_PORT,
  DEFAULT_SHUTDOWN_GRACE_MS,
  type GatewayOptions,
  type ServerOptions,
} from "./options.js";
export { type RunningServer, startServer } from "./start.js";
