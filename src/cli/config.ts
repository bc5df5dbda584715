/**
 * The CLI's configuration file, `config.json` in the platform's config folder (`ROBOCODERS_CONFIG_DIR`,
 * else e.g. `~/.config/robocoders` on Linux, `~/Library/Preferences/robocoders` on macOS,
 * `%APPDATA%\robocoders\Config` on Windows). Each setting is taken from, in this order: the command-line
 * flag, the environment, the file, the default. A corrupt file is ignored with a warning, never fatal.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import envPaths from "env-paths";
import { resolveAgent } from "../client/agents.js";
import { DEFAULT_AGENT } from "../client/types.js";
import { ensureDir } from "../internal/fs.js";
import { isRecord } from "../internal/values.js";

/** The config file's name in the config folder. */
export const CONFIG_FILE_NAME = "config.json";

/** The settings of the config file. */
export type ConfigKey = "agent" | "base-url" | "auto-continue" | "color";

/** Where a setting's value came from. */
export type ConfigSource = "flag" | "env" | "file" | "default";

/** One setting: its default, its environment variable and how a text value is checked. */
interface SettingSpec {
  description: string;
  default: string;
  env: string;
  /** The value to store for a text, or an error message. */
  parse(value: string): { value: string } | { error: string };
}

const DEFAULT_BASE_URL = "https://api.robocoders.ai";

/** Every setting: its description, default and environment variable. */
export const SETTINGS: Readonly<Record<ConfigKey, SettingSpec>> = {
  agent: {
    description: "agent used by chat when -a is not given",
    default: DEFAULT_AGENT,
    env: "ROBOCODERS_AGENT",
    parse: (value) => {
      if (value.trim() === "") return { error: "The agent name is empty" };
      try {
        return { value: resolveAgent(value) };
      } catch {
        return { error: `Unknown agent "${value}" (see \`robocoders models\`)` };
      }
    },
  },
  "base-url": {
    description: "API base URL",
    default: DEFAULT_BASE_URL,
    env: "ROBOCODERS_BASE_URL",
    parse: (value) => {
      try {
        const url = new URL(value);
        if (url.protocol === "http:" || url.protocol === "https:") return { value };
      } catch {
        // Reported below.
      }
      return { error: `"${value}" is not an http(s) URL` };
    },
  },
  "auto-continue": {
    description: "automatic `continue` prompts after the agent asks something (0: never)",
    default: "1",
    env: "ROBOCODERS_AUTO_CONTINUE",
    parse: (value) =>
      /^\d{1,3}$/.test(value.trim())
        ? { value: String(Number(value)) }
        : { error: `"${value}" is not a whole number between 0 and 999` },
  },
  color: {
    description: "colours: auto (on a terminal), always or never",
    default: "auto",
    env: "ROBOCODERS_COLOR",
    parse: (value) =>
      ["auto", "always", "never"].includes(value)
        ? { value }
        : { error: `"${value}" is not one of auto, always, never` },
  },
};

/** The setting names, in the order `config list` shows them. */
export const CONFIG_KEYS = Object.keys(SETTINGS) as ConfigKey[];

/** True for a known setting name. */
export function isConfigKey(key: string): key is ConfigKey {
  return Object.hasOwn(SETTINGS, key);
}

/** The config folder: `ROBOCODERS_CONFIG_DIR`, else the platform's config folder for `robocoders`. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.ROBOCODERS_CONFIG_DIR;
  return dir !== undefined && dir !== "" ? dir : envPaths("robocoders", { suffix: "" }).config;
}

/** The config file's path. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), CONFIG_FILE_NAME);
}

/** The config file read: its valid settings, and a warning when it could not be used. */
export interface ConfigFile {
  values: Partial<Record<ConfigKey, string>>;
  /** Why (part of) the file was ignored, if it was. */
  warning?: string;
}

/** Reads the config file. A missing file is empty; a corrupt one is empty with a warning. */
export function readConfigFile(env: NodeJS.ProcessEnv = process.env): ConfigFile {
  const file = configPath(env);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return code === "ENOENT"
      ? { values: {} }
      : { values: {}, warning: `cannot read ${file} (${String(code)})` };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { values: {}, warning: `${file} is not valid JSON; it is ignored` };
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    return { values: {}, warning: `${file} does not hold a JSON object; it is ignored` };
  }
  const values: Partial<Record<ConfigKey, string>> = {};
  const bad: string[] = [];
  for (const [key, raw] of Object.entries(data)) {
    if (!isConfigKey(key)) continue;
    const parsed = SETTINGS[key].parse(String(raw));
    if ("value" in parsed) values[key] = parsed.value;
    else bad.push(key);
  }
  return bad.length === 0 ? { values } : { values, warning: `${file}: invalid ${bad.join(", ")} ignored` };
}

/** The raw JSON object of the config file (unknown keys kept), `{}` when missing or corrupt. */
function readRaw(env: NodeJS.ProcessEnv): Record<string, unknown> {
  try {
    const data: unknown = JSON.parse(readFileSync(configPath(env), "utf8"));
    return isRecord(data) ? data : {};
  } catch {
    return {};
  }
}

/** The settings file could not be written (its folder cannot be created, or is not writable). */
export class SettingsWriteError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SettingsWriteError";
  }
}

/**
 * Sets (or, with `undefined`, removes) a setting in the config file, after checking the value. Returns
 * the stored value. Throws an `Error` with a clear message for an invalid value, a
 * {@link SettingsWriteError} when the file cannot be written.
 */
export async function writeConfigValue(
  key: ConfigKey,
  value: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  const data = readRaw(env);
  let stored: string | undefined;
  if (value === undefined) delete data[key];
  else {
    const parsed = SETTINGS[key].parse(value);
    if ("error" in parsed) throw new Error(parsed.error);
    stored = parsed.value;
    data[key] = key === "auto-continue" ? Number(stored) : stored;
  }
  try {
    // Not mkdirSync({ recursive }): it loops forever on a folder under /proc (see ensureDir).
    await ensureDir(configDir(env));
    const { default: writeFileAtomic } = await import("write-file-atomic");
    await writeFileAtomic(configPath(env), `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SettingsWriteError(
      `Could not write the settings file ${configPath(env)}${code === undefined ? "" : ` (${code})`}`,
      { cause: error },
    );
  }
  return stored;
}

/** A setting's value and where it came from. */
export interface ResolvedSetting {
  value: string;
  source: ConfigSource;
}

/**
 * A setting's value by precedence: `flag` (when given) > the environment variable (non-empty) > the file >
 * the default. For `color`, `NO_COLOR` (non-empty) means `never` and `FORCE_COLOR` (non-empty, not `0`)
 * `always`, ahead of `ROBOCODERS_COLOR`. An invalid environment value is skipped.
 */
export function resolveSetting(
  key: ConfigKey,
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  file: ConfigFile,
): ResolvedSetting {
  const spec = SETTINGS[key];
  if (flag !== undefined) return { value: flag, source: "flag" };
  const fromEnv = envValue(key, env);
  if (fromEnv !== undefined) return { value: fromEnv, source: "env" };
  const fromFile = file.values[key];
  if (fromFile !== undefined) return { value: fromFile, source: "file" };
  return { value: spec.default, source: "default" };
}

function envValue(key: ConfigKey, env: NodeJS.ProcessEnv): string | undefined {
  if (key === "color") {
    if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return "never";
    if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "" && env.FORCE_COLOR !== "0") return "always";
  }
  const raw = env[SETTINGS[key].env];
  if (raw === undefined || raw === "") return undefined;
  const parsed = SETTINGS[key].parse(raw);
  return "value" in parsed ? parsed.value : undefined;
}
