/**
 * `robocoders config path|list|get|set|unset`: the configuration file (see `../config.ts`). Values are
 * shown as they apply to this command line: flag > environment > file > default.
 */
import {
  CONFIG_KEYS,
  type ConfigKey,
  configPath,
  isConfigKey,
  type ResolvedSetting,
  readConfigFile,
  resolveSetting,
  SETTINGS,
  SettingsWriteError,
  writeConfigValue,
} from "../config.js";
import type { CliIO, GlobalOptions } from "../context.js";
import { FileWriteError, UsageError } from "../exit-codes.js";

function key(name: string): ConfigKey {
  if (!isConfigKey(name))
    throw new UsageError(`Unknown setting "${name}"; the settings are ${CONFIG_KEYS.join(", ")}`);
  return name;
}

/** The flags of the global options that set a configuration value. */
function flagValue(name: ConfigKey, globals: GlobalOptions): string | undefined {
  if (name === "base-url") return globals.baseUrl;
  if (name === "color" && globals.color === false) return "never";
  return undefined;
}

function resolved(name: ConfigKey, globals: GlobalOptions, io: CliIO): ResolvedSetting {
  const file = readConfigFile(io.env);
  if (file.warning !== undefined) io.stderr.write(`robocoders: warning: ${file.warning}\n`);
  return resolveSetting(name, flagValue(name, globals), io.env, file);
}

/** Runs `config path`: prints the config file's path. */
export function runConfigPath(io: CliIO): void {
  io.stdout.write(`${configPath(io.env)}\n`);
}

/** Runs `config get <key>`: prints the value in effect. */
export function runConfigGet(name: string, globals: GlobalOptions, io: CliIO): void {
  io.stdout.write(`${resolved(key(name), globals, io).value}\n`);
}

/** Runs `config list [--json]`: every setting, its value in effect and where it comes from. */
export function runConfigList(opts: { json?: boolean }, globals: GlobalOptions, io: CliIO): void {
  const file = readConfigFile(io.env);
  if (file.warning !== undefined) io.stderr.write(`robocoders: warning: ${file.warning}\n`);
  const rows = CONFIG_KEYS.map((name) => ({
    key: name,
    ...resolveSetting(name, flagValue(name, globals), io.env, file),
    env: SETTINGS[name].env,
    description: SETTINGS[name].description,
  }));
  if (opts.json === true) {
    io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  const width = Math.max(...rows.map((r) => `${r.key}=${r.value}`.length));
  for (const row of rows) {
    io.stdout.write(`${`${row.key}=${row.value}`.padEnd(width)}  (${row.source})\n`);
  }
}

/** Runs `config set <key> <value>`: checks and stores the value in the config file. */
export async function runConfigSet(name: string, value: string, io: CliIO): Promise<void> {
  const setting = key(name);
  let stored: string | undefined;
  try {
    stored = await writeConfigValue(setting, value, io.env);
  } catch (error) {
    throw writeFailure(error);
  }
  io.stderr.write(`${setting}=${stored ?? ""} saved in ${configPath(io.env)}\n`);
}

/** The error for a failed `config set` or `config unset`: a usage error unless the file could not be written. */
function writeFailure(error: unknown): Error {
  if (error instanceof SettingsWriteError) {
    return new FileWriteError(
      error.message,
      "Make its folder writable, or choose another one with ROBOCODERS_CONFIG_DIR.",
    );
  }
  return new UsageError(error instanceof Error ? error.message : String(error));
}

/** Runs `config unset <key>`: removes the value from the config file. */
export async function runConfigUnset(name: string, io: CliIO): Promise<void> {
  const setting = key(name);
  try {
    await writeConfigValue(setting, undefined, io.env);
  } catch (error) {
    throw writeFailure(error);
  }
  io.stderr.write(`${setting} removed from ${configPath(io.env)}\n`);
}
