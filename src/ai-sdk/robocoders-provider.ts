import { type LanguageModelV3, NoSuchModelError, type ProviderV3 } from "@ai-sdk/provider";
import { resolveAgent } from "../client/agents.js";
import { Robocoders } from "../client/robocoders.js";
import type { RobocodersClient, RobocodersOptions } from "../client/types.js";
import { ModelNotSupportedError } from "../core/errors.js";
import { RobocodersLanguageModel } from "./robocoders-language-model.js";
import type {
  RobocodersLanguageModelSettings,
  RobocodersModelId,
} from "./robocoders-language-model-options.js";

/**
 * Options of {@link createRobocoders}: the client's options (base URL, access token, cache folder, proxy,
 * timeouts, retries, `fetch`, logging — each with the same defaults and environment variables as the
 * `Robocoders` client), or a ready client to share.
 */
export interface RobocodersProviderSettings extends RobocodersOptions {
  /**
   * A client to use instead of creating one from the other options (which are then ignored). The provider
   * never closes a client it was given. Default: a `Robocoders` client, created on first use.
   */
  client?: RobocodersClient;
  /** Settings applied to every model of this provider; a model's own settings win. Default: none. */
  defaults?: RobocodersLanguageModelSettings;
}

/** A Robocoders provider for the AI SDK: call it with an agent name to get a language model. */
export interface RobocodersProvider extends ProviderV3 {
  /**
   * A language model for an agent (`GeneralCodingAgent`, `RepoAgent`, `FrontEndAgent` or an alias such as
   * `repo`, `frontend`).
   * @throws NoSuchModelError for any other name; its message lists the valid agents.
   */
  (modelId: RobocodersModelId, settings?: RobocodersLanguageModelSettings): LanguageModelV3;
  /** Same as calling the provider. */
  languageModel(modelId: RobocodersModelId, settings?: RobocodersLanguageModelSettings): LanguageModelV3;
  /** The client the models use (created on first access). */
  readonly client: RobocodersClient;
  /** Releases the client's connections, if the provider created it. The provider can be used again afterwards. */
  close(): Promise<void>;
}

/** The provider id: `model.provider`, and the key of `providerOptions` and `providerMetadata`. */
export const ROBOCODERS_PROVIDER_ID = "robocoders";

/**
 * Creates a Robocoders provider for the AI SDK.
 *
 * ```ts
 * import { streamText } from "ai";
 * import { createRobocoders } from "robocoders/ai-sdk";
 *
 * const robocoders = createRobocoders({ cacheDir: "./.robocoders" });
 * const result = streamText({ model: robocoders("GeneralCodingAgent"), prompt: "Write add.py" });
 * ```
 */
export function createRobocoders(settings: RobocodersProviderSettings = {}): RobocodersProvider {
  const { client: givenClient, defaults, ...clientOptions } = settings;
  let ownClient: Robocoders | undefined;
  const getClient = (): RobocodersClient => {
    if (givenClient !== undefined) return givenClient;
    ownClient ??= new Robocoders(clientOptions);
    return ownClient;
  };

  const languageModel = (
    modelId: RobocodersModelId,
    modelSettings: RobocodersLanguageModelSettings = {},
  ): LanguageModelV3 => {
    let agent: ReturnType<typeof resolveAgent>;
    try {
      agent = resolveAgent(modelId, "the robocoders AI SDK provider");
    } catch (error) {
      if (error instanceof ModelNotSupportedError) {
        throw new NoSuchModelError({ modelId, modelType: "languageModel", message: error.message });
      }
      throw error;
    }
    return new RobocodersLanguageModel(
      agent,
      { ...defaults, ...modelSettings },
      { provider: ROBOCODERS_PROVIDER_ID, client: getClient },
    );
  };

  const noSuchModel =
    (modelType: "embeddingModel" | "imageModel") =>
    (modelId: string): never => {
      throw new NoSuchModelError({
        modelId,
        modelType,
        message: `Robocoders offers language models only (agents); there is no ${modelType} "${modelId}".`,
      });
    };

  const provider = function (modelId: RobocodersModelId, modelSettings?: RobocodersLanguageModelSettings) {
    if (new.target !== undefined) {
      throw new TypeError("The Robocoders provider is a function: call robocoders(agent) without `new`.");
    }
    return languageModel(modelId, modelSettings);
  };
  // Every member of RobocodersProvider is defined here, so the result is one.
  return Object.defineProperties(provider, {
    specificationVersion: { value: "v3", enumerable: true },
    languageModel: { value: languageModel, enumerable: true },
    embeddingModel: { value: noSuchModel("embeddingModel"), enumerable: true },
    imageModel: { value: noSuchModel("imageModel"), enumerable: true },
    client: { get: getClient, enumerable: true },
    close: {
      value: async () => {
        const client = ownClient;
        ownClient = undefined;
        await client?.close();
      },
      enumerable: true,
    },
  }) as RobocodersProvider;
}

/**
 * The default provider, with the client's defaults and environment (`ROBOCODERS_BASE_URL`,
 * `ROBOCODERS_ACCESS_TOKEN`, `ROBOCODERS_CACHE_DIR`, `ROBOCODERS_PROXY`…). Its client is created on first use.
 */
export const robocoders: RobocodersProvider = createRobocoders();
