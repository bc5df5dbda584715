/**
 * The tools' definitions as `tools/list` returns them: names, titles, descriptions written for a model,
 * annotations, and the JSON Schemas of their arguments and results (from the zod schemas).
 */
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import {
  agentListResult,
  answerAgentInput,
  getSessionCodeInput,
  jsonSchemaOf,
  listAgentsInput,
  runTaskInput,
  sessionCodeResult,
  TOOL_NAMES,
  taskResult,
} from "./schemas.js";

const RESULT_NOTE =
  "The result's text is the agent's final answer; its structured content (also given as JSON text) has the " +
  "session id, whether the agent waits for an answer, the commands it ran with their exit codes and the " +
  "files it wrote or edited with their sizes and resource URIs (read them with resources/read). " +
  "Progress notifications report each action while the agent works. Errors you can act on (rate limited " +
  "with the wait time, unknown session, service unreachable) come back as a result with isError: true.";

/** Every tool, in the order `tools/list` returns them. */
export function toolDefinitions(): Tool[] {
  return [
    {
      name: TOOL_NAMES.runTask,
      title: "Run a coding task with a Robocoders agent",
      description:
        "Give a coding task to a Robocoders AI agent, which works in its own remote workspace: it plans, " +
        "writes and edits files, runs commands and tests, and reports back. A task takes from seconds to " +
        "minutes. Omit `session` to start fresh, or pass the `session` of an earlier result to continue in " +
        "the same workspace. Agents often begin with a clarifying question; with auto_continue (default) it " +
        `is answered "continue" once so the agent goes ahead with its own proposal. ${RESULT_NOTE}`,
      inputSchema: jsonSchemaOf(runTaskInput, "input"),
      outputSchema: jsonSchemaOf(taskResult, "output"),
      annotations: {
        title: "Run a coding task",
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: true,
      },
    },
    {
      name: TOOL_NAMES.answerAgent,
      title: "Answer a Robocoders agent",
      description:
        "Reply to an agent that asked a question (status waiting_for_answer), or give further instructions " +
        "in an existing session. The agent resumes in the same workspace. Same result as run_task. " +
        RESULT_NOTE,
      inputSchema: jsonSchemaOf(answerAgentInput, "input"),
      outputSchema: jsonSchemaOf(taskResult, "output"),
      annotations: {
        title: "Answer the agent",
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: true,
      },
    },
    {
      name: TOOL_NAMES.getSessionCode,
      title: "Get a session's code on GitHub",
      description:
        "Publish the code an agent produced in a session: the service adds the given GitHub user as a " +
        "collaborator on the repository holding the session's workspace and returns the repository URL. " +
        "Ask the user for their GitHub user name first; never guess it.",
      inputSchema: jsonSchemaOf(getSessionCodeInput, "input"),
      outputSchema: jsonSchemaOf(sessionCodeResult, "output"),
      annotations: {
        title: "Get the session's code",
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: true,
      },
    },
    {
      name: TOOL_NAMES.listAgents,
      title: "List the Robocoders agents",
      description:
        "List the agents run_task can use, with what each is for and which is the default. Needs no network.",
      inputSchema: jsonSchemaOf(listAgentsInput, "input"),
      outputSchema: jsonSchemaOf(agentListResult, "output"),
      annotations: { title: "List the agents", readOnlyHint: true, openWorldHint: false },
    },
  ];
}
