/**
 * The MCP server over Streamable HTTP, as a fetch handler (`Request` → `Response`) to mount at `/mcp` of
 * a web server: one MCP session per client (the `Mcp-Session-Id` header), each with its own server on the
 * SDK's web-standard transport, all sharing one session registry. The caller's server applies the API
 * key, `Host` and `Origin` rules before a request reaches it (the gateway does).
 */
import { randomUUID } from "node:crypto";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { RobocodersClient } from "../client/types.js";
import { createMcpServer, type RobocodersMcpServer } from "./server.js";
import { SessionRegistry } from "./sessions.js";

/** Default of {@link McpHttpOptions.maxSessions}. */
export const DEFAULT_MCP_HTTP_MAX_SESSIONS = 100;
/** Default of {@link McpHttpOptions.sessionIdleMs}: 30 minutes. */
export const DEFAULT_MCP_HTTP_SESSION_IDLE_MS = 30 * 60 * 1000;

/** Options of {@link createMcpHttpHandler}. */
export interface McpHttpOptions {
  /** The client the tools call. The caller owns it (closes it). */
  client: RobocodersClient;
  /** The sessions used, shared by every MCP session. Default: a new registry. */
  registry?: SessionRegistry;
  /** Automatic `continue` prompts after a question for calls with `auto_continue: true`. Default: 1. */
  maxContinues?: number;
  /** Open MCP sessions; a new one past it closes the least recently active idle one. Default: 100. */
  maxSessions?: number;
  /** An MCP session without a request and without a running call for this long is closed. Default: 30 min. */
  sessionIdleMs?: number;
}

interface McpSession {
  server: RobocodersMcpServer;
  transport: WebStandardStreamableHTTPServerTransport;
  lastActive: number;
}

function jsonRpcError(status: number, code: number, message: string): Response {
  return new Response(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/** The MCP endpoint of a web server: {@link handle} every request to its path (GET, POST, DELETE). */
export class McpHttpHandler {
  private readonly sessions = new Map<string, McpSession>();
  private readonly options: McpHttpOptions;
  private readonly registry: SessionRegistry;
  private readonly maxSessions: number;
  private readonly idleMs: number;
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;

  /** @internal Use {@link createMcpHttpHandler}. */
  constructor(options: McpHttpOptions) {
    this.options = options;
    this.registry = options.registry ?? new SessionRegistry();
    this.maxSessions = Math.max(1, options.maxSessions ?? DEFAULT_MCP_HTTP_MAX_SESSIONS);
    this.idleMs = Math.max(1000, options.sessionIdleMs ?? DEFAULT_MCP_HTTP_SESSION_IDLE_MS);
    this.sweeper = setInterval(() => this.sweep(), Math.min(60_000, this.idleMs));
    this.sweeper.unref();
  }

  /** Open MCP sessions. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /**
   * Answers one request to the MCP endpoint: `POST` (JSON-RPC messages; an `initialize` without
   * `Mcp-Session-Id` opens a session), `GET` (the session's event stream), `DELETE` (ends the session).
   * An unknown session id is answered 404, as the specification asks, so the client starts a new session.
   */
  async handle(request: Request): Promise<Response> {
    if (this.closed) return jsonRpcError(503, -32000, "The MCP endpoint is shutting down");
    const id = request.headers.get("mcp-session-id");
    if (id !== null) {
      const session = this.sessions.get(id);
      if (session === undefined) return jsonRpcError(404, -32001, "Session not found");
      session.lastActive = Date.now();
      return session.transport.handleRequest(request);
    }
    if (request.method !== "POST") {
      return jsonRpcError(400, -32000, "Bad Request: Mcp-Session-Id header is required");
    }
    const session = this.open();
    const response = await session.transport.handleRequest(request);
    // Anything but a successful `initialize` leaves the new transport without a session: drop it.
    if (session.transport.sessionId === undefined) await this.closeSession(session);
    return response;
  }

  private open(): McpSession {
    const server = createMcpServer({
      client: this.options.client,
      registry: this.registry,
      ...(this.options.maxContinues !== undefined ? { maxContinues: this.options.maxContinues } : {}),
    });
    const session: McpSession = {
      server,
      transport: new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sid) => {
          this.sessions.set(sid, session);
          this.evict();
        },
        onsessionclosed: (sid) => {
          this.sessions.delete(sid);
          void server.close();
        },
      }),
      lastActive: Date.now(),
    };
    void server.connect(session.transport);
    return session;
  }

  /** Past {@link McpHttpOptions.maxSessions}, closes the least recently active sessions without a running call. */
  private evict(): void {
    if (this.sessions.size <= this.maxSessions) return;
    const idle = [...this.sessions.values()]
      .filter((s) => !s.server.busy)
      .sort((a, b) => a.lastActive - b.lastActive);
    for (const session of idle.slice(0, this.sessions.size - this.maxSessions))
      void this.closeSession(session);
  }

  private sweep(): void {
    const now = Date.now();
    for (const session of this.sessions.values()) {
      if (!session.server.busy && now - session.lastActive > this.idleMs) void this.closeSession(session);
    }
  }

  private async closeSession(session: McpSession): Promise<void> {
    const sid = session.transport.sessionId;
    if (sid !== undefined) this.sessions.delete(sid);
    await session.server.close();
  }

  /** Closes every MCP session (aborting their running calls) and refuses new requests. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    await Promise.all([...this.sessions.values()].map((session) => this.closeSession(session)));
  }
}

/**
 * Creates the MCP endpoint of a web server (Streamable HTTP, stateful sessions):
 *
 * ```ts
 * const mcp = createMcpHttpHandler({ client });
 * app.all("/mcp", (c) => mcp.handle(c.req.raw)); // a Hono app; any fetch-style server works
 * ```
 */
export function createMcpHttpHandler(options: McpHttpOptions): McpHttpHandler {
  return new McpHttpHandler(options);
}
