/**
 * The emulated Robocoders API: routing of `/auth`, `/create-session`, `/chat`, `/get-session-code`,
 * `/docs` and `/openapi.json`, fault selection for each request, FastAPI's order of checks (JSON syntax,
 * then the Bearer token, then the body's fields, then the session), and the answers.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { exchangeBody } from "../core/transcript.js";
import { type ChatRequestInfo, planScriptedChat, sleep, writeChatStream } from "./chat-response.js";
import { appliedFaultNames } from "./fault-rules.js";
import { extractDirectives, FAULT_HEADER, FaultSpecError, VERBOSE_HEADER } from "./faults.js";
import { authPage, docsPage, openApiDocument } from "./pages.js";
import { planReplayChat } from "./replay.js";
import { type Replier, replier } from "./replies.js";
import type { RequestTrace } from "./request-log.js";
import type { EmulatorState } from "./state.js";
import type { EndpointName, Faults } from "./types.js";
import { type FieldSpec, isAgent, validateBody } from "./validation.js";

/** The API's routes: path → endpoint and method. */
export const API_ROUTES: Readonly<Record<string, { endpoint: EndpointName; method: "GET" | "POST" }>> = {
  "/auth": { endpoint: "auth", method: "GET" },
  "/create-session": { endpoint: "create-session", method: "GET" },
  "/chat": { endpoint: "chat", method: "POST" },
  "/get-session-code": { endpoint: "get-session-code", method: "POST" },
  "/docs": { endpoint: "docs", method: "GET" },
  "/openapi.json": { endpoint: "openapi.json", method: "GET" },
};

const CHAT_FIELDS: readonly FieldSpec[] = [
  { name: "sid", kind: "string" },
  { name: "prompt", kind: "string" },
  { name: "agent", kind: "agent", default: "GeneralCodingAgent" },
];
const SESSION_CODE_FIELDS: readonly FieldSpec[] = [
  { name: "sid", kind: "string" },
  { name: "github_username", kind: "string" },
];

/** What the API needs from the running emulator. */
export interface ApiContext {
  state: EmulatorState;
  /** Aborts when the emulator closes. */
  lifetime: AbortSignal;
  /** Whether the admin API is on (its paths then appear in `/openapi.json`). */
  admin: boolean;
}

/** Reads a request body as UTF-8. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on("data", (part: Buffer) => parts.push(part));
    req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
    req.on("error", reject);
  });
}

/** The value of `x-emulator-verbose`: `true`/`false`, or `undefined` when absent or unrecognised. */
export function parseVerboseHeader(value: string | string[] | undefined): boolean | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim().toLowerCase();
  if (text === undefined || text === "") return undefined;
  if (["1", "true", "yes", "on"].includes(text)) return true;
  if (["0", "false", "no", "off"].includes(text)) return false;
  return undefined;
}

/** The prompt of a `/chat` body, when the body is a JSON object with a string `prompt`. */
function promptOf(bodyText: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(bodyText);
    if (
      typeof parsed === "object" &&
      parsed !== null &&
      "prompt" in parsed &&
      typeof parsed.prompt === "string"
    )
      return parsed.prompt;
  } catch {
    // Reported by validation.
  }
  return undefined;
}

/** The Bearer token of a request, or `undefined` without a well-formed `Authorization: Bearer` header. */
function bearerToken(req: IncomingMessage): string | undefined {
  const match = /^(\S+)\s+(\S.*)$/.exec((req.headers.authorization ?? "").trim());
  if (!match || (match[1] ?? "").toLowerCase() !== "bearer") return undefined;
  return (match[2] ?? "").trim();
}

/** FastAPI's HTTPBearer and token check: 403 without a Bearer header, 401 for a bad or expired token. */
async function authenticate(state: EmulatorState, req: IncomingMessage, reply: Replier): Promise<boolean> {
  const token = bearerToken(req);
  if (token === undefined) {
    reply.json(403, { detail: "Not authenticated" });
    return false;
  }
  if (await state.tokens.verify(token)) return true;
  reply.invalidCredentials();
  return false;
}

/** Answers a `/chat` request that passed every check with the recorded exchange for its prompt. */
async function replayChat(
  context: ApiContext,
  res: ServerResponse,
  reply: Replier,
  request: ChatRequestInfo,
  trace: RequestTrace,
): Promise<void> {
  const { state } = context;
  const exchange = state.replay?.take(request.prompt);
  if (exchange === undefined) {
    reply.json(500, { detail: "The emulator has no recorded /chat response left to replay" });
    return;
  }
  const { status, headers } = exchange.response;
  if (status !== 200) {
    const { "content-type": contentType = "application/json", ...rest } = headers;
    reply.send(status, exchangeBody(exchange), contentType, rest);
    return;
  }
  const chat = planReplayChat(exchange, request.faults, state.latencyMs);
  await writeChatStream(res, state, context.lifetime, request, chat, trace);
}

/**
 * Answers one request to a path of {@link API_ROUTES}, or 404 for any other path; notes the faults
 * applied and the chat record in `trace`.
 */
export async function handleApiRequest(
  context: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  trace: RequestTrace,
): Promise<void> {
  const { state } = context;
  const route = API_ROUTES[path];
  if (route === undefined) {
    state.countRequest("other");
    replier(res, (status) => state.countStatus("other", status)).json(404, { detail: "Not Found" });
    return;
  }
  const { endpoint } = route;
  state.countRequest(endpoint);
  const reply = replier(res, (status) => state.countStatus(endpoint, status));
  if (req.method !== route.method && !(route.method === "GET" && req.method === "HEAD")) {
    reply.json(405, { detail: "Method Not Allowed" }, { allow: route.method });
    return;
  }
  const bodyText = route.method === "POST" ? await readBody(req) : "";

  // Fault selection: the header, and for /chat the prompt's directives.
  const specs: string[] = [];
  const headerSpec = req.headers[FAULT_HEADER];
  if (headerSpec !== undefined) specs.push(...(Array.isArray(headerSpec) ? headerSpec : [headerSpec]));
  const prompt = endpoint === "chat" ? promptOf(bodyText) : undefined;
  const directives = extractDirectives(prompt ?? "");
  specs.push(...directives.specs);
  let faults: Faults;
  try {
    faults = state.faults.select(endpoint, specs);
  } catch (error) {
    if (!(error instanceof FaultSpecError)) throw error;
    reply.send(400, `Invalid fault spec: ${error.message}\n`, "text/plain; charset=utf-8");
    return;
  }
  const applied = appliedFaultNames(faults, endpoint);
  state.countFaults(applied);
  trace.faults = applied;
  if (faults.firstByteDelayMs !== undefined) await sleep(faults.firstByteDelayMs, context.lifetime);
  if (faults.status !== undefined) {
    reply.faultStatus(faults);
    return;
  }

  switch (endpoint) {
    case "auth": {
      const { token } = await state.mintToken(faults.expiredToken ? { expiresInSeconds: -60 } : {});
      reply.send(200, authPage(token), "text/html; charset=utf-8");
      return;
    }
    case "docs":
      reply.send(200, docsPage(), "text/html; charset=utf-8");
      return;
    case "openapi.json":
      reply.json(200, openApiDocument({ admin: context.admin }));
      return;
    case "create-session":
      if (!(await authenticate(state, req, reply))) return;
      reply.json(200, { sid: state.createSession() });
      return;
    case "get-session-code":
    case "chat": {
      const result = validateBody(bodyText, endpoint === "chat" ? CHAT_FIELDS : SESSION_CODE_FIELDS);
      // FastAPI reports a JSON syntax error before running the security dependency.
      if (!result.ok && result.issues[0]?.type === "json_invalid") {
        reply.json(422, { detail: result.issues });
        return;
      }
      if (!(await authenticate(state, req, reply))) return;
      if (!result.ok) {
        reply.json(422, { detail: result.issues });
        return;
      }
      const sid = result.values.sid ?? "";
      const session = state.sessions.get(sid);
      if (session === undefined) {
        reply.json(404, { detail: "Session not found" });
        return;
      }
      if (endpoint === "get-session-code") {
        reply.json(200, {
          repo_url: `https://github.com/robocoders-sessions/${sid}`,
          message: "Collaborator added successfully",
        });
        return;
      }
      const verbose =
        (directives.verbose || faults.verbose === true ? true : undefined) ??
        parseVerboseHeader(req.headers[VERBOSE_HEADER]) ??
        state.verbose;
      const agent = result.values.agent;
      if (!isAgent(agent)) throw new Error("agent was validated but is not an agent");
      const request: ChatRequestInfo = {
        sid,
        agent,
        prompt: prompt ?? "",
        cleanPrompt: directives.prompt,
        faults,
      };
      if (state.replay !== undefined) {
        await replayChat(context, res, reply, request, trace);
        return;
      }
      const chat = planScriptedChat(session, agent, directives.prompt, faults, verbose, state.latencyMs);
      await writeChatStream(res, state, context.lifetime, request, chat, trace);
      return;
    }
  }
}
