/** `robocoders models`: the agents, each with a one-line description. */
import { AGENT_ALIASES } from "../../client/agents.js";
import { AGENTS, type AgentName, DEFAULT_AGENT } from "../../client/types.js";
import type { CliIO, GlobalOptions } from "../context.js";
import { paletteFor } from "../context.js";

/** One-line descriptions of the agents. */
export const AGENT_DESCRIPTIONS: Readonly<Record<AgentName, string>> = {
  GeneralCodingAgent: "General coding projects: scripts, tools, services and apps from a description.",
  RepoAgent: "Work on existing repositories and files.",
  FrontEndAgent: "User interfaces with React, Next.js and Tailwind CSS.",
};

/** The aliases that resolve to an agent. */
export function aliasesOf(agent: AgentName): string[] {
  return Object.entries(AGENT_ALIASES)
    .filter(([, target]) => target === agent)
    .map(([alias]) => alias);
}

/** Runs `robocoders models`. */
export function runModels(opts: { json?: boolean }, globals: GlobalOptions, io: CliIO): void {
  if (opts.json === true) {
    const list = AGENTS.map((id) => ({
      id,
      description: AGENT_DESCRIPTIONS[id],
      default: id === DEFAULT_AGENT,
      aliases: aliasesOf(id),
    }));
    io.stdout.write(`${JSON.stringify(list)}\n`);
    return;
  }
  const c = paletteFor(io.stdout, io.env, globals.color);
  const width = Math.max(...AGENTS.map((a) => a.length));
  for (const agent of AGENTS) {
    const mark = agent === DEFAULT_AGENT ? c.dim(" (default)") : "";
    const aliases = aliasesOf(agent);
    const alias = aliases.length > 0 ? c.dim(` [${aliases.join(", ")}]`) : "";
    io.stdout.write(`${c.bold(agent.padEnd(width))}  ${AGENT_DESCRIPTIONS[agent]}${mark}${alias}\n`);
  }
}
