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
  type AffinityStore,
  AnswerKey,
  ConversationCache,
  type ConversationCacheOptions,
  conversationKey,
  MemoryAffinityStore,
  type MemoryAffinityStoreOptions,
} from "./affinity.js";
export { type ApiKeyCheck, apiKeyCheck, presentedKey, requireApiKey } from "./api-key.js";
export { createApp, GatewayApp, IGNORED_HEADER, SESSION_HEADER } from "./app.js";
export { InsecureBindError, isLoopbackHost } from "./bind.js";
export type { TextMode } from "./chat-completion.js";
export { type ChatMessage, type ChatRequest, parseChatRequest } from "./chat-request.js";
export { estimateTokens, type Usage } from "./completion.js";
export {
  CORS_ALLOWED_HEADERS,
  CORS_ALLOWED_METHODS,
  CORS_EXPOSED_HEADERS,
  type GuardOptions,
  requestGuard,
} from "./host-origin.js";
export {
  type ConcurrencyLimiter,
  DEFAULT_MAX_CONCURRENCY,
  MemoryConcurrencyLimiter,
  type SlotRelease,
} from "./limiter.js";
export { MAX_LOGGED_VALUE_CHARS, safeValue } from "./logging.js";
export { GatewayError, type OpenAIErrorObject, toGatewayError } from "./openai-error.js";
export {
  API_KEY_ENV,
  DEFAULT_HOST,
  DEFAULT_KEEP_ALIVE_MS,
  DEFAULT_MAX_ANSWER_BYTES,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_PORT,
  DEFAULT_SHUTDOWN_GRACE_MS,
  type GatewayOptions,
  type ServerOptions,
} from "./options.js";
export { isJsonContentType, requireJsonBody } from "./request-body.js";
export { type RunningServer, startServer } from "./start.js";
