/**
 * The workspace's native API, under `/api` (mounted behind the gateway's checks: host, origin, API key).
 *
 * | route | does |
 * |---|---|
 * | `GET /api/agents` | the agents a conversation can use |
 * | `GET /api/conversations` | conversations, most recently active first |
 * | `POST /api/conversations` | creates one: `{agent?, title?, autoContinue?}` → 201 |
 * | `GET /api/conversations/{id}` | one conversation |
 * | `PATCH /api/conversations/{id}` | renames it, switches its agent or auto-continue |
 * | `DELETE /api/conversations/{id}` | deletes it (stops its turn) → 204 |
 * | `POST /api/conversations/{id}/turns` | runs a turn: `{prompt}` or `{retry: true}`; answers with the turn's SSE stream |
 * | `GET /api/conversations/{id}/events` | the timeline as SSE after `Last-Event-ID` (or `?after=`), live while a turn runs |
 * | `GET /api/conversations/{id}/entries` | the timeline as JSON (`?after=`, `?limit=`) |
 * | `POST /api/conversations/{id}/stop` | aborts the running turn → `{stopped}` |
 * | `POST /api/conversations/{id}/code` | `{githubUsername}` → `{repoUrl, message}` (`/get-session-code`) |
 * | `GET /api/conversations/{id}/export` | the timeline as JSON Lines (a download) |
 *
 * Request bodies must be `application/json`. Errors are `{"error": {message, type, param, code}}`.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { AGENTS } from "../../client/types.js";
import { GatewayError, toGatewayError } from "../openai-error.js";
import type { WorkspaceService } from "./service.js";
import { openFeed, resumePoint } from "./sse.js";

/** Largest accepted request body of the native API: 1 MiB. */
export const MAX_API_BODY_BYTES = 1024 * 1024;

const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-store",
  "x-accel-buffering": "no",
};

function errorResponse(error: GatewayError): Response {
  return new Response(JSON.stringify(error.toJSON()), {
    status: error.status,
    headers: { "content-type": "application/json; charset=utf-8", ...error.headers },
  });
}

function invalid(message: string, param: string | null, code: string): GatewayError {
  return new GatewayError(400, message, { type: "invalid_request_error", param, code });
}

/** Reads a JSON object body; anything but `application/json` is refused (415), so no form can post here. */
async function jsonBody(request: Request): Promise<Record<string, unknown>> {
  const type = request.headers.get("content-type") ?? "";
  if (!/^application\/json\s*(?:;|$)/i.test(type)) {
    throw new GatewayError(415, "The request body must be JSON (Content-Type: application/json)", {
      type: "invalid_request_error",
      code: "unsupported_media_type",
    });
  }
  const text = await request.text();
  if (text.trim() === "") return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw invalid(
      `The request body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
      null,
      "invalid_json",
    );
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw invalid("The request body must be a JSON object", null, "invalid_json");
  }
  return body as Record<string, unknown>;
}

function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw invalid(`${key} must be a string`, key, `invalid_${key}`);
  return value;
}

function optionalBoolean(body: Record<string, unknown>, key: string): boolean | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw invalid(`${key} must be true or false`, key, `invalid_${key}`);
  return value;
}

/** Options of {@link workspaceApi}. */
export interface WorkspaceApiOptions {
  /** Keep-alive comment interval of the SSE streams, in ms (0: none). */
  keepAliveMs: number;
}

/** The native API as a Hono app, to mount at `/api`. */
export function workspaceApi(service: WorkspaceService, options: WorkspaceApiOptions): Hono {
  const api = new Hono();
  const { keepAliveMs } = options;

  api.onError((error) => errorResponse(toGatewayError(error)));
  api.use(
    "*",
    bodyLimit({
      maxSize: MAX_API_BODY_BYTES,
      onError: () =>
        errorResponse(
          new GatewayError(413, `The request body is larger than ${MAX_API_BODY_BYTES} bytes`, {
            type: "invalid_request_error",
            code: "request_too_large",
          }),
        ),
    }),
  );
  api.use("*", async (c, next) => {
    await next();
    if (!c.res.headers.has("cache-control")) c.res.headers.set("cache-control", "no-store");
  });

  api.get("/agents", (c) => c.json({ agents: AGENTS }));

  api.get("/conversations", async (c) => c.json({ conversations: await service.store.list() }));

  api.post("/conversations", async (c) => {
    const body = await jsonBody(c.req.raw);
    const input: { agent?: string; title?: string; autoContinue?: boolean } = {};
    const agent = optionalString(body, "agent");
    const title = optionalString(body, "title");
    const autoContinue = optionalBoolean(body, "autoContinue");
    if (agent !== undefined) input.agent = agent;
    if (title !== undefined) input.title = title;
    if (autoContinue !== undefined) input.autoContinue = autoContinue;
    return c.json(await service.create(input), 201);
  });

  api.get("/conversations/:id", async (c) => c.json(await service.get(c.req.param("id"))));

  api.patch("/conversations/:id", async (c) => {
    const body = await jsonBody(c.req.raw);
    const patch: { title?: string; agent?: string; autoContinue?: boolean } = {};
    const title = optionalString(body, "title");
    const agent = optionalString(body, "agent");
    const autoContinue = optionalBoolean(body, "autoContinue");
    if (title !== undefined) patch.title = title;
    if (agent !== undefined) patch.agent = agent;
    if (autoContinue !== undefined) patch.autoContinue = autoContinue;
    return c.json(await service.update(c.req.param("id"), patch));
  });

  api.delete("/conversations/:id", async (c) => {
    await service.delete(c.req.param("id"));
    return c.body(null, 204);
  });

  api.post("/conversations/:id/turns", async (c) => {
    const id = c.req.param("id");
    const body = await jsonBody(c.req.raw);
    const prompt = optionalString(body, "prompt");
    const retry = optionalBoolean(body, "retry");
    const before = await service.get(id);
    const feed = openFeed(service, id);
    try {
      const input: { prompt?: string; retry?: boolean } = {};
      if (prompt !== undefined) input.prompt = prompt;
      if (retry !== undefined) input.retry = retry;
      await service.startTurn(id, input);
    } catch (error) {
      feed.close();
      throw error;
    }
    return new Response(feed.stream(before.lastSeq, keepAliveMs), { status: 200, headers: SSE_HEADERS });
  });

  api.get("/conversations/:id/events", async (c) => {
    const id = c.req.param("id");
    await service.get(id);
    const after = resumePoint(c.req.header("last-event-id"), c.req.query("after"));
    const feed = openFeed(service, id);
    return new Response(feed.stream(after, keepAliveMs), { status: 200, headers: SSE_HEADERS });
  });

  api.get("/conversations/:id/entries", async (c) => {
    const id = c.req.param("id");
    await service.get(id);
    const after = resumePoint(undefined, c.req.query("after"));
    const limitText = c.req.query("limit");
    const limit = limitText !== undefined && /^\d{1,9}$/.test(limitText) ? Number(limitText) : undefined;
    return c.json({ entries: await service.store.entries(id, after, limit) });
  });

  api.post("/conversations/:id/stop", async (c) => {
    const id = c.req.param("id");
    await service.get(id);
    const stopped = service.stop(id);
    if (stopped) await service.settled(id);
    return c.json({ stopped });
  });

  api.post("/conversations/:id/code", async (c) => {
    const body = await jsonBody(c.req.raw);
    const username = optionalString(body, "githubUsername");
    if (username === undefined)
      throw invalid("githubUsername is required", "githubUsername", "invalid_github_username");
    const code = await service.sessionCode(c.req.param("id"), username, c.req.raw.signal);
    return c.json({ repoUrl: code.repoUrl, message: code.message });
  });

  api.get("/conversations/:id/export", async (c) => {
    const id = c.req.param("id");
    const conversation = await service.get(id);
    const entries = await service.store.entries(id, 0);
    const body = entries.map((entry) => `${JSON.stringify(entry)}\n`).join("");
    const name = `robocoders-${conversation.id.slice(0, 8)}.jsonl`;
    return new Response(body, {
      status: 200,
      headers: {
        "content-type": "application/x-ndjson; charset=utf-8",
        "content-disposition": `attachment; filename="${name}"`,
      },
    });
  });

  api.notFound((c) =>
    errorResponse(
      new GatewayError(404, `Unknown endpoint: ${c.req.method} ${c.req.path}`, {
        type: "invalid_request_error",
        code: "unknown_url",
      }),
    ),
  );
  return api;
}
