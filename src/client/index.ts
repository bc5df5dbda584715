export { AGENT_ALIASES, AGENT_CATALOG, isAgentName, resolveAgent } from "./agents.js";
export type { CacheData, CredentialStore } from "./cache.js";
export type { ChatRecorder } from "./recording-wire.js";
export { Robocoders } from "./robocoders.js";
export * from "./types.js";
