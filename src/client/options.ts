/**
 * Resolution of the client options against the environment. Explicit options always win.
 */
import { createHash } from "node:crypto";
import envPaths from "env-paths";
import { InvalidArgumentError } from "../core/errors.js";
import { type LogLevel, parseLogLevel } from "../core/logger.js";
import { DEFAULT_MAX_LINE_BYTES } from "../core/ndjson.js";
import { DEFAULT_BASE_URL, type RobocodersOptions } from "./types.js";

/** Default total timeout of a call: 600 000 ms (10 minutes), as the reference client. */
export const DEFAULT_TIMEOUT_MS = 600_000;
/** Default idle timeout (longest silence between bytes): 600 000 ms. */
export const DEFAULT_IDLE_TIMEOUT_MS = 600_000;
/** Default number of retries after 429, 5xx and connection failures. */
export const DEFAULT_MAX_RETRIES = 2;
/** Default number of automatic `continue` prompts. */
export const DEFAULT_MAX_CONTINUES = 1;
/** Default base delay of the retry backoff: 500 ms. */
export const DEFAULT_RETRY_DELAY_MS = 500;
/** Name of the cache file of the default base URL inside the cache folder (the reference client's file). */
export const CACHE_FILE_NAME = "robocoders.json";

/**
 * The name of the cache file of a (normalized) base URL: {@link CACHE_FILE_NAME} for the default URL, so the
 * reference client and this one share it; `robocoders-<host>[-<path>]-<hash>.json` for any other, where the
 * hash (8 hex digits of the URL's SHA-256) keeps URLs that differ only in scheme or punctuation apart.
 */
export function cacheFileName(baseURL: string): string {
  if (baseURL === DEFAULT_BASE_URL) return CACHE_FILE_NAME;
  const url = new URL(baseURL);
  const readable = `${url.host}${url.pathname}`
    .replace(/[^A-Za-z0-9.]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 80);
  const hash = createHash("sha256").update(baseURL).digest("hex").slice(0, 8);
  return `robocoders-${readable}-${hash}.json`;
}

/** The environment variables the client reads. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Where the proxy setting comes from. */
export type ProxySetting =
  | { kind: "none" }
  | { kind: "url"; url: string }
  /** `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` through undici's `EnvHttpProxyAgent`. */
  | { kind: "env" };

/** Options after applying defaults and the environment. */
export interface ResolvedOptions {
  baseURL: string;
  accessToken: { token: string; source: "option" | "env" } | undefined;
  cacheDir: string | undefined;
  proxy: ProxySetting;
  timeout: number;
  idleTimeout: number;
  maxRetries: number;
  maxContinues: number;
  maxLineBytes: number;
  retryDelay: number;
  logLevel: LogLevel;
}

const nonEmpty = (value: string | undefined): string | undefined => {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === "" ? undefined : trimmed;
};

/** A URL as given, for an error message: quoted, with the password of a `user:password@` part masked. */
function quotedURL(value: string): string {
  return JSON.stringify(value.replace(/^([^/?#@]*\/\/)?([^/?#@:]*):[^/?#@]*@/, "$1$2:***@"));
}

/**
 * Parses an http(s) URL option; anything else is an {@link InvalidArgumentError} naming the value (a
 * password masked) and saying what is expected.
 */
function httpURL(what: string, value: string, example: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // Reported below.
  }
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new InvalidArgumentError(
      `${what} ${quotedURL(value)} is not a valid http(s) URL: it must start with http:// or https://, e.g. ${example}`,
    );
  }
  return url;
}

/** Checks a URL option and returns it without trailing slashes. */
export function normalizeBaseURL(value: string): string {
  return httpURL("The base URL", value, "https://api.robocoders.ai").toString().replace(/\/+$/, "");
}

function checkProxyURL(value: string): string {
  httpURL("The proxy URL", value, "http://proxy.example:3128");
  return value;
}

function nonNegative(name: string, value: number | undefined, fallback: number, integer = false): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    throw new InvalidArgumentError(`${name} must be a non-negative ${integer ? "integer" : "number"}`);
  }
  return value;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0)
    throw new InvalidArgumentError(`${name} must be a positive number`);
  return value;
}

/** The base URL from the option, else `ROBOCODERS_BASE_URL`, else `https://api.robocoders.ai`. */
export function resolveBaseURL(option?: string, env: Env = process.env): string {
  return normalizeBaseURL(nonEmpty(option) ?? nonEmpty(env.ROBOCODERS_BASE_URL) ?? DEFAULT_BASE_URL);
}

/** The default cache folder: `ROBOCODERS_CACHE_DIR`, else the user's cache folder for `robocoders`. */
export function defaultCacheDir(env: Env = process.env): string {
  return nonEmpty(env.ROBOCODERS_CACHE_DIR) ?? envPaths("robocoders", { suffix: "" }).cache;
}

/** Applies defaults and the environment to the client options. */
export function resolveOptions(options: RobocodersOptions = {}, env: Env = process.env): ResolvedOptions {
  const optionToken = nonEmpty(options.accessToken);
  const envToken = nonEmpty(env.ROBOCODERS_ACCESS_TOKEN);
  const accessToken =
    optionToken !== undefined
      ? { token: optionToken, source: "option" as const }
      : envToken !== undefined
        ? { token: envToken, source: "env" as const }
        : undefined;

  let cacheDir: string | undefined;
  if (options.cacheDir === false) cacheDir = undefined;
  else cacheDir = nonEmpty(options.cacheDir) ?? defaultCacheDir(env);

  let proxy: ProxySetting;
  if (options.proxy === false) proxy = { kind: "none" };
  else {
    const explicit = nonEmpty(options.proxy) ?? nonEmpty(env.ROBOCODERS_PROXY);
    if (explicit !== undefined) proxy = { kind: "url", url: checkProxyURL(explicit) };
    else if (
      nonEmpty(env.HTTPS_PROXY) ??
      nonEmpty(env.https_proxy) ??
      nonEmpty(env.HTTP_PROXY) ??
      nonEmpty(env.http_proxy)
    ) {
      proxy = { kind: "env" };
    } else proxy = { kind: "none" };
  }

  let logLevel: LogLevel = "off";
  if (options.logLevel !== undefined) {
    const parsed = parseLogLevel(options.logLevel);
    if (parsed === undefined)
      throw new InvalidArgumentError(`logLevel must be off, error, warn, info or debug`);
    logLevel = parsed;
  } else {
    logLevel = parseLogLevel(env.ROBOCODERS_LOG) ?? "off";
  }

  return {
    baseURL: resolveBaseURL(options.baseURL, env),
    accessToken,
    cacheDir,
    proxy,
    timeout: positive("timeout", options.timeout, DEFAULT_TIMEOUT_MS),
    idleTimeout: positive("idleTimeout", options.idleTimeout, DEFAULT_IDLE_TIMEOUT_MS),
    maxRetries: nonNegative("maxRetries", options.maxRetries, DEFAULT_MAX_RETRIES, true),
    maxContinues: nonNegative("maxContinues", options.maxContinues, DEFAULT_MAX_CONTINUES, true),
    maxLineBytes: positive("maxLineBytes", options.maxLineBytes, DEFAULT_MAX_LINE_BYTES),
    retryDelay: nonNegative("retryDelay", options.retryDelay, DEFAULT_RETRY_DELAY_MS),
    logLevel,
  };
}
