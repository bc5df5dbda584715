/**
 * The tools' argument and result schemas (zod), the single source of their JSON Schemas, their
 * validation and their TypeScript types. Descriptions are written for the model that calls the tools.
 */
import { z } from "zod";
import { AGENTS, DEFAULT_AGENT } from "../client/types.js";

/** Names of the tools, as a client lists them. */
export const TOOL_NAMES = {
  runTask: "run_task",
  answerAgent: "answer_agent",
  getSessionCode: "get_session_code",
  listAgents: "list_agents",
} as const;

const session = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .describe("The session id returned by an earlier run_task or answer_agent result (field `session`).");

const autoContinue = z
  .boolean()
  .default(true)
  .describe(
    'When the agent ends its turn with a clarifying question, reply "continue" once on your behalf so it ' +
      "goes ahead with what it proposed. Set false to get the question back and answer it yourself with " +
      "answer_agent. Default: true.",
  );

/** Arguments of `run_task`. */
export const runTaskInput = z.strictObject({
  agent: z
    .enum(AGENTS)
    .default(DEFAULT_AGENT)
    .describe(
      "Which agent does the work: GeneralCodingAgent for new scripts, tools, services and apps; RepoAgent " +
        "for changes to an existing repository or files; FrontEndAgent for user interfaces (React, Next.js, " +
        "Tailwind CSS). Default: GeneralCodingAgent.",
    ),
  prompt: z
    .string()
    .min(1)
    .max(1_000_000)
    .describe(
      "The task, in plain language, with every detail the agent needs (language, files, constraints).",
    ),
  session: session
    .optional()
    .describe(
      "Continue in this session (the agent keeps its workspace and conversation). Omit to start a new session.",
    ),
  auto_continue: autoContinue,
});

/** Arguments of `answer_agent`. */
export const answerAgentInput = z.strictObject({
  session: session.describe(
    "The session whose agent is waiting for an answer (field `session` of the result).",
  ),
  text: z
    .string()
    .min(1)
    .max(1_000_000)
    .describe("Your answer to the agent's question, or further instructions."),
  agent: z
    .enum(AGENTS)
    .optional()
    .describe("The agent to answer. Default: the agent last used in this session, else GeneralCodingAgent."),
  auto_continue: autoContinue,
});

/** Arguments of `get_session_code`. */
export const getSessionCodeInput = z.strictObject({
  session: session.describe("The session whose code to publish (field `session` of a run_task result)."),
  github_user: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, "a GitHub user name (letters, digits and hyphens)")
    .describe(
      "The GitHub user name to invite as a collaborator on the repository holding the session's code.",
    ),
});

/** Arguments of `list_agents` (none). */
export const listAgentsInput = z.strictObject({});

const command = z.object({
  command: z.string().describe("The shell command, or the Python code for language python."),
  language: z.enum(["shell", "python"]).describe("shell for a `run` action, python for IPython code."),
  exit_code: z
    .number()
    .int()
    .nullable()
    .describe("The exit code, or null when the service did not report it (compact streams omit it)."),
  background: z.boolean().describe("Started in the background (its exit code is that of the launch)."),
});

const file = z.object({
  path: z.string().describe("The path in the agent's workspace, e.g. /workspace/app/main.py."),
  operation: z.enum(["write", "edit"]).describe("write: created or rewritten whole; edit: changed in place."),
  bytes: z
    .number()
    .int()
    .nonnegative()
    .nullable()
    .describe(
      "Size of the file's latest content in UTF-8 bytes; null when it cannot be known (an edit of a file never seen whole).",
    ),
  uri: z
    .string()
    .nullable()
    .describe(
      "Resource URI of the file's latest content (read it with resources/read); null when the content is unknown.",
    ),
});

/** Structured result of `run_task` and `answer_agent`. */
export const taskResult = z.object({
  session: z.string().describe("The session id: pass it to answer_agent, run_task or get_session_code."),
  agent: z.enum(AGENTS).describe("The agent that worked on the task."),
  status: z
    .enum(["finished", "rejected", "waiting_for_answer", "ended"])
    .describe(
      "finished: the agent completed the task; rejected: it gave up; waiting_for_answer: it asked a question " +
        "(answer with answer_agent); ended: the stream ended without a verdict.",
    ),
  waiting_for_answer: z.boolean().describe("True when the agent waits for your answer (use answer_agent)."),
  auto_continued: z
    .number()
    .int()
    .nonnegative()
    .describe('How many times "continue" was sent automatically after a question.'),
  commands: z.array(command).describe("Commands the agent ran during this call, in order."),
  files: z.array(file).describe("Files the agent wrote or edited during this call, once each, in order."),
  timeline_uri: z.string().describe("Resource URI of the session's whole event timeline (JSON Lines)."),
});
/** A `run_task`/`answer_agent` structured result. */
export type TaskResult = z.infer<typeof taskResult>;

/** Structured result of `get_session_code`. */
export const sessionCodeResult = z.object({
  session: z.string(),
  repo_url: z.string().describe("The GitHub repository holding the session's code."),
  message: z.string().describe("The service's message, e.g. Collaborator added successfully."),
});

/** Structured result of `list_agents`. */
export const agentListResult = z.object({
  agents: z.array(
    z.object({
      name: z.enum(AGENTS),
      description: z.string(),
      default: z.boolean(),
    }),
  ),
});

/** The JSON Schema (draft 7, the dialect MCP clients validate with) of a tool's arguments or result. */
export function jsonSchemaOf(
  schema: z.ZodType,
  io: "input" | "output",
): { type: "object"; [key: string]: unknown } {
  const json = z.toJSONSchema(schema, { target: "draft-7", io }) as Record<string, unknown>;
  return { ...json, type: "object" };
}
