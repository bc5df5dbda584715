/**
 * The models the gateway offers: the three agents, addressed by name or alias.
 */
import { resolveAgent } from "../client/agents.js";
import { AGENTS, type AgentName } from "../client/types.js";
import { ModelNotSupportedError } from "../core/errors.js";

const PROVIDER = "the Robocoders gateway";

/** An entry of `GET /v1/models`. */
export interface ModelObject {
  id: AgentName;
  object: "model";
  /** Unix seconds; a fixed date, the service does not publish one. */
  created: number;
  owned_by: "robocoders";
}

/** 2024-11-15T00:00:00Z, the date of the first public transcript of the API. */
const CREATED = 1_731_628_800;

/** The model object of an agent. */
export function modelObject(agent: AgentName): ModelObject {
  return { id: agent, object: "model", created: CREATED, owned_by: "robocoders" };
}

/** The `GET /v1/models` body. */
export function modelList(): { object: "list"; data: ModelObject[] } {
  return { object: "list", data: AGENTS.map(modelObject) };
}

/**
 * The agent the `model` of a request names: an agent name or alias in any letter case, resolved by the
 * client's `resolveAgent`. Unlike the library, the gateway does not read an empty model as the default
 * agent: OpenAI requires the field.
 * @throws ModelNotSupportedError for an unknown (or empty) name.
 */
export function requestedAgent(model: string): AgentName {
  if (model.trim() === "") throw new ModelNotSupportedError(model, AGENTS, PROVIDER);
  return resolveAgent(model, PROVIDER);
}
