import {
  InvalidArgumentError,
  type JSONValue,
  type LanguageModelV3CallOptions,
  type SharedV3Warning,
} from "@ai-sdk/provider";
import type { AgentName } from "../client/types.js";
import type { RobocodersTextMode } from "./map-robocoders-event.js";

/** An agent name (`GeneralCodingAgent`, `RepoAgent`, `FrontEndAgent`) or one of the client's aliases. */
export type RobocodersModelId = AgentName | (string & {});

/**
 * Settings of a Robocoders language model, given as `robocoders(agent, settings)`. Each can be overridden per
 * call with `providerOptions.robocoders`.
 */
export interface RobocodersLanguageModelSettings {
  /**
   * The Robocoders session to talk in. When set, only the latest user message is sent (the agent holds the
   * history and the workspace). Default: none — see `newSession`.
   */
  sid?: string;
  /**
   * Without a `sid`: `true` creates a fresh session for every call (the whole conversation is sent as one
   * prompt); `false` uses the client's cached session, as the library's `RobocodersAPI` does. Default: true.
   */
  newSession?: boolean;
  /** Which events make up the text; see {@link RobocodersTextMode}. Default: `"messages"`. */
  textMode?: RobocodersTextMode;
  /**
   * Inserted between two consecutive pieces of text (e.g. two agent messages). Default: `"\n\n"` in
   * `"messages"` mode, `""` in `"reference"` mode (the library's text exactly).
   */
  textSeparator?: string;
  /** Automatic `continue` prompts after a turn that waits for the user. Default: the client's (1). */
  maxContinues?: number;
  /**
   * Retries of the client itself after 429, 5xx and connection failures. Default: 0 — the AI SDK retries
   * (its `maxRetries`, default 2) on every error with `isRetryable`, honouring `Retry-After`.
   */
  maxRetries?: number;
  /** Total time limit of one call, in ms. Default: the client's (10 minutes). */
  timeout?: number;
  /** Longest silence between two bytes of the response, in ms. Default: the client's (10 minutes). */
  idleTimeout?: number;
}

/** The keys accepted in `providerOptions.robocoders`: the same as the model settings. */
export type RobocodersProviderOptions = RobocodersLanguageModelSettings;

function invalid(key: string, expected: string, value: unknown): InvalidArgumentError {
  return new InvalidArgumentError({
    argument: `providerOptions.robocoders.${key}`,
    message: `providerOptions.robocoders.${key} must be ${expected}, got ${JSON.stringify(value) ?? String(value)}`,
  });
}

function nonNegativeInteger(key: string, value: JSONValue): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw invalid(key, "a non-negative integer", value);
  }
  return value;
}

function positiveNumber(key: string, value: JSONValue): number {
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
    throw invalid(key, "a positive number of milliseconds", value);
  }
  return value;
}

/**
 * Validates `providerOptions.robocoders`. Absent keys (and `undefined`/`null` values) are left out.
 * @throws InvalidArgumentError (from `@ai-sdk/provider`) for an unknown key or a value of the wrong type.
 */
export function parseRobocodersProviderOptions(
  options: Record<string, JSONValue | undefined> | undefined,
): RobocodersProviderOptions {
  const out: RobocodersProviderOptions = {};
  if (options === undefined) return out;
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined || value === null) continue;
    switch (key) {
      case "sid":
        if (typeof value !== "string" || value.trim() === "") throw invalid(key, "a non-empty string", value);
        out.sid = value;
        break;
      case "newSession":
        if (typeof value !== "boolean") throw invalid(key, "a boolean", value);
        out.newSession = value;
        break;
      case "textMode":
        if (value !== "messages" && value !== "reference")
          throw invalid(key, '"messages" or "reference"', value);
        out.textMode = value;
        break;
      case "textSeparator":
        if (typeof value !== "string") throw invalid(key, "a string", value);
        out.textSeparator = value;
        break;
      case "maxContinues":
        out.maxContinues = nonNegativeInteger(key, value);
        break;
      case "maxRetries":
        out.maxRetries = nonNegativeInteger(key, value);
        break;
      case "timeout":
        out.timeout = positiveNumber(key, value);
        break;
      case "idleTimeout":
        out.idleTimeout = positiveNumber(key, value);
        break;
      default:
        throw new InvalidArgumentError({
          argument: `providerOptions.robocoders.${key}`,
          message: `Unknown option providerOptions.robocoders.${key}. Known options: sid, newSession, textMode, textSeparator, maxContinues, maxRetries, timeout, idleTimeout`,
        });
    }
  }
  return out;
}

const SAMPLING_SETTINGS = [
  "maxOutputTokens",
  "temperature",
  "topP",
  "topK",
  "presencePenalty",
  "frequencyPenalty",
  "seed",
  "stopSequences",
] as const;

/**
 * Warnings for the call settings Robocoders cannot honour: sampling settings, stop sequences, tools and
 * tool choice, a JSON response format and extra HTTP headers (other than the AI SDK's own `user-agent`). The
 * call goes on without them.
 */
export function getUnsupportedSettingWarnings(options: LanguageModelV3CallOptions): SharedV3Warning[] {
  const warnings: SharedV3Warning[] = [];
  for (const setting of SAMPLING_SETTINGS) {
    if (options[setting] !== undefined) {
      warnings.push({
        type: "unsupported",
        feature: setting,
        details: `Robocoders agents do not take a ${setting} setting; it was ignored.`,
      });
    }
  }
  if (options.tools !== undefined && options.tools.length > 0) {
    warnings.push({
      type: "unsupported",
      feature: "tools",
      details: "Robocoders agents use their own tools; the given tools were not sent.",
    });
  }
  if (options.toolChoice !== undefined && options.toolChoice.type !== "auto") {
    warnings.push({ type: "unsupported", feature: "toolChoice", details: "Tool choice was ignored." });
  }
  if (options.responseFormat?.type === "json") {
    warnings.push({
      type: "unsupported",
      feature: "responseFormat",
      details: "JSON response format is not supported; the agent answers in free text.",
    });
  }
  const headers = Object.entries(options.headers ?? {}).filter(
    // The AI SDK itself adds a `user-agent` header to every call.
    ([name, value]) => value !== undefined && name.toLowerCase() !== "user-agent",
  );
  if (headers.length > 0) {
    warnings.push({
      type: "unsupported",
      feature: "headers",
      details: "Extra HTTP headers are not sent to Robocoders.",
    });
  }
  return warnings;
}
