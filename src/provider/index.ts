export {
  contentToString,
  formatPrompt,
  type Message,
  type Messages,
  type TextPart,
} from "../core/messages.js";
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
export { RobocodersAPI, type RobocodersAPIOptions } from "./robocoders-api.js";
