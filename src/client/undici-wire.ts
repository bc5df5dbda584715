/**
 * The transport used with a proxy or a custom `fetch`: undici's `fetch` with a dispatcher per idle
 * timeout (`Agent`, `ProxyAgent` or `EnvHttpProxyAgent`). undici is loaded only by this transport.
 */
import type { Dispatcher } from "undici";
import { APIConnectionError } from "../core/errors.js";
import type { CallContext } from "./call-context.js";
import type { ProxySetting } from "./options.js";
import type { FetchLike } from "./types.js";
import type { HttpResponse, Wire, WireRequest } from "./wire.js";

type Undici = typeof import("undici");
let undiciModule: Promise<Undici> | undefined;
/** undici, loaded on first need (importing it costs tens of milliseconds). */
function loadUndici(): Promise<Undici> {
  undiciModule ??= import("undici");
  return undiciModule;
}

/** What the client reads of a `fetch` response (undici's and the global `Response` both fit). */
interface FetchResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  readonly body: ReadableStream<Uint8Array> | null;
  text(): Promise<string>;
}

/** Reads a web stream; leaving early cancels it (which releases the connection). */
async function* readStream(body: ReadableStream<Uint8Array> | null): AsyncGenerator<Uint8Array> {
  if (body === null) return;
  const reader = body.getReader();
  let finished = false;
  try {
    for (;;) {
      let result: Awaited<ReturnType<typeof reader.read>>;
      try {
        result = await reader.read();
      } catch (error) {
        finished = true;
        throw error;
      }
      if (result.done) {
        finished = true;
        return;
      }
      yield result.value;
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
  }
}

function adapt(response: FetchResponse): HttpResponse {
  return {
    ok: response.ok,
    status: response.status,
    headers: response.headers,
    chunks: () => readStream(response.body),
    text: () => response.text(),
  };
}

/** Settings of an {@link UndiciWire}. */
export interface UndiciWireConfig {
  proxy: ProxySetting;
  fetch?: FetchLike | undefined;
}

/** Sends requests with undici's `fetch` (or the given one) through undici dispatchers. */
export class UndiciWire implements Wire {
  private readonly dispatchers = new Map<number, Dispatcher>();
  private readonly config: UndiciWireConfig;
  private closed = false;

  constructor(config: UndiciWireConfig) {
    this.config = config;
    // Start loading undici now: the import overlaps the work before the first request (reading the
    // cache). A failure surfaces on the first request.
    loadUndici().catch(() => undefined);
  }

  /** The dispatcher for an idle timeout (one per distinct value, created on first use). */
  private dispatcher(undici: Undici, idleTimeout: number): Dispatcher {
    let dispatcher = this.dispatchers.get(idleTimeout);
    if (dispatcher === undefined) {
      const { Agent, EnvHttpProxyAgent, ProxyAgent } = undici;
      const timeouts = { bodyTimeout: idleTimeout, headersTimeout: idleTimeout };
      const proxy = this.config.proxy;
      if (proxy.kind === "url") dispatcher = new ProxyAgent({ uri: proxy.url, ...timeouts });
      else if (proxy.kind === "env") dispatcher = new EnvHttpProxyAgent(timeouts);
      else dispatcher = new Agent(timeouts);
      this.dispatchers.set(idleTimeout, dispatcher);
    }
    return dispatcher;
  }

  async send(request: WireRequest, call: CallContext): Promise<HttpResponse> {
    const undici = await loadUndici();
    if (this.closed) throw new APIConnectionError("The client is closed");
    const dispatcher = this.dispatcher(undici, call.idleTimeout);
    const { method, headers, body } = request;
    if (this.config.fetch !== undefined) {
      const init: RequestInit = { method, headers, body, signal: call.signal };
      // The global RequestInit types `dispatcher` with Node's bundled undici types; set it untyped.
      Reflect.set(init, "dispatcher", dispatcher);
      return adapt(await this.config.fetch(request.url, init));
    }
    return adapt(await undici.fetch(request.url, { method, headers, body, signal: call.signal, dispatcher }));
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.dispatchers.values()];
    this.dispatchers.clear();
    await Promise.all(all.map((dispatcher) => dispatcher.close().catch(() => undefined)));
  }
}
