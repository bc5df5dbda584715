/**
 * Agent names and their aliases, and the resolution used by the client and the provider.
 */
import { ModelNotSupportedError } from "../core/errors.js";
import { AGENTS, type AgentName, DEFAULT_AGENT } from "./types.js";

/**
 * Short names accepted wherever an agent is expected (matched case-insensitively, like the agent names).
 * `general`/`coding` → `GeneralCodingAgent`, `repo` → `RepoAgent`, `frontend`/`front-end`/`ui` → `FrontEndAgent`.
 */
export const AGENT_ALIASES: Readonly<Record<string, AgentName>> = Object.freeze({
  general: "GeneralCodingAgent",
  coding: "GeneralCodingAgent",
  repo: "RepoAgent",
  repository: "RepoAgent",
  frontend: "FrontEndAgent",
  "front-end": "FrontEndAgent",
  ui: "FrontEndAgent",
});

/** True when `name` is one of the three agents, spelled exactly. */
export function isAgentName(name: string): name is AgentName {
  return (AGENTS as readonly string[]).includes(name);
}

/**
 * Resolves an agent name or alias: empty or `undefined` → `GeneralCodingAgent`; an agent name or alias in
 * any letter case → that agent.
 * @throws ModelNotSupportedError for anything else, listing the agents.
 */
export function resolveAgent(name: string | undefined, provider = "Robocoders"): AgentName {
  const trimmed = name?.trim() ?? "";
  if (trimmed === "") return DEFAULT_AGENT;
  if (isAgentName(trimmed)) return trimmed;
  const lower = trimmed.toLowerCase();
  const byCase = AGENTS.find((agent) => agent.toLowerCase() === lower);
  if (byCase !== undefined) return byCase;
  const alias = Object.hasOwn(AGENT_ALIASES, lower) ? AGENT_ALIASES[lower] : undefined;
  if (alias !== undefined) return alias;
  throw new ModelNotSupportedError(trimmed, AGENTS, provider);
}
