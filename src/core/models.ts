/**
 * Model names: a catalogue (default model, models, aliases) and g4f's rule for resolving a requested name
 * against it. The one resolver of the package: the agents are a catalogue like any provider's
 * (`resolveAgent` in the client), and the gateway and the AI SDK provider resolve through it.
 */
import { ModelNotSupportedError } from "./errors.js";

/** The model catalogue of a provider: g4f's `ProviderModelMixin` attributes. `M` is the model names' type. */
export interface ModelCatalog<M extends string = string> {
  /** The model used when none is given. */
  readonly defaultModel: M;
  /** Every model the provider offers. */
  readonly models: readonly M[];
  /** Other names for models (alias → model). */
  readonly modelAliases: Readonly<Record<string, M>>;
}

/**
 * g4f's `ProviderModelMixin.get_model` rule: an empty name → the default model; a model name → itself; an
 * alias → its model; then the same lookups ignoring letter case.
 * @throws ModelNotSupportedError for anything else, listing the models.
 */
export function resolveModel<M extends string>(
  catalog: ModelCatalog<M>,
  name: string | undefined,
  provider = "provider",
): M {
  const requested = name?.trim() ?? "";
  if (requested === "") return catalog.defaultModel;
  const exact = catalog.models.find((candidate) => candidate === requested);
  if (exact !== undefined) return exact;
  const alias = Object.hasOwn(catalog.modelAliases, requested) ? catalog.modelAliases[requested] : undefined;
  if (alias !== undefined) return alias;
  const lower = requested.toLowerCase();
  const model = catalog.models.find((candidate) => candidate.toLowerCase() === lower);
  if (model !== undefined) return model;
  const aliasKey = Object.keys(catalog.modelAliases).find((key) => key.toLowerCase() === lower);
  const caseAlias = aliasKey === undefined ? undefined : catalog.modelAliases[aliasKey];
  if (caseAlias !== undefined) return caseAlias;
  throw new ModelNotSupportedError(requested, catalog.models, provider);
}
