export {
  contentToString,
  formatPrompt,
  type Message,
  type Messages,
  type TextPart,
} from "../core/messages.js";
export { type ModelCatalog, resolveModel } from "../core/models.js";
export {
  AsyncGeneratorModelProvider,
  AsyncGeneratorProvider,
  type AsyncGeneratorProviderClass,
  BaseProvider,
  type ProviderCallOptions,
  type ProviderModelMixin,
} from "./base.js";
export { RobocodersAPI, type RobocodersAPIOptions } from "./robocoders-api.js";
