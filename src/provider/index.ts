export {
  AsyncGeneratorModelProvider,
  AsyncGeneratorProvider,
  type AsyncGeneratorProviderClass,
  BaseProvider,
  type ModelCatalog,
  type ProviderCallOptions,
  type ProviderModelMixin,
  resolveModel,
} from "./base.js";
export { formatPrompt } from "./format-prompt.js";
export { contentToString, type Message, type Messages, type TextPart } from "./messages.js";
export { RobocodersAPI, type RobocodersAPIOptions } from "./robocoders-api.js";
