/**
 * Minimal leveled logging with secret redaction. The client logs each request at `debug`; nothing it
 * logs contains the access token, the `Authorization` header or the cache contents.
 */

/** Log levels, from silent to most verbose. */
export type LogLevel = "off" | "error" | "warn" | "info" | "debug";

/** Where log records go. Any object with these methods (e.g. `console`, pino) works. */
export interface Logger {
  error(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
}

const LEVELS: Record<LogLevel, number> = { off: 0, error: 1, warn: 2, info: 3, debug: 4 };

/** Parses a level name (case-insensitive); `undefined` for anything else. */
export function parseLogLevel(value: string | undefined): LogLevel | undefined {
  const level = value?.trim().toLowerCase();
  return level !== undefined && level in LEVELS ? (level as LogLevel) : undefined;
}

/** A JWT anywhere in a string: three base64url parts, the first starting like a JSON header. */
const JWT_PATTERN = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
const BEARER_PATTERN = /(Bearer\s+)[^\s"',;]+/gi;

/** Replaces JWTs, Bearer credentials and the given secrets in a string by `[REDACTED]`. */
export function redact(text: string, secrets: Iterable<string> = []): string {
  let out = text.replace(JWT_PATTERN, "[REDACTED]").replace(BEARER_PATTERN, "$1[REDACTED]");
  for (const secret of secrets) {
    if (secret.length >= 8) out = out.split(secret).join("[REDACTED]");
  }
  return out;
}

const SECRET_KEYS = /^(authorization|access_?token|token|api_?key|cookie|set-cookie|proxy-authorization)$/i;

/** Deeply redacts an object for logging: secret-looking keys are masked, strings are passed through {@link redact}. */
export function redactFields(value: unknown, secrets: Iterable<string> = [], depth = 0): unknown {
  if (typeof value === "string") return redact(value, secrets);
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((item) => redactFields(item, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_KEYS.test(key) ? "[REDACTED]" : redactFields(item, secrets, depth + 1);
  }
  return out;
}

/** A logger that prints `robocoders <level> <message> <json fields>` lines to stderr. */
export function createStderrLogger(stream: NodeJS.WritableStream = process.stderr): Logger {
  const write = (level: string, message: string, fields?: Record<string, unknown>) => {
    const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : "";
    stream.write(`robocoders ${level} ${message}${extra}\n`);
  };
  return {
    error: (m, f) => write("error", m, f),
    warn: (m, f) => write("warn", m, f),
    info: (m, f) => write("info", m, f),
    debug: (m, f) => write("debug", m, f),
  };
}

/**
 * Wraps a logger so that records below `level` are dropped and every message and field is redacted
 * (JWTs, Bearer values, secret-named keys and the extra `secrets` given by `getSecrets`).
 */
export function leveledLogger(
  logger: Logger,
  level: LogLevel,
  getSecrets: () => Iterable<string> = () => [],
): Logger & { enabled(level: LogLevel): boolean } {
  const threshold = LEVELS[level];
  const emit = (lvl: Exclude<LogLevel, "off">, message: string, fields?: Record<string, unknown>) => {
    if (LEVELS[lvl] > threshold) return;
    const secrets = [...getSecrets()];
    const safeFields =
      fields === undefined ? undefined : (redactFields(fields, secrets) as Record<string, unknown>);
    logger[lvl](redact(message, secrets), safeFields);
  };
  return {
    enabled: (lvl) => lvl !== "off" && LEVELS[lvl] <= threshold,
    error: (m, f) => emit("error", m, f),
    warn: (m, f) => emit("warn", m, f),
    info: (m, f) => emit("info", m, f),
    debug: (m, f) => emit("debug", m, f),
  };
}
