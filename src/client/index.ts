export { AGENT_ALIASES, AGENT_CATALOG, isAgentName, resolveAgent } from "./agents.js";
export { Robocoders } from "./robocoders.js";
export * from "./types.js";
