/**
 * A small g4f-style provider framework: provider metadata as static members, an
 * {@link AsyncGeneratorProvider} base whose `createAsync` collects `createAsyncGenerator`, and the
 * `ProviderModelMixin` model resolution (default model, aliases, validation).
 */
import { MissingRequirementsError } from "../core/errors.js";
import type { Messages } from "../core/messages.js";
import { type ModelCatalog, resolveModel } from "../core/models.js";

/** Per-call options every provider understands. */
export interface ProviderCallOptions {
  /** Cancels the call. */
  signal?: AbortSignal;
  /** Proxy URL for the call's requests; `false` disables proxies. Default: the provider's own setting. */
  proxy?: string | false;
  /** Total time limit of the call in ms. Default: the provider's own setting. */
  timeout?: number;
}

/** Metadata every provider declares (static members). */
// biome-ignore lint/complexity/noStaticOnlyClass: providers are classes with static members, as in g4f, so subclasses inherit and override them.
export abstract class BaseProvider {
  /** Human-readable name. Default: `""`. */
  static label = "";
  /** The service's home or documentation page. Default: `""`. */
  static url = "";
  /** Whether the provider is known to work. Default: false. */
  static working = false;
  /** Whether it can stream text. Default: false. */
  static supportsStream = false;
  /** Whether it takes a whole conversation (not only the last message). Default: false. */
  static supportsMessageHistory = false;
  /** Whether it needs credentials from the caller. Default: false. */
  static needsAuth = false;
}

/** The static side of an {@link AsyncGeneratorProvider} subclass. */
export interface AsyncGeneratorProviderClass<O extends ProviderCallOptions = ProviderCallOptions> {
  /** Streams the answer as text chunks. */
  createAsyncGenerator(model: string, messages: Messages, options?: O): AsyncGenerator<string>;
}

/**
 * A provider whose answer is an async generator of text chunks. Subclasses override the static
 * `createAsyncGenerator`; `createAsync` then returns the concatenated text.
 */
export abstract class AsyncGeneratorProvider extends BaseProvider {
  static override supportsStream = true;

  /**
   * Streams the answer to `messages` from `model` as text chunks. The base implementation throws.
   * @throws MissingRequirementsError when the subclass does not implement it.
   */
  static createAsyncGenerator(
    this: { name: string },
    _model: string,
    _messages: Messages,
    _options?: ProviderCallOptions,
  ): AsyncGenerator<string> {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass the method is called on.
    throw new MissingRequirementsError(`${this.name} does not implement createAsyncGenerator`);
  }

  /** The whole answer: every chunk of `createAsyncGenerator`, concatenated. */
  static async createAsync<O extends ProviderCallOptions>(
    this: AsyncGeneratorProviderClass<O>,
    model: string,
    messages: Messages,
    options?: O,
  ): Promise<string> {
    let text = "";
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass the method is called on.
    for await (const chunk of this.createAsyncGenerator(model, messages, options)) text += chunk;
    return text;
  }
}

/** What g4f's `ProviderModelMixin` adds to a provider: a catalogue and {@link resolveModel}. */
export interface ProviderModelMixin extends ModelCatalog {
  /** Resolves a requested model name; see {@link resolveModel}. */
  getModel(name: string | undefined): string;
}

/**
 * An {@link AsyncGeneratorProvider} with `ProviderModelMixin` model resolution: subclasses set the static
 * `defaultModel`, `models` and `modelAliases`; `getModel` validates names before any request.
 */
export abstract class AsyncGeneratorModelProvider extends AsyncGeneratorProvider {
  /** The model used when none is given. Default: `""`. */
  static defaultModel = "";
  /** Every model offered. Default: none. */
  static models: readonly string[] = [];
  /** Alias → model. Default: none. */
  static modelAliases: Readonly<Record<string, string>> = {};

  /**
   * Resolves a requested model: empty → `defaultModel`, alias → its model.
   * @throws ModelNotSupportedError listing `models` for an unknown name.
   */
  static getModel(this: ModelCatalog & { name: string }, name: string | undefined): string {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass the method is called on.
    return resolveModel(this, name, this.name);
  }
}
