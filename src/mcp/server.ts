/**
 * The MCP server: the tools (`tools/list`, `tools/call`) and resources (`resources/list`,
 * `resources/templates/list`, `resources/read`) on the SDK's low-level `Server`, so that invalid arguments
 * are protocol errors (the SDK's `McpServer` turns them into tool results) and each tool's result is exactly
 * what its output schema says.
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import {
  type CallToolRequest,
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  type ServerNotification,
  type ServerRequest,
} from "@modelcontextprotocol/sdk/types.js";
import type { z } from "zod";
import { packageVersion } from "../cli/version.js";
import { DEFAULT_AGENT, type RobocodersClient } from "../client/types.js";
import { agentList } from "./agents.js";
import { listResources, readResource, resourceTemplates } from "./resources.js";
import { runTask } from "./run-task.js";
import {
  answerAgentInput,
  getSessionCodeInput,
  listAgentsInput,
  runTaskInput,
  TOOL_NAMES,
} from "./schemas.js";
import { SessionRegistry } from "./sessions.js";
import { toolFailure } from "./tool-errors.js";
import { toolDefinitions } from "./tools.js";

/** Default of {@link McpServerOptions.maxContinues}. */
export const DEFAULT_MCP_MAX_CONTINUES = 1;
/** The server's name in the MCP handshake. */
export const MCP_SERVER_NAME = "robocoders";

/** Options of {@link createMcpServer}. */
export interface McpServerOptions {
  /** The client the tools call. The caller owns it (closes it). */
  client: RobocodersClient;
  /**
   * The sessions used so far, with their timelines. Share one registry between the servers of several
   * connections (Streamable HTTP) so each sees every session. Default: a new registry.
   */
  registry?: SessionRegistry;
  /** Automatic `continue` prompts after a question when a call has `auto_continue: true`. Default: 1. */
  maxContinues?: number;
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** Parses tool arguments. @throws McpError `InvalidParams` naming each invalid field. */
function parseArguments<T extends z.ZodType>(schema: T, args: unknown, tool: string): z.output<T> {
  const parsed = schema.safeParse(args ?? {});
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "arguments"}: ${issue.message}`)
    .join("; ");
  throw new McpError(ErrorCode.InvalidParams, `Invalid arguments for tool ${tool}: ${issues}`);
}

/** A tool result: the texts, and the structured content (also as JSON text, for clients that ignore it). */
function result(texts: string[], structured: Record<string, unknown>, isError = false): CallToolResult {
  return {
    content: [...texts.filter((t) => t !== ""), JSON.stringify(structured)].map((text) => ({
      type: "text" as const,
      text,
    })),
    structuredContent: structured,
    ...(isError ? { isError: true } : {}),
  };
}

/**
 * The progress reporter of a call: one `notifications/progress` per message when the request carries a
 * progress token (else `undefined`). Each notification is sent before the next event is read, so every
 * one reaches the client before the result. A failed send (the client went away) is ignored: the call
 * notices through its signal.
 */
function progressReporter(extra: Extra): ((message: string) => Promise<void>) | undefined {
  const token = extra._meta?.progressToken;
  if (token === undefined) return undefined;
  let progress = 0;
  return async (message) => {
    progress += 1;
    try {
      await extra.sendNotification({
        method: "notifications/progress",
        params: { progressToken: token, progress, message },
      });
    } catch {
      // See above.
    }
  };
}

/**
 * The SDK's `Server` with the Robocoders tools and resources, which also knows when no tool call is running
 * (so that a stdio server whose input ended can finish the calls it received before it exits).
 */
export class RobocodersMcpServer extends Server {
  private readonly calls = new Set<Promise<unknown>>();

  /** Runs a tool call, counted until it settles. */
  track<T>(call: Promise<T>): Promise<T> {
    this.calls.add(call);
    const forget = () => this.calls.delete(call);
    call.then(forget, forget);
    return call;
  }

  /** Whether a tool call is running. */
  get busy(): boolean {
    return this.calls.size > 0;
  }

  /** Resolves when no tool call is running. */
  async whenIdle(): Promise<void> {
    while (this.calls.size > 0) await Promise.allSettled([...this.calls]);
  }
}

/**
 * Creates an MCP server exposing the Robocoders agents as tools, and the sessions it used as resources.
 * Connect it to a transport (`StdioServerTransport`, a Streamable HTTP transport) with `server.connect()`.
 *
 * ```ts
 * import { Robocoders } from "robocoders";
 * import { createMcpServer } from "robocoders/mcp";
 * import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
 * const server = createMcpServer({ client: new Robocoders() });
 * await server.connect(new StdioServerTransport());
 * ```
 */
export function createMcpServer(options: McpServerOptions): RobocodersMcpServer {
  const { client } = options;
  const registry = options.registry ?? new SessionRegistry();
  const maxContinues = options.maxContinues ?? DEFAULT_MCP_MAX_CONTINUES;
  const server = new RobocodersMcpServer(
    { name: MCP_SERVER_NAME, title: "Robocoders AI agents", version: packageVersion() },
    {
      capabilities: { tools: {}, resources: { listChanged: true } },
      instructions:
        "Robocoders AI coding agents work in remote workspaces. Use run_task to give an agent a coding task " +
        "(list_agents says which agent fits), answer_agent when it asks a question, get_session_code to publish " +
        "its code on GitHub. Each session's event timeline is a resource.",
    },
  );

  const unsubscribe = registry.onChange(() => {
    if (server.transport !== undefined) server.sendResourceListChanged().catch(() => {});
  });
  const previousOnClose = server.onclose;
  server.onclose = () => {
    unsubscribe();
    previousOnClose?.();
  };

  const task = async (
    args: {
      prompt: string;
      agent: z.output<typeof runTaskInput>["agent"];
      session: string | undefined;
      autoContinue: boolean;
    },
    extra: Extra,
  ): Promise<CallToolResult> => {
    const onProgress = progressReporter(extra);
    const outcome = await runTask(client, registry, {
      prompt: args.prompt,
      agent: args.agent,
      session: args.session,
      maxContinues: args.autoContinue ? maxContinues : 0,
      signal: extra.signal,
      ...(onProgress !== undefined ? { onProgress } : {}),
    });
    // The SDK's client handles a notification one tick after reading it but a result at once: a progress
    // notification read together with the result is dropped. A turn of the event loop between the last
    // notification and the result lets them arrive apart.
    if (onProgress !== undefined) await new Promise((resolve) => setImmediate(resolve));
    if (outcome.error === undefined && outcome.result !== undefined) {
      return result([outcome.answer], outcome.result);
    }
    const failure = toolFailure(outcome.error, { session: args.session, baseURL: client.baseURL });
    const details: Record<string, unknown> = { error: failure.code, ...(outcome.result ?? {}) };
    if (failure.retryAfterSeconds !== undefined) details.retry_after_seconds = failure.retryAfterSeconds;
    return result([failure.text, outcome.answer], details, true);
  };

  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: toolDefinitions() }));

  server.setRequestHandler(CallToolRequestSchema, (request, extra) => server.track(callTool(request, extra)));

  async function callTool(request: CallToolRequest, extra: Extra): Promise<CallToolResult> {
    const { name, arguments: args } = request.params;
    switch (name) {
      case TOOL_NAMES.runTask: {
        const input = parseArguments(runTaskInput, args, name);
        return task(
          {
            prompt: input.prompt,
            agent: input.agent,
            session: input.session,
            autoContinue: input.auto_continue,
          },
          extra,
        );
      }
      case TOOL_NAMES.answerAgent: {
        const input = parseArguments(answerAgentInput, args, name);
        const agent = input.agent ?? registry.get(input.session)?.agent ?? DEFAULT_AGENT;
        return task(
          { prompt: input.text, agent, session: input.session, autoContinue: input.auto_continue },
          extra,
        );
      }
      case TOOL_NAMES.getSessionCode: {
        const input = parseArguments(getSessionCodeInput, args, name);
        try {
          const code = await client.getSessionCode(input.github_user, {
            sid: input.session,
            signal: extra.signal,
          });
          return result(
            [`The session's code is at ${code.repoUrl} (${code.message || "collaborator added"}).`],
            {
              session: input.session,
              repo_url: code.repoUrl,
              message: code.message,
            },
          );
        } catch (error) {
          const failure = toolFailure(error, { session: input.session, baseURL: client.baseURL });
          const details: Record<string, unknown> = { error: failure.code, session: input.session };
          if (failure.retryAfterSeconds !== undefined)
            details.retry_after_seconds = failure.retryAfterSeconds;
          return result([failure.text], details, true);
        }
      }
      case TOOL_NAMES.listAgents: {
        parseArguments(listAgentsInput, args, name);
        const agents = agentList();
        const text = agents
          .map((a) => `${a.name}${a.default ? " (default)" : ""}: ${a.description}`)
          .join("\n");
        return result([text], { agents });
      }
      default:
        throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
    }
  }

  server.setRequestHandler(ListResourcesRequestSchema, () => ({ resources: listResources(registry) }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({
    resourceTemplates: resourceTemplates(),
  }));
  server.setRequestHandler(ReadResourceRequestSchema, (request) =>
    readResource(registry, request.params.uri),
  );

  return server;
}
