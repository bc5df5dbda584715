import type {
  JSONObject,
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3GenerateResult,
  LanguageModelV3StreamPart,
  LanguageModelV3StreamResult,
  LanguageModelV3Usage,
  SharedV3ProviderMetadata,
  SharedV3Warning,
} from "@ai-sdk/provider";
import type { AgentName, ChatOptions, ChatStream, RobocodersClient } from "../client/types.js";
import { eventTime, type RobocodersEvent } from "../core/events.js";
import { convertToRobocodersPrompt } from "./convert-to-robocoders-prompt.js";
import type { RobocodersActivity } from "./map-robocoders-event.js";
import { RobocodersStreamMapper } from "./map-robocoders-stream.js";
import { abortError, mapRobocodersError, type RobocodersCallContext } from "./robocoders-error.js";
import {
  getUnsupportedSettingWarnings,
  parseRobocodersProviderOptions,
  type RobocodersLanguageModelSettings,
} from "./robocoders-language-model-options.js";

/** How a {@link RobocodersLanguageModel} reaches the service. */
export interface RobocodersLanguageModelConfig {
  /** The provider id reported as `model.provider`, and the key of provider options and metadata. */
  provider: string;
  /** Returns the client (created on first use). */
  client: () => RobocodersClient;
}

/** The shape of `providerMetadata.robocoders` on results and `finish` parts. */
export interface RobocodersProviderMetadata extends JSONObject {
  /** The session the call ran in: pass it back as `providerOptions.robocoders.sid` to continue there. */
  sid: string | undefined;
  /** The agent that answered. */
  agent: AgentName;
  /** How many `/chat` requests the call made: 1 + automatic continues. */
  turns: number;
  /** Every event that is not agent talk: commands, file operations, delegations, browsing, observations. */
  activity: RobocodersActivity[];
}

/** Robocoders reports no token counts. */
const UNKNOWN_USAGE: LanguageModelV3Usage = {
  inputTokens: { total: undefined, noCache: undefined, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: undefined, text: undefined, reasoning: undefined },
};

/** A chat call in progress: its first event is already there, so HTTP errors have surfaced. */
interface StartedChat {
  stream: ChatStream;
  iterator: AsyncIterator<RobocodersEvent>;
  first: IteratorResult<RobocodersEvent>;
  warnings: SharedV3Warning[];
  mapper: RobocodersStreamMapper;
  context: () => RobocodersCallContext;
}

/**
 * A Robocoders agent as an AI SDK language model (specification v3). One call posts one prompt to `/chat`
 * (plus automatic `continue`s) and maps the agent's event stream to text, activity and a finish reason.
 */
export class RobocodersLanguageModel implements LanguageModelV3 {
  /** The language model specification this class implements. */
  readonly specificationVersion = "v3";
  /** The agent this model talks to. */
  readonly modelId: AgentName;
  /** No URL is fetched by the service: files are downloaded by the AI SDK (and then reported unsupported). */
  readonly supportedUrls: Record<string, RegExp[]> = {};

  constructor(
    modelId: AgentName,
    private readonly settings: RobocodersLanguageModelSettings,
    private readonly config: RobocodersLanguageModelConfig,
  ) {
    this.modelId = modelId;
  }

  /** The provider id, `robocoders` by default. */
  get provider(): string {
    return this.config.provider;
  }

  private async start(options: LanguageModelV3CallOptions): Promise<StartedChat> {
    const call = {
      ...this.settings,
      ...parseRobocodersProviderOptions(options.providerOptions?.[this.config.provider]),
    };
    const warnings = getUnsupportedSettingWarnings(options);
    const converted = convertToRobocodersPrompt(options.prompt, {
      latestUserMessageOnly: call.sid !== undefined,
    });
    warnings.push(...converted.warnings);
    const textMode = call.textMode ?? "messages";
    const mapper = new RobocodersStreamMapper({
      textMode,
      textSeparator: call.textSeparator ?? (textMode === "messages" ? "\n\n" : ""),
      includeRawChunks: options.includeRawChunks === true,
    });

    const client = this.config.client();
    let stream: ChatStream | undefined;
    const context = (): RobocodersCallContext => ({
      url: `${client.baseURL}/chat`,
      requestBodyValues: { sid: stream?.sid ?? call.sid, prompt: converted.prompt, agent: this.modelId },
      abortSignal: options.abortSignal,
    });
    const chatOptions: ChatOptions = {
      agent: this.modelId,
      sid: call.sid,
      newSession: call.sid === undefined && call.newSession !== false,
      signal: options.abortSignal,
      maxRetries: call.maxRetries ?? 0,
    };
    if (call.maxContinues !== undefined) chatOptions.maxContinues = call.maxContinues;
    if (call.timeout !== undefined) chatOptions.timeout = call.timeout;
    if (call.idleTimeout !== undefined) chatOptions.idleTimeout = call.idleTimeout;

    try {
      stream = client.chat(converted.prompt, chatOptions);
      const iterator = stream[Symbol.asyncIterator]();
      const first = await iterator.next();
      return { stream, iterator, first, warnings, mapper, context };
    } catch (error) {
      throw mapRobocodersError(error, context());
    }
  }

  private metadata(started: StartedChat): SharedV3ProviderMetadata {
    const robocoders: RobocodersProviderMetadata = {
      sid: started.stream.sid,
      agent: started.stream.agent,
      turns: started.stream.turns,
      activity: started.mapper.activity,
    };
    return { [this.config.provider]: robocoders };
  }

  private requestBody(started: StartedChat): unknown {
    return started.context().requestBodyValues;
  }

  /** Runs the agent to the end of its turn and returns the whole text. */
  async doGenerate(options: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> {
    const started = await this.start(options);
    const { iterator, mapper } = started;
    const firstEvent = started.first.done === true ? undefined : started.first.value;
    try {
      for (let result = started.first; result.done !== true; result = await iterator.next()) {
        mapper.push(result.value);
      }
    } catch (error) {
      // Output was already received: repeating the call would repeat the agent's work.
      throw mapRobocodersError(error, { ...started.context(), afterOutput: true });
    }
    const timestamp = firstEvent === undefined ? undefined : eventTime(firstEvent);
    return {
      content: mapper.text === "" ? [] : [{ type: "text", text: mapper.text }],
      finishReason: mapper.finishReason(),
      usage: UNKNOWN_USAGE,
      providerMetadata: this.metadata(started),
      request: { body: this.requestBody(started) },
      response: {
        ...(started.stream.sid === undefined ? {} : { id: started.stream.sid }),
        ...(timestamp === undefined ? {} : { timestamp }),
        modelId: started.stream.agent,
      },
      warnings: started.warnings,
    };
  }

  /**
   * Streams the agent's turn: `stream-start` (warnings), `response-metadata` (id: the session id),
   * `text-start`/`text-delta`/`text-end` per text run, `raw` parts when asked, and `finish`.
   */
  async doStream(options: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamResult> {
    const started = await this.start(options);
    const { iterator, mapper, stream: chat } = started;
    let pending: IteratorResult<RobocodersEvent> | undefined = started.first;
    const finish = (controller: ReadableStreamDefaultController<LanguageModelV3StreamPart>) => {
      for (const part of mapper.closeText()) controller.enqueue(part);
      controller.enqueue({
        type: "finish",
        finishReason: mapper.finishReason(),
        usage: UNKNOWN_USAGE,
        providerMetadata: this.metadata(started),
      });
      controller.close();
    };
    const firstEvent = started.first.done === true ? undefined : started.first.value;
    const timestamp = firstEvent === undefined ? undefined : eventTime(firstEvent);

    const parts = new ReadableStream<LanguageModelV3StreamPart>({
      start: (controller) => {
        controller.enqueue({ type: "stream-start", warnings: started.warnings });
        controller.enqueue({
          type: "response-metadata",
          ...(chat.sid === undefined ? {} : { id: chat.sid }),
          ...(timestamp === undefined ? {} : { timestamp }),
          modelId: chat.agent,
        });
      },
      pull: async (controller) => {
        // Loop until something was enqueued: an event may map to no part at all.
        for (;;) {
          let result: IteratorResult<RobocodersEvent>;
          try {
            result = pending ?? (await iterator.next());
            pending = undefined;
          } catch (error) {
            if (options.abortSignal?.aborted === true) {
              controller.error(abortError(options.abortSignal, error));
              return;
            }
            for (const part of mapper.closeText()) controller.enqueue(part);
            controller.enqueue({
              type: "error",
              error: mapRobocodersError(error, { ...started.context(), afterOutput: true }),
            });
            controller.enqueue({
              type: "finish",
              finishReason: { unified: "error", raw: undefined },
              usage: UNKNOWN_USAGE,
              providerMetadata: this.metadata(started),
            });
            controller.close();
            return;
          }
          if (result.done === true) {
            finish(controller);
            return;
          }
          const out = mapper.push(result.value);
          for (const part of out) controller.enqueue(part);
          if (out.length > 0) return;
        }
      },
      cancel: async () => {
        await iterator.return?.();
      },
    });
    return { stream: parts, request: { body: this.requestBody(started) } };
  }
}
