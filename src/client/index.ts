export { AGENT_ALIASES, isAgentName, resolveAgent } from "./agents.js";
export { extractAccessToken } from "./auth-page.js";
export { type CacheData, CredentialCache, type CredentialStore } from "./cache.js";
export { RobocodersChatStream } from "./chat-stream.js";
export { backoffDelay, parseRetryAfter } from "./http-errors.js";
export {
  CACHE_FILE_NAME,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_CONTINUES,
  DEFAULT_MAX_RETRIES,
  DEFAULT_RETRY_DELAY_MS,
  DEFAULT_TIMEOUT_MS,
  defaultCacheDir,
  resolveBaseURL,
} from "./options.js";
export { Robocoders } from "./robocoders.js";
export * from "./types.js";
