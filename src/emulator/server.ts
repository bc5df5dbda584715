/**
 * The emulator's HTTP server: plain `node:http`, so every byte of the `/chat` body, every chunk
 * boundary and every way of ending a connection is under control.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import {
  ENDPOINTS,
  extractDirectives,
  FAULT_HEADER,
  FaultSpecError,
  faultNames,
  mergeFaults,
  parseFaultSpec,
  ruleEndpoints,
  VERBOSE_HEADER,
} from "./faults.js";
import { authPage, docsPage, openApiDocument, proxyErrorPage } from "./pages.js";
import { initialTaskState, playTurn, type TaskState } from "./scripts.js";
import { type EventClock, numberSteps, planBody, planLines } from "./stream.js";
import type {
  AgentName,
  ChatRecord,
  Emulator,
  EmulatorOptions,
  EmulatorStats,
  EndpointName,
  FaultRule,
  Faults,
  MintTokenOptions,
  SentLine,
} from "./types.js";
import { isAgent, validateBody } from "./validation.js";

const DEFAULT_TOKEN_LIFETIME = 365 * 24 * 3600;
const DEFAULT_LONG_LINE = 3 << 20;
const ENDPOINT_NAMES: readonly (EndpointName | "other")[] = [...ENDPOINTS, "other"];
const ROUTES: Record<string, { endpoint: EndpointName; method: "GET" | "POST" }> = {
  "/auth": { endpoint: "auth", method: "GET" },
  "/create-session": { endpoint: "create-session", method: "GET" },
  "/chat": { endpoint: "chat", method: "POST" },
  "/get-session-code": { endpoint: "get-session-code", method: "POST" },
  "/docs": { endpoint: "docs", method: "GET" },
  "/openapi.json": { endpoint: "openapi.json", method: "GET" },
};

interface Session {
  sid: string;
  task: TaskState;
  clock: EventClock;
}

interface ActiveRule {
  rule: FaultRule;
  remaining: number;
}

function emptyStats(): EmulatorStats {
  const byEndpoint = <T>(make: () => T): Record<EndpointName | "other", T> =>
    Object.fromEntries(ENDPOINT_NAMES.map((name) => [name, make()])) as Record<EndpointName | "other", T>;
  return {
    totalRequests: 0,
    requests: byEndpoint(() => 0),
    statuses: byEndpoint(() => ({})),
    tokensIssued: 0,
    sessionsCreated: 0,
    chatStreams: { started: 0, completed: 0, aborted: 0, cut: 0 },
    faultsInjected: {},
  };
}

function toKey(secret: string | Uint8Array): Uint8Array {
  return typeof secret === "string" ? new TextEncoder().encode(secret) : secret;
}

/** Resolves after `ms`, or early when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on("data", (part: Buffer) => parts.push(part));
    req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
    req.on("error", reject);
  });
}

function parseVerboseHeader(value: string | string[] | undefined): boolean | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim().toLowerCase();
  if (text === undefined || text === "") return undefined;
  if (["1", "true", "yes", "on"].includes(text)) return true;
  if (["0", "false", "no", "off"].includes(text)) return false;
  return undefined;
}

function normalizeRules(faults: EmulatorOptions["faults"], longLine: number): FaultRule[] {
  if (faults === undefined) return [];
  const list = Array.isArray(faults) ? faults : [faults];
  return list.map((item: FaultRule | string) =>
    typeof item === "string" ? parseFaultSpec(item, longLine) : item,
  );
}

/**
 * Starts an emulator of the Robocoders AI API. Prints nothing; resolves once it listens.
 *
 * @example
 * const emulator = await startEmulator();
 * // ... point a client at emulator.url ...
 * await emulator.close();
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? "127.0.0.1";
  const tokenLifetime = options.tokenLifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME;
  const key = toKey(options.secret ?? randomBytes(32));
  const latencyMs = options.latencyMs ?? 0;
  const chatContentType = options.chatContentType ?? "application/x-ndjson";
  const longLineDefault = options.defaultLongLineBytes ?? DEFAULT_LONG_LINE;
  const maxChatRecords = options.maxChatRecords ?? 1000;
  let verboseDefault = options.verbose ?? false;

  const stats = emptyStats();
  const chats: ChatRecord[] = [];
  const sessions = new Map<string, Session>();
  let rules: ActiveRule[] = [];
  const specUses = new Map<string, number>();
  const sockets = new Set<Socket>();
  const lifetime = new AbortController();
  let chatSeq = 0;

  const setRules = (faults: EmulatorOptions["faults"]): void => {
    rules = normalizeRules(faults, longLineDefault).map((rule) => ({
      rule,
      remaining: rule.count ?? Number.POSITIVE_INFINITY,
    }));
  };
  setRules(options.faults);

  const mint = async (mintOptions: MintTokenOptions = {}): Promise<string> => {
    const seconds = mintOptions.expiresInSeconds ?? tokenLifetime;
    const exp = Math.floor(Date.now() / 1000) + seconds;
    stats.tokensIssued += 1;
    return new SignJWT({})
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject(mintOptions.sub ?? randomUUID())
      .setExpirationTime(exp)
      .sign(mintOptions.secret === undefined ? key : toKey(mintOptions.secret));
  };

  const createSession = (): string => {
    const sid = randomUUID();
    sessions.set(sid, { sid, task: initialTaskState(), clock: { nextId: 0, lastMicros: 0 } });
    stats.sessionsCreated += 1;
    return sid;
  };

  const countFaults = (faults: Faults, endpoint: EndpointName): void => {
    let names = faultNames(faults);
    if (faults.status !== undefined) names = [`status:${faults.status}`];
    else if (endpoint !== "chat")
      names = names.filter((n) => n === "expired-token" || n === "slow-first-byte");
    for (const name of names) stats.faultsInjected[name] = (stats.faultsInjected[name] ?? 0) + 1;
  };

  /** Selects the faults for a request: instance rules, then the header, then prompt directives. */
  const selectFaults = (endpoint: EndpointName, specs: readonly string[]): Faults => {
    const sets: Faults[] = [];
    for (const active of rules) {
      if (active.remaining > 0 && ruleEndpoints(active.rule).includes(endpoint)) {
        active.remaining -= 1;
        sets.push(active.rule);
      }
    }
    for (const spec of specs) {
      const rule = parseFaultSpec(spec, longLineDefault);
      if (!ruleEndpoints(rule).includes(endpoint)) continue;
      const specKey = spec.trim();
      const used = specUses.get(specKey) ?? 0;
      if (rule.count !== undefined && used >= rule.count) continue;
      specUses.set(specKey, used + 1);
      sets.push(rule);
    }
    return mergeFaults(sets);
  };

  const countStatus = (endpoint: EndpointName | "other", status: number): void => {
    const bucket = stats.statuses[endpoint];
    bucket[status] = (bucket[status] ?? 0) + 1;
  };

  const send = (
    res: ServerResponse,
    endpoint: EndpointName | "other",
    status: number,
    body: string,
    contentType: string,
    headers: Record<string, string> = {},
  ): void => {
    countStatus(endpoint, status);
    const bytes = Buffer.from(body, "utf8");
    res.writeHead(status, {
      server: "uvicorn",
      "content-type": contentType,
      "content-length": String(bytes.length),
      ...headers,
    });
    res.end(bytes);
  };
  const sendJson = (
    res: ServerResponse,
    endpoint: EndpointName | "other",
    status: number,
    value: unknown,
    headers?: Record<string, string>,
  ): void => send(res, endpoint, status, JSON.stringify(value), "application/json", headers);

  const sendFaultStatus = (res: ServerResponse, endpoint: EndpointName, faults: Faults): void => {
    const status = faults.status ?? 500;
    const headers: Record<string, string> = {};
    const retryAfter = faults.retryAfter ?? (status === 429 ? 1 : undefined);
    if (retryAfter !== undefined && (status === 429 || status === 503)) {
      headers["retry-after"] =
        retryAfter === "date" ? new Date(Date.now() + 2000).toUTCString() : String(retryAfter);
    }
    switch (status) {
      case 401:
        sendJson(
          res,
          endpoint,
          401,
          { detail: "Could not validate credentials" },
          { "www-authenticate": "Bearer" },
        );
        return;
      case 403:
        sendJson(res, endpoint, 403, { detail: "Not authenticated" });
        return;
      case 404:
        sendJson(res, endpoint, 404, { detail: "Session not found" });
        return;
      case 422:
        sendJson(res, endpoint, 422, {
          detail: [{ type: "missing", loc: ["body", "sid"], msg: "Field required", input: {} }],
        });
        return;
      case 429:
        sendJson(res, endpoint, 429, { detail: "Too Many Requests" }, headers);
        return;
      case 500:
        send(res, endpoint, 500, "Internal Server Error", "text/plain; charset=utf-8");
        return;
      default:
        send(res, endpoint, status, proxyErrorPage(status), "text/html", { ...headers, server: "nginx" });
    }
  };

  /** FastAPI's HTTPBearer + token check: 403 without a Bearer header, 401 for a bad or expired token. */
  const authenticate = async (
    req: IncomingMessage,
    res: ServerResponse,
    endpoint: EndpointName,
  ): Promise<boolean> => {
    const header = req.headers.authorization ?? "";
    const match = /^(\S+)\s+(\S.*)$/.exec(header.trim());
    if (!match || (match[1] ?? "").toLowerCase() !== "bearer") {
      sendJson(res, endpoint, 403, { detail: "Not authenticated" });
      return false;
    }
    try {
      await jwtVerify((match[2] ?? "").trim(), key, {
        algorithms: ["HS256"],
        requiredClaims: ["sub", "exp"],
      });
      return true;
    } catch (error) {
      if (!(error instanceof joseErrors.JOSEError) && !(error instanceof TypeError)) throw error;
      sendJson(
        res,
        endpoint,
        401,
        { detail: "Could not validate credentials" },
        { "www-authenticate": "Bearer" },
      );
      return false;
    }
  };

  const streamChat = async (
    res: ServerResponse,
    session: Session,
    agent: AgentName,
    prompt: string,
    cleanPrompt: string,
    faults: Faults,
    verbose: boolean,
  ): Promise<void> => {
    const nowMicros = Date.now() * 1000;
    const steps = playTurn(session.task, agent, cleanPrompt);
    const events = numberSteps(steps, session.sid, session.clock, verbose, nowMicros);
    const lines = planLines(events, faults, { sid: session.sid, clock: session.clock, nowMicros });
    const plan = planBody(lines, faults, latencyMs);
    chatSeq += 1;
    const record: ChatRecord = {
      seq: chatSeq,
      sid: session.sid,
      agent,
      prompt,
      cleanPrompt,
      faults,
      lines: [],
      texts: [],
      outcome: "streaming",
      completed: false,
    };
    chats.push(record);
    if (chats.length > maxChatRecords) chats.splice(0, chats.length - maxChatRecords);
    stats.chatStreams.started += 1;

    const closed = new AbortController();
    let finished = false;
    const onAbort = (): void => closed.abort();
    lifetime.signal.addEventListener("abort", onAbort, { once: true });
    const settle = (outcome: ChatRecord["outcome"]): void => {
      if (finished) return;
      finished = true;
      record.outcome = outcome;
      record.completed = outcome === "completed";
      if (outcome === "completed") stats.chatStreams.completed += 1;
      else if (outcome === "aborted-by-client") stats.chatStreams.aborted += 1;
      else stats.chatStreams.cut += 1;
    };
    res.on("close", () => {
      closed.abort();
      settle(res.writableFinished ? "completed" : "aborted-by-client");
    });

    countStatus("chat", 200);
    res.writeHead(200, {
      server: "uvicorn",
      "content-type": chatContentType,
      "cache-control": "no-cache",
      "x-accel-buffering": "no",
    });
    res.flushHeaders();

    const addLines = (upTo: number): void => {
      while (record.lines.length < upTo) {
        const line = lines[record.lines.length] as SentLine;
        record.lines.push(line);
        if (
          line.kind !== "blank" &&
          line.kind !== "malformed" &&
          line.kind !== "non-object" &&
          line.text !== ""
        ) {
          record.texts.push(line.text);
        }
      }
    };
    const write = (bytes: Buffer): Promise<boolean> =>
      new Promise((resolve) => {
        if (closed.signal.aborted) {
          resolve(false);
          return;
        }
        const onClose = (): void => resolve(false);
        closed.signal.addEventListener("abort", onClose, { once: true });
        res.write(bytes, (error) => {
          closed.signal.removeEventListener("abort", onClose);
          resolve(error == null);
        });
      });

    try {
      for (const chunk of plan.chunks) {
        await sleep(chunk.delayMs, closed.signal);
        if (closed.signal.aborted) return;
        if (!(await write(chunk.bytes))) return;
        addLines(chunk.linesDone);
      }
      if (finished) return;
      if (plan.cut) {
        settle("cut-mid-line");
        res.socket?.destroy();
      } else if (faults.missingFinalChunk) {
        settle("missing-final-chunk");
        res.socket?.end();
      } else {
        await new Promise<void>((resolve) => res.end(resolve));
        settle("completed");
      }
    } finally {
      lifetime.signal.removeEventListener("abort", onAbort);
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    stats.totalRequests += 1;
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const route = ROUTES[path];
    if (route === undefined) {
      stats.requests.other += 1;
      sendJson(res, "other", 404, { detail: "Not Found" });
      return;
    }
    const { endpoint } = route;
    stats.requests[endpoint] += 1;
    if (req.method !== route.method && !(route.method === "GET" && req.method === "HEAD")) {
      sendJson(res, endpoint, 405, { detail: "Method Not Allowed" }, { allow: route.method });
      return;
    }
    const bodyText = route.method === "POST" ? await readBody(req) : "";

    // Fault selection: the header, and for /chat the prompt's directives.
    const specs: string[] = [];
    const headerSpec = req.headers[FAULT_HEADER];
    if (headerSpec !== undefined) specs.push(...(Array.isArray(headerSpec) ? headerSpec : [headerSpec]));
    let directives = { specs: [] as string[], verbose: false, prompt: "" };
    let promptValue: string | undefined;
    if (endpoint === "chat") {
      try {
        const parsed: unknown = JSON.parse(bodyText);
        if (
          typeof parsed === "object" &&
          parsed !== null &&
          "prompt" in parsed &&
          typeof parsed.prompt === "string"
        ) {
          promptValue = parsed.prompt;
          directives = extractDirectives(parsed.prompt);
          specs.push(...directives.specs);
        }
      } catch {
        // Reported by validation below.
      }
    }
    let faults: Faults;
    try {
      faults = selectFaults(endpoint, specs);
    } catch (error) {
      if (!(error instanceof FaultSpecError)) throw error;
      send(res, endpoint, 400, `Invalid fault spec: ${error.message}\n`, "text/plain; charset=utf-8");
      return;
    }
    countFaults(faults, endpoint);
    if (faults.firstByteDelayMs !== undefined) await sleep(faults.firstByteDelayMs, lifetime.signal);
    if (faults.status !== undefined) {
      sendFaultStatus(res, endpoint, faults);
      return;
    }

    switch (endpoint) {
      case "auth": {
        const token = await mint(faults.expiredToken ? { expiresInSeconds: -60 } : {});
        send(res, endpoint, 200, authPage(token), "text/html; charset=utf-8");
        return;
      }
      case "docs":
        send(res, endpoint, 200, docsPage(), "text/html; charset=utf-8");
        return;
      case "openapi.json":
        sendJson(res, endpoint, 200, openApiDocument());
        return;
      case "create-session":
        if (!(await authenticate(req, res, endpoint))) return;
        sendJson(res, endpoint, 200, { sid: createSession() });
        return;
      case "get-session-code":
      case "chat": {
        const isChat = endpoint === "chat";
        const fields = isChat
          ? [
              { name: "sid", kind: "string" as const },
              { name: "prompt", kind: "string" as const },
              { name: "agent", kind: "agent" as const, default: "GeneralCodingAgent" },
            ]
          : [
              { name: "sid", kind: "string" as const },
              { name: "github_username", kind: "string" as const },
            ];
        const result = validateBody(bodyText, fields);
        // FastAPI reports a JSON syntax error before running the security dependency.
        if (!result.ok && result.issues[0]?.type === "json_invalid") {
          sendJson(res, endpoint, 422, { detail: result.issues });
          return;
        }
        if (!(await authenticate(req, res, endpoint))) return;
        if (!result.ok) {
          sendJson(res, endpoint, 422, { detail: result.issues });
          return;
        }
        const sid = result.values.sid ?? "";
        const session = sessions.get(sid);
        if (session === undefined) {
          sendJson(res, endpoint, 404, { detail: "Session not found" });
          return;
        }
        if (!isChat) {
          sendJson(res, endpoint, 200, {
            repo_url: `https://github.com/robocoders-sessions/${sid}`,
            message: "Collaborator added successfully",
          });
          return;
        }
        const verbose =
          (directives.verbose || faults.verbose === true ? true : undefined) ??
          parseVerboseHeader(req.headers[VERBOSE_HEADER]) ??
          verboseDefault;
        const agent = result.values.agent;
        if (!isAgent(agent)) throw new Error("agent was validated but is not an agent");
        await streamChat(res, session, agent, promptValue ?? "", directives.prompt, faults, verbose);
        return;
      }
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        send(res, "other", 500, "Internal Server Error", "text/plain; charset=utf-8");
      } else {
        res.destroy(error instanceof Error ? error : undefined);
      }
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("clientError", (_error, socket: Socket) => {
    socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound: AddressInfo | string | null = server.address();
  if (bound === null || typeof bound === "string")
    throw new Error("the emulator is not listening on a TCP port");
  const address = bound;
  const urlHost = address.family === "IPv6" || host.includes(":") ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;

  return {
    url: `http://${urlHost}:${address.port}`,
    host: address.address,
    port: address.port,
    stats,
    chats,
    mintToken: mint,
    setFaults: setRules,
    addFault(fault: FaultRule | string): void {
      const rule = typeof fault === "string" ? parseFaultSpec(fault, longLineDefault) : fault;
      rules.push({ rule, remaining: rule.count ?? Number.POSITIVE_INFINITY });
    },
    clearFaults(): void {
      rules = [];
    },
    setVerbose(verbose: boolean): void {
      verboseDefault = verbose;
    },
    createSession,
    hasSession: (sid: string) => sessions.has(sid),
    forgetSession: (sid: string) => sessions.delete(sid),
    reset(): void {
      Object.assign(stats, emptyStats());
      chats.length = 0;
      specUses.clear();
    },
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        lifetime.abort();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
