/**
 * Credentials and sessions: `login`, `logout`, `status`, `session new`, `session show`, `get-code`.
 * The token itself is never printed.
 */
import type { CredentialStatus } from "../../client/types.js";
import { InvalidArgumentError } from "../../core/errors.js";
import type { CliIO, GlobalOptions } from "../context.js";
import { createClient, paletteFor, readAll } from "../context.js";
import { UsageError } from "../exit-codes.js";
import { withInterrupt } from "../interrupt.js";

/** A duration until `date`, in words: `in 364 days`, `in 5 hours`, `2 days ago`. */
export function relativeTime(date: Date, now: Date = new Date()): string {
  const diff = date.getTime() - now.getTime();
  const abs = Math.abs(diff);
  const units: Array<[string, number]> = [
    ["day", 86_400_000],
    ["hour", 3_600_000],
    ["minute", 60_000],
  ];
  let text = "less than a minute";
  for (const [name, ms] of units) {
    if (abs >= ms) {
      const n = Math.floor(abs / ms);
      text = `${n} ${name}${n === 1 ? "" : "s"}`;
      break;
    }
  }
  return diff >= 0 ? `in ${text}` : `${text} ago`;
}

const TOKEN_SOURCES: Record<CredentialStatus["tokenSource"], string> = {
  option: "given as an option",
  env: "from ROBOCODERS_ACCESS_TOKEN",
  login: "stored with `robocoders login --token`",
  cache: "cached",
  none: "none",
};

/** The lines of `robocoders status` (pure). */
export function statusLines(
  status: CredentialStatus,
  baseURL: string,
  now: Date = new Date(),
): Array<[label: string, value: string]> {
  let token: string;
  if (status.tokenSource === "none") token = "none (a new one is fetched from /auth when needed)";
  else if (status.tokenExpiresAt === undefined) token = `${TOKEN_SOURCES[status.tokenSource]}, no expiry`;
  else {
    const when = `${status.tokenExpiresAt.toISOString()} (${relativeTime(status.tokenExpiresAt, now)})`;
    token = `${TOKEN_SOURCES[status.tokenSource]}, ${status.tokenExpired ? "expired" : "expires"} ${when}`;
  }
  return [
    ["Service", baseURL],
    ["Cache", status.cacheFile ?? "disabled"],
    ["Token", token],
    ["Session", status.sid ?? "none (created on the first chat)"],
  ];
}

/** The JSON form of a status (no token). */
export function statusJson(status: CredentialStatus, baseURL: string): Record<string, unknown> {
  return {
    baseURL,
    cacheFile: status.cacheFile ?? null,
    tokenSource: status.tokenSource,
    tokenExpiresAt: status.tokenExpiresAt?.toISOString() ?? null,
    tokenExpired: status.tokenExpired,
    sid: status.sid ?? null,
  };
}

/** Runs `robocoders status`. */
export async function runStatus(opts: { json?: boolean }, globals: GlobalOptions, io: CliIO): Promise<void> {
  const client = await createClient(globals, io);
  try {
    const status = await client.status();
    if (opts.json === true) {
      io.stdout.write(`${JSON.stringify(statusJson(status, client.baseURL))}\n`);
      return;
    }
    const c = paletteFor(io.stdout, io.env, globals.color);
    for (const [label, value] of statusLines(status, client.baseURL)) {
      io.stdout.write(`${c.dim(`${label}:`.padEnd(9))} ${value}\n`);
    }
  } finally {
    await client.close();
  }
}

/** Runs `robocoders login [--token <jwt>]` (`--token -` reads the token from stdin). */
export async function runLogin(opts: { token?: string }, globals: GlobalOptions, io: CliIO): Promise<void> {
  let token = opts.token;
  if (token === "-") token = (await readAll(io.stdin)).trim();
  if (token !== undefined && token.trim() === "") throw new UsageError("The token is empty");
  const secret = token?.trim();
  const client = await createClient(globals, io, {}, { secrets: () => (secret ? [secret] : []) });
  try {
    await withInterrupt(async (signal) => {
      if (secret === undefined) await client.getAccessToken({ refresh: true, signal });
      else {
        try {
          await client.setAccessToken(secret);
        } catch (error) {
          if (!(error instanceof InvalidArgumentError)) throw error;
          throw new UsageError(
            error.message,
            "Pass an unexpired JWT to --token, or run `robocoders login` alone to fetch a new one.",
          );
        }
      }
    });
    const status = await client.status();
    const c = paletteFor(io.stderr, io.env, globals.color);
    const expiry =
      status.tokenExpiresAt === undefined
        ? ""
        : ` The token expires ${status.tokenExpiresAt.toISOString()} (${relativeTime(status.tokenExpiresAt)}).`;
    const where = status.cacheFile === undefined ? "" : ` Saved to ${status.cacheFile}.`;
    io.stderr.write(`${c.green("✔")} Logged in.${expiry}${where}\n`);
  } finally {
    await client.close();
  }
}

/** Runs `robocoders logout`. */
export async function runLogout(globals: GlobalOptions, io: CliIO): Promise<void> {
  const client = await createClient(globals, io);
  try {
    await client.clearCache();
    const where = client.cacheFile === undefined ? "" : ` from ${client.cacheFile}`;
    io.stderr.write(`Logged out: removed the cached token and session${where}.\n`);
  } finally {
    await client.close();
  }
}

/** Runs `robocoders session new`: prints the new session id on stdout. */
export async function runSessionNew(globals: GlobalOptions, io: CliIO): Promise<void> {
  const client = await createClient(globals, io);
  try {
    const sid = await withInterrupt((signal) => client.createSession({ signal }));
    io.stdout.write(`${sid}\n`);
  } finally {
    await client.close();
  }
}

/** Runs `robocoders session show`: prints the cached session id on stdout (a note on stderr when none). */
export async function runSessionShow(
  opts: { json?: boolean },
  globals: GlobalOptions,
  io: CliIO,
): Promise<void> {
  const client = await createClient(globals, io);
  try {
    const { sid } = await client.status();
    if (opts.json === true) io.stdout.write(`${JSON.stringify({ sid: sid ?? null })}\n`);
    else if (sid !== undefined) io.stdout.write(`${sid}\n`);
    else io.stderr.write("No session yet: the first chat creates one, or run `robocoders session new`.\n");
  } finally {
    await client.close();
  }
}

/** GitHub's rule for user names: 1–39 letters, digits or single hyphens, not at either end. */
const GITHUB_USERNAME = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;

/** Whether a string is a valid GitHub user name. */
export function isGitHubUsername(name: string): boolean {
  return GITHUB_USERNAME.test(name);
}

/** Runs `robocoders get-code <github-username> [--session <sid>]`: prints the repository URL on stdout. */
export async function runGetCode(
  username: string,
  opts: { session?: string; json?: boolean; open?: boolean },
  globals: GlobalOptions,
  io: CliIO,
): Promise<void> {
  if (!isGitHubUsername(username)) {
    throw new UsageError(`"${username}" is not a valid GitHub user name`);
  }
  const client = await createClient(globals, io);
  try {
    if (opts.session === undefined && (await client.status()).sid === undefined) {
      throw new UsageError(
        "There is no current session",
        "Chat first (`robocoders chat …`), or name one with --session <sid>.",
      );
    }
    const result = await withInterrupt((signal) =>
      client.getSessionCode(
        username,
        opts.session === undefined ? { signal } : { signal, sid: opts.session },
      ),
    );
    if (opts.json === true) io.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      io.stdout.write(`${result.repoUrl}\n`);
      if (result.message !== "") {
        const c = paletteFor(io.stderr, io.env, globals.color);
        io.stderr.write(`${c.dim(result.message)}\n`);
      }
    }
    if (opts.open === true) {
      const { openUrl } = await import("../open-url.js");
      const opened = await openUrl(result.repoUrl, { env: io.env });
      if (!opened.ok) {
        io.stderr.write(`Could not open a browser (${opened.reason}); open ${result.repoUrl}\n`);
      }
    }
  } finally {
    await client.close();
  }
}
