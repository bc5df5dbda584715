/**
 * The admin API under `/__emulator/`: what `startEmulator()` offers JavaScript tests (counters, chat
 * records, faults, sessions, tokens, settings), over HTTP and JSON for tests in any language. Every
 * request passes {@link checkAdminRequest} first; bodies must be JSON objects.
 *
 * | method and path                       | does                                                        |
 * | ------------------------------------- | ----------------------------------------------------------- |
 * | `GET /__emulator/stats`               | the counters                                                |
 * | `GET /__emulator/chats`               | chat records (`?sid=`, `?since=<seq>`, `?lines=false`)      |
 * | `POST /__emulator/reset`              | zero counters, drop records and per-spec fault counts       |
 * | `GET/POST/DELETE /__emulator/faults`  | list, add (`{"spec"}` or `{"rule"}`), clear instance rules  |
 * | `POST /__emulator/sessions`           | create a session                                            |
 * | `GET/DELETE /__emulator/sessions/<sid>` | a session's state; forget it                              |
 * | `POST/DELETE /__emulator/tokens`      | mint a token (`expiresInSeconds`, `sub`); revoke every one  |
 * | `GET/POST /__emulator/settings`       | `verbose` and `latencyMs`                                   |
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { checkAdminBody, checkAdminRequest, type GuardSettings } from "./admin-guard.js";
import { readBody } from "./api.js";
import { FaultSpecError, parseFaultRule, parseFaultSpec } from "./faults.js";
import type { EmulatorState } from "./state.js";
import type { ChatRecord, FaultRule } from "./types.js";

/** The path prefix of the admin API (no trailing slash). */
export const ADMIN_PREFIX = "/__emulator";
/** Largest admin request body accepted: 1 MiB. */
const MAX_BODY_BYTES = 1 << 20;

/** A request to the admin API after the guard. */
interface AdminCall {
  req: IncomingMessage;
  /** Path parameters (`sid`). */
  params: Record<string, string>;
  query: URLSearchParams;
  /** The JSON body (`{}` when there is none). */
  body: Record<string, unknown>;
}

/** An answer: status and JSON value. */
interface AdminAnswer {
  status: number;
  value: unknown;
  headers?: Record<string, string>;
}

type AdminHandler = (state: EmulatorState, call: AdminCall) => AdminAnswer | Promise<AdminAnswer>;

interface AdminRoute {
  pattern: RegExp;
  methods: Partial<Record<"GET" | "POST" | "DELETE", AdminHandler>>;
}

/** An admin request that cannot be served: a 4xx with `{"detail"}`. */
class AdminRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const ok = (value: unknown, status = 200): AdminAnswer => ({ status, value });

function faultList(state: EmulatorState): unknown[] {
  return state.faults.list().map(({ rule, remaining }) => ({
    rule,
    remaining: Number.isFinite(remaining) ? remaining : null,
  }));
}

function sessionView(state: EmulatorState, sid: string): AdminAnswer {
  const session = state.sessions.get(sid);
  if (session === undefined) throw new AdminRequestError(404, "Session not found");
  const { phase, tasks } = session.task;
  return ok({ sid, phase, tasks, nextEventId: session.clock.nextId });
}

function chatView(record: ChatRecord, withLines: boolean): unknown {
  if (withLines) return record;
  const { lines: _lines, ...rest } = record;
  return rest;
}

function optionalCount(body: Record<string, unknown>, name: string): number | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value))
    throw new AdminRequestError(422, `"${name}" must be an integer`);
  return value;
}

const ROUTES: readonly AdminRoute[] = [
  { pattern: /^\/stats$/, methods: { GET: (state) => ok(state.stats) } },
  {
    pattern: /^\/chats$/,
    methods: {
      GET: (state, { query }) => {
        const sid = query.get("sid");
        const sinceText = query.get("since");
        const since = sinceText === null ? 0 : Number(sinceText);
        if (!Number.isSafeInteger(since)) throw new AdminRequestError(422, '"since" must be an integer');
        const withLines = query.get("lines") !== "false" && query.get("lines") !== "0";
        const chats = state.chats
          .filter((record) => record.seq > since && (sid === null || record.sid === sid))
          .map((record) => chatView(record, withLines));
        return ok({ chats });
      },
    },
  },
  {
    pattern: /^\/reset$/,
    methods: {
      POST: (state) => {
        state.reset();
        return ok({ reset: true });
      },
    },
  },
  {
    pattern: /^\/faults$/,
    methods: {
      GET: (state) => ok({ faults: faultList(state) }),
      POST: (state, { body }) => {
        const { spec, rule } = body;
        let parsed: FaultRule;
        if (typeof spec === "string" && rule === undefined)
          parsed = parseFaultSpec(spec, state.faults.longLineBytes);
        else if (spec === undefined && rule !== undefined) parsed = parseFaultRule(rule);
        else
          throw new AdminRequestError(422, 'Give either "spec" (a fault spec string) or "rule" (an object)');
        state.faults.add(parsed);
        return ok({ rule: parsed, faults: faultList(state) }, 201);
      },
      DELETE: (state) => {
        state.faults.clear();
        return ok({ faults: [] });
      },
    },
  },
  {
    pattern: /^\/sessions$/,
    methods: { POST: (state) => ok({ sid: state.createSession() }, 201) },
  },
  {
    pattern: /^\/sessions\/(?<sid>[^/]+)$/,
    methods: {
      GET: (state, { params }) => sessionView(state, params.sid ?? ""),
      DELETE: (state, { params }) => {
        const sid = params.sid ?? "";
        if (!state.sessions.delete(sid)) throw new AdminRequestError(404, "Session not found");
        return ok({ sid, forgotten: true });
      },
    },
  },
  {
    pattern: /^\/tokens$/,
    methods: {
      POST: async (state, { body }) => {
        const expiresInSeconds = optionalCount(body, "expiresInSeconds");
        const sub = body.sub;
        if (sub !== undefined && sub !== null && (typeof sub !== "string" || sub === ""))
          throw new AdminRequestError(422, '"sub" must be a non-empty string');
        const minted = await state.mintToken({
          ...(expiresInSeconds === undefined ? {} : { expiresInSeconds }),
          ...(typeof sub === "string" ? { sub } : {}),
        });
        return ok(minted, 201);
      },
      DELETE: (state) => {
        state.tokens.revokeAll();
        return ok({ revoked: true });
      },
    },
  },
  {
    pattern: /^\/settings$/,
    methods: {
      GET: (state) => ok({ verbose: state.verbose, latencyMs: state.latencyMs }),
      POST: (state, { body }) => {
        const { verbose } = body;
        if (verbose !== undefined && typeof verbose !== "boolean")
          throw new AdminRequestError(422, '"verbose" must be true or false');
        const latencyMs = optionalCount(body, "latencyMs");
        if (latencyMs !== undefined && latencyMs < 0)
          throw new AdminRequestError(422, '"latencyMs" must be a non-negative integer');
        if (verbose !== undefined) state.verbose = verbose;
        if (latencyMs !== undefined) state.latencyMs = latencyMs;
        return ok({ verbose: state.verbose, latencyMs: state.latencyMs });
      },
    },
  },
];

function sendJson(res: ServerResponse, answer: AdminAnswer): void {
  const bytes = Buffer.from(`${JSON.stringify(answer.value)}\n`, "utf8");
  res.writeHead(answer.status, {
    "content-type": "application/json",
    "content-length": String(bytes.length),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    ...answer.headers,
  });
  res.end(bytes);
}

/** Reads a body of at most {@link MAX_BODY_BYTES}. */
async function readLimitedBody(req: IncomingMessage): Promise<string> {
  const length = Number(req.headers["content-length"] ?? 0);
  if (length > MAX_BODY_BYTES) throw new AdminRequestError(413, "Request body too large");
  const body = await readBody(req);
  if (Buffer.byteLength(body) > MAX_BODY_BYTES) throw new AdminRequestError(413, "Request body too large");
  return body;
}

function decodePathPart(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new AdminRequestError(400, "The path is not valid percent-encoding");
  }
}

function parseBody(text: string): Record<string, unknown> {
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AdminRequestError(400, "The body is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new AdminRequestError(422, "The body must be a JSON object");
  return value as Record<string, unknown>;
}

/**
 * Answers one request whose path starts with {@link ADMIN_PREFIX}. `path` and `query` come from the
 * request's URL.
 */
export async function handleAdminRequest(
  state: EmulatorState,
  guard: GuardSettings,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
): Promise<void> {
  const refusal = checkAdminRequest(req.headers, guard);
  if (refusal !== undefined) {
    req.resume();
    sendJson(res, {
      status: refusal.status,
      value: { detail: refusal.detail },
      ...(refusal.headers === undefined ? {} : { headers: refusal.headers }),
    });
    return;
  }
  try {
    const sub = path.slice(ADMIN_PREFIX.length);
    let params: Record<string, string> | undefined;
    const route = ROUTES.find((candidate) => {
      const match = candidate.pattern.exec(sub);
      if (match) params = { ...match.groups };
      return match !== null;
    });
    if (route === undefined) throw new AdminRequestError(404, "Not Found");
    const method = req.method === "HEAD" ? "GET" : (req.method ?? "GET");
    const handler = route.methods[method as keyof AdminRoute["methods"]];
    if (handler === undefined) {
      req.resume();
      sendJson(res, {
        status: 405,
        value: { detail: "Method Not Allowed" },
        headers: { allow: Object.keys(route.methods).join(", ") },
      });
      return;
    }
    let body: Record<string, unknown> = {};
    if (method !== "GET") {
      const text = await readLimitedBody(req);
      const bad = checkAdminBody(req.headers, text);
      if (bad !== undefined) throw new AdminRequestError(bad.status, bad.detail);
      body = parseBody(text);
    }
    const decoded = Object.fromEntries(
      Object.entries(params ?? {}).map(([key, value]) => [key, decodePathPart(value)]),
    );
    sendJson(res, await handler(state, { req, params: decoded, query, body }));
  } catch (error) {
    if (error instanceof AdminRequestError) {
      req.resume();
      sendJson(res, { status: error.status, value: { detail: error.message } });
    } else if (error instanceof FaultSpecError) {
      sendJson(res, { status: 422, value: { detail: `Invalid fault: ${error.message}` } });
    } else {
      throw error;
    }
  }
}
