/**
 * Agent names and their aliases, and their resolution (used by the client, the CLI, the gateway and the
 * AI SDK provider).
 */
import { type ModelCatalog, resolveModel } from "../core/models.js";
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

/** The agents as a model catalogue: `GeneralCodingAgent` by default, the three agents, {@link AGENT_ALIASES}. */
export const AGENT_CATALOG: ModelCatalog<AgentName> = Object.freeze({
  defaultModel: DEFAULT_AGENT,
  models: AGENTS,
  modelAliases: AGENT_ALIASES,
});

/**
 * Resolves an agent name or alias with {@link resolveModel} over {@link AGENT_CATALOG}: empty or
 * `undefined` → `GeneralCodingAgent`; an agent name or alias in any letter case → that agent.
 * @param provider who is asking, named in the error.
 * @throws ModelNotSupportedError for anything else, listing the agents.
 */
export function resolveAgent(name: string | undefined, provider = "Robocoders"): AgentName {
  return resolveModel(AGENT_CATALOG, name, provider);
}
