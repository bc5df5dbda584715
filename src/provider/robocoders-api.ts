/**
 * `RobocodersAPI`: the TypeScript counterpart of gpt4free's provider of the same name, on top of the
 * {@link Robocoders} client. Text output equals the reference client's on the same stream.
 */
import { AGENT_ALIASES } from "../client/agents.js";
import { resolveBaseURL } from "../client/options.js";
import { Robocoders } from "../client/robocoders.js";
import {
  AGENTS,
  type ChatOptions,
  DEFAULT_AGENT,
  type RobocodersClient,
  type RobocodersOptions,
} from "../client/types.js";
import type { Messages } from "../core/messages.js";
import { formatPrompt } from "../core/messages.js";
import { AsyncGeneratorModelProvider, type ProviderCallOptions } from "./base.js";

/**
 * Options of {@link RobocodersAPI.createAsyncGenerator}: the client's options (used to build a client for
 * the call, closed afterwards) and the per-call chat options. Pass `client` to reuse a client instead.
 */
export interface RobocodersAPIOptions
  extends RobocodersOptions,
    Omit<ChatOptions, "agent">,
    ProviderCallOptions {
  /** A client to use (and not close). Default: a new {@link Robocoders} built from these options. */
  client?: RobocodersClient;
}

/**
 * g4f-compatible facade for Robocoders AI:
 *
 * ```ts
 * for await (const text of RobocodersAPI.createAsyncGenerator("GeneralCodingAgent", [
 *   { role: "user", content: "Write a Python script that adds two numbers" },
 * ])) process.stdout.write(text);
 * ```
 */
export class RobocodersAPI extends AsyncGeneratorModelProvider {
  /** `"API Robocoders AI"`. */
  static override label = "API Robocoders AI";
  /** `"https://api.robocoders.ai/docs"`. */
  static override url = "https://api.robocoders.ai/docs";
  /** True. */
  static override working = true;
  /** True. */
  static override supportsStream = true;
  /** True: the conversation is sent as one prompt by {@link formatPrompt}. */
  static override supportsMessageHistory = true;
  /** `"GeneralCodingAgent"`. */
  static override defaultModel: string = DEFAULT_AGENT;
  /** The three agents: `GeneralCodingAgent`, `RepoAgent`, `FrontEndAgent`. */
  static override models: readonly string[] = AGENTS;
  /** Short names (`general`, `repo`, `frontend`…) for the agents. */
  static override modelAliases: Readonly<Record<string, string>> = AGENT_ALIASES;

  /** The chat URL for the configured base URL (`ROBOCODERS_BASE_URL`, default `https://api.robocoders.ai`). */
  static get apiEndpoint(): string {
    return `${resolveBaseURL()}/chat`;
  }

  /**
   * Streams the agent's answer to `messages` as text (the reference rule: `args.content`, else `message`).
   * The model is validated and the prompt formatted before anything is sent.
   * @throws ModelNotSupportedError (synchronously) for an unknown model.
   * @throws InvalidArgumentError (synchronously) for an empty message list.
   */
  static override createAsyncGenerator(
    model: string,
    messages: Messages,
    options: RobocodersAPIOptions = {},
  ): AsyncGenerator<string> {
    const agent = RobocodersAPI.getModel(model);
    const prompt = formatPrompt(messages);
    return RobocodersAPI.stream(agent, prompt, options);
  }

  /** The whole answer as one string; see {@link createAsyncGenerator}. */
  static override async createAsync(
    model: string,
    messages: Messages,
    options?: RobocodersAPIOptions,
  ): Promise<string> {
    let text = "";
    for await (const chunk of RobocodersAPI.createAsyncGenerator(model, messages, options)) text += chunk;
    return text;
  }

  private static async *stream(
    agent: string,
    prompt: string,
    options: RobocodersAPIOptions,
  ): AsyncGenerator<string> {
    const {
      client: given,
      signal,
      sid,
      newSession,
      maxContinues,
      maxRetries,
      timeout,
      idleTimeout,
      ...clientOptions
    } = options;
    const client =
      given ?? new Robocoders({ ...clientOptions, timeout, idleTimeout, maxRetries, maxContinues });
    try {
      const chat: ChatOptions = {
        agent,
        signal,
        sid,
        newSession,
        maxContinues,
        maxRetries,
        timeout,
        idleTimeout,
      };
      yield* client.chat(prompt, chat).text();
    } finally {
      if (given === undefined) await client.close();
    }
  }
}
