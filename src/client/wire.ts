/**
 * What a transport ("wire") of the client offers: send one request, return its response. The retries,
 * the error mapping and the logging around it live in {@link HttpTransport} (`http.ts`), shared by all.
 */
import type { CallContext } from "./call-context.js";

/** One request as sent on the wire. */
export interface WireRequest {
  method: "GET" | "POST";
  /** The full URL. */
  url: string;
  headers: Record<string, string>;
  /** A UTF-8 body. */
  body: string | undefined;
}

/** What the client uses of a response. */
export interface HttpResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  /**
   * The body's chunks; iterate once. Leaving the iteration early discards the rest of the body (and closes
   * the connection when needed). A failure while reading is thrown by the iterator as the transport's error.
   */
  chunks(): AsyncIterable<Uint8Array>;
  /** The whole body as UTF-8 text. */
  text(): Promise<string>;
}

/** Sends requests for one client; owns its connections. */
export interface Wire {
  /**
   * Sends one request; resolves with the response once its headers arrived. Honours the call's signal and
   * its idle timeout (which must fail with an error whose code {@link isIdleTimeout} recognises).
   */
  send(request: WireRequest, call: CallContext): Promise<HttpResponse>;
  /** Closes every connection. */
  close(): Promise<void>;
}
