/**
 * Recording of `/chat` exchanges ({@link RobocodersOptions.record}): a {@link Wire} that passes every
 * request through and, for `POST /chat`, keeps the bytes of the response as the client reads them, then
 * hands a {@link ChatExchange} (token redacted) to the recorder when the body ends, breaks off or is
 * abandoned.
 */

import { InvalidArgumentError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import {
  appendExchange,
  bodyFields,
  type ChatExchange,
  RECORDED_RESPONSE_HEADERS,
  redactHeaders,
  TRANSCRIPT_FORMAT,
} from "../core/transcript.js";
import { isRecord } from "../internal/values.js";
import type { CallContext } from "./call-context.js";
import type { HttpResponse, Wire, WireRequest } from "./wire.js";

/** Receives each recorded `/chat` exchange. */
export type ChatRecorder = (exchange: ChatExchange) => void | Promise<void>;

/**
 * The recorder for the `record` option: a path appends JSON Lines to that file (created 0600), a function
 * is called as is.
 * @throws {InvalidArgumentError} for an empty path or a value of another type.
 */
export function chatRecorder(record: string | ChatRecorder): ChatRecorder {
  if (typeof record === "function") return record;
  if (typeof record !== "string" || record.trim() === "")
    throw new InvalidArgumentError("record must be a file path or a function");
  return (exchange) => appendExchange(record, exchange);
}

function requestJson(body: string | undefined): ChatExchange["request"]["json"] {
  try {
    const value: unknown = JSON.parse(body ?? "");
    if (isRecord(value)) return value as ChatExchange["request"]["json"];
  } catch {
    // Not JSON: kept as the prompt below.
  }
  return { sid: "", prompt: body ?? "" };
}

/** Wraps a response so that reading its body records the exchange once it ends. */
function recordingResponse(
  request: WireRequest,
  response: HttpResponse,
  record: ChatRecorder,
  logger: Logger,
): HttpResponse {
  const parts: Uint8Array[] = [];
  let recorded = false;
  const finish = async (complete: boolean): Promise<void> => {
    if (recorded) return;
    recorded = true;
    const headers: Record<string, string> = {};
    for (const name of RECORDED_RESPONSE_HEADERS) {
      const value = response.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    const exchange: ChatExchange = {
      format: TRANSCRIPT_FORMAT,
      recordedAt: new Date().toISOString(),
      request: {
        method: "POST",
        path: "/chat",
        headers: redactHeaders(request.headers),
        json: requestJson(request.body),
      },
      response: { status: response.status, headers, ...bodyFields(Buffer.concat(parts)), complete },
    };
    try {
      await record(exchange);
    } catch (error) {
      logger.error("could not record the /chat exchange", {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  };
  const chunks = (): AsyncIterable<Uint8Array> => {
    const inner = response.chunks();
    return (async function* () {
      let complete = false;
      try {
        for await (const chunk of inner) {
          parts.push(chunk);
          yield chunk;
        }
        complete = true;
      } finally {
        await finish(complete);
      }
    })();
  };
  return {
    ok: response.ok,
    status: response.status,
    headers: response.headers,
    chunks,
    async text() {
      const all: Uint8Array[] = [];
      for await (const chunk of chunks()) all.push(chunk);
      return Buffer.concat(all).toString("utf8");
    },
  };
}

/** A wire that records `POST /chat` exchanges and sends everything else unchanged. */
export class RecordingWire implements Wire {
  constructor(
    private readonly inner: Wire,
    private readonly record: ChatRecorder,
    private readonly logger: Logger,
  ) {}

  async send(request: WireRequest, call: CallContext): Promise<HttpResponse> {
    const response = await this.inner.send(request, call);
    if (request.method !== "POST" || !request.url.endsWith("/chat")) return response;
    return recordingResponse(request, response, this.record, this.logger);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
