/**
 * The default transport: `node:http` / `node:https` with one keep-alive `Agent` per client. It loads no
 * HTTP library, and a streamed body is read as the response's own async iterable of `Buffer` chunks.
 */
import {
  type ClientRequest,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
} from "node:http";
import type { Agent as HttpsAgent, RequestOptions } from "node:https";
import type { CallContext } from "./call-context.js";
import { IDLE_TIMEOUT_CODE } from "./http-errors.js";
import type { HttpResponse, Wire, WireRequest } from "./wire.js";

/**
 * How long a connection may stay unused in the pool before it is closed, in ms: 4 s, below the 5 s
 * keep-alive timeout of Node servers, so a request rarely meets a connection the server is closing.
 */
export const FREE_SOCKET_TIMEOUT_MS = 4_000;

type RequestFn = (
  url: URL,
  options: RequestOptions,
  callback?: (res: IncomingMessage) => void,
) => ClientRequest;

interface Stack {
  request: RequestFn;
  agent: HttpAgent | HttpsAgent;
}

/** The error a request or response is destroyed with when the connection stays silent too long. */
function idleTimeoutError(ms: number): Error {
  return Object.assign(new Error(`No data received for ${ms} ms`), { code: IDLE_TIMEOUT_CODE });
}

const ignore = (): void => undefined;

/** A response read from an `IncomingMessage`. */
class NodeResponse implements HttpResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  private readonly res: IncomingMessage;

  constructor(res: IncomingMessage) {
    this.res = res;
    this.status = res.statusCode ?? 0;
    this.ok = this.status >= 200 && this.status < 300;
    const raw = res.headers;
    this.headers = {
      get(name: string): string | null {
        const value = raw[name.toLowerCase()];
        if (value === undefined) return null;
        return Array.isArray(value) ? value.join(", ") : value;
      },
    };
  }

  chunks(): AsyncIterable<Uint8Array> {
    // Without setEncoding, an IncomingMessage yields Buffers. Leaving its iterator early destroys the
    // response and with it the connection; failures (a cut, an idle timeout) are thrown by the iterator.
    return this.res;
  }

  async text(): Promise<string> {
    const parts: Buffer[] = [];
    for await (const chunk of this.res) parts.push(chunk);
    return Buffer.concat(parts).toString("utf8");
  }
}

/** Sends requests with `node:http` / `node:https` through one keep-alive agent. */
export class NodeWire implements Wire {
  private readonly secure: boolean;
  private stack: Stack | Promise<Stack> | undefined;
  private agent: HttpAgent | HttpsAgent | undefined;

  /** `baseURL` decides between `node:http` and `node:https` (loaded only when needed). */
  constructor(baseURL: string) {
    this.secure = new URL(baseURL).protocol === "https:";
  }

  private load(): Stack | Promise<Stack> {
    const agentOptions = { keepAlive: true, timeout: FREE_SOCKET_TIMEOUT_MS };
    if (!this.secure) {
      const agent = new HttpAgent(agentOptions);
      this.agent = agent;
      return { request: httpRequest, agent };
    }
    return import("node:https").then((https) => {
      const agent = new https.Agent(agentOptions);
      this.agent = agent;
      const stack: Stack = { request: https.request, agent };
      this.stack = stack;
      return stack;
    });
  }

  async send(request: WireRequest, call: CallContext): Promise<HttpResponse> {
    this.stack ??= this.load();
    const { request: send, agent } = await this.stack;
    const headers: Record<string, string | number> = {
      accept: "*/*",
      "user-agent": "node",
      ...request.headers,
    };
    if (request.body !== undefined) headers["content-length"] = Buffer.byteLength(request.body);
    return new Promise<HttpResponse>((resolve, reject) => {
      const req = send(new URL(request.url), {
        method: request.method,
        headers,
        agent,
        signal: call.signal,
      });
      // Socket inactivity: covers waiting for the headers and every silence inside the body. Before the
      // response the request fails with the error; afterwards the response does (its iterator throws it).
      let response: IncomingMessage | undefined;
      req.setTimeout(call.idleTimeout, () => {
        const error = idleTimeoutError(call.idleTimeout);
        if (response !== undefined && !response.destroyed) response.destroy(error);
        req.destroy(error);
      });
      req.once("error", reject);
      req.once("response", (res) => {
        response = res;
        req.removeListener("error", reject);
        // Later request errors also reach the response (the connection is gone); keep the process alive.
        req.on("error", ignore);
        // With a listener, a failure is kept on the response (`errored`), so an iterator created after
        // it still throws it instead of a bare premature close.
        res.on("error", ignore);
        resolve(new NodeResponse(res));
      });
      req.end(request.body);
    });
  }

  async close(): Promise<void> {
    this.agent?.destroy();
    this.agent = undefined;
  }
}
