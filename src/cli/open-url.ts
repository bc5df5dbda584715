/**
 * Opening a URL in the user's browser with the platform's opener: `$BROWSER` when set (as the URL's
 * handler, e.g. `BROWSER=firefox`), else `open` on macOS, `rundll32 url.dll,FileProtocolHandler` on Windows and `xdg-open`
 * elsewhere. It reports failure instead of throwing, so the caller can print the URL instead.
 */
import { spawn } from "node:child_process";

/** How to open a URL on this platform: the program and its arguments before the URL. */
export function openerCommand(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): { command: string; args: string[] } {
  const browser = env.BROWSER;
  if (browser !== undefined && browser.trim() !== "") {
    // $BROWSER may list several programs separated by ":"; the first is used.
    const first = browser.split(":")[0]?.trim() ?? "";
    if (first !== "") return { command: first, args: [] };
  }
  if (platform === "darwin") return { command: "open", args: [] };
  if (platform === "win32") return { command: "rundll32", args: ["url.dll,FileProtocolHandler"] };
  return { command: "xdg-open", args: [] };
}

/** The outcome of {@link openUrl}. */
export type OpenResult = { ok: true } | { ok: false; reason: string };

/**
 * Opens `url` (only `http:` and `https:` URLs) with {@link openerCommand}, waiting up to `timeoutMs`
 * (default 10 s) for the opener to exit. `ok: false` when the URL is not http(s), the opener is missing,
 * fails or exits with a non-zero code.
 */
export function openUrl(
  url: string,
  options: { platform?: NodeJS.Platform; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<OpenResult> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return Promise.resolve({ ok: false, reason: "not a URL" });
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return Promise.resolve({ ok: false, reason: `refusing to open a ${parsed.protocol} URL` });
  }
  const env = options.env ?? process.env;
  const { command, args } = openerCommand(options.platform, env);
  return new Promise((resolve) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(command, [...args, parsed.href], { stdio: "ignore", env, windowsHide: true });
    } catch (error) {
      resolve({ ok: false, reason: error instanceof Error ? error.message : String(error) });
      return;
    }
    const timer = setTimeout(() => {
      // A browser started in the foreground: it opened the page and keeps running.
      child.unref();
      resolve({ ok: true });
    }, options.timeoutMs ?? 10_000);
    timer.unref();
    child.once("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: error.code === "ENOENT" ? `${command} was not found` : error.message });
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ ok: true });
      else resolve({ ok: false, reason: `${command} exited with ${signal ?? `code ${code}`}` });
    });
  });
}
