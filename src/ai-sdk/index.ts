/**
 * `robocoders/ai-sdk`: the Robocoders agents as AI SDK language models.
 *
 * ```ts
 * import { streamText } from "ai";
 * import { robocoders } from "robocoders/ai-sdk";
 *
 * const result = streamText({ model: robocoders("GeneralCodingAgent"), prompt: "Write add.py" });
 * for await (const text of result.textStream) process.stdout.write(text);
 * ```
 */
export { convertToRobocodersPrompt, type RobocodersPrompt } from "./convert-to-robocoders-prompt.js";
export {
  mapRobocodersEvent,
  type RobocodersActivity,
  type RobocodersTextMode,
  toActivity,
} from "./map-robocoders-event.js";
export { mapRobocodersFinishReason } from "./map-robocoders-finish-reason.js";
export { mapRobocodersError } from "./robocoders-error.js";
export {
  RobocodersLanguageModel,
  type RobocodersProviderMetadata,
} from "./robocoders-language-model.js";
export type {
  RobocodersLanguageModelSettings,
  RobocodersModelId,
  RobocodersProviderOptions,
} from "./robocoders-language-model-options.js";
export {
  createRobocoders,
  ROBOCODERS_PROVIDER_ID,
  type RobocodersProvider,
  type RobocodersProviderSettings,
  robocoders,
} from "./robocoders-provider.js";
