/** The agents as the MCP tools describe them to a model: what each is for, and which one to choose. */
import { AGENTS, type AgentName, DEFAULT_AGENT } from "../client/types.js";

/** What each agent is for, written for a model choosing one. */
export const AGENT_GUIDE: Readonly<Record<AgentName, string>> = {
  GeneralCodingAgent:
    "General coding projects built from a description: scripts, command-line tools, libraries, services " +
    "and small apps, with tests. The default; choose it when no other agent fits better.",
  RepoAgent:
    "Work on an existing repository or existing files: clone, read, fix bugs, refactor, run the test " +
    "suite. Name the repository (URL and branch) in the prompt.",
  FrontEndAgent:
    "User interfaces: web pages and apps with React, Next.js and Tailwind CSS, checked in a browser.",
};

/** The agents with their descriptions, the default marked. */
export function agentList(): { name: AgentName; description: string; default: boolean }[] {
  return AGENTS.map((name) => ({ name, description: AGENT_GUIDE[name], default: name === DEFAULT_AGENT }));
}
