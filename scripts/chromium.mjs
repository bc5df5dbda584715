/**
 * Debian's Chromium driven by playwright-core, never a downloaded browser: one launch for the page tests
 * (test/web/browser.ts), the web benchmark (bench/web.mjs) and the README's screenshot (web/screenshot.mjs).
 */
import { chromium } from "playwright-core";

/** Chromium's path: `CHROMIUM_PATH`, else Debian's. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * The switches: no sandbox (CI runs as root), no GPU, no shared-memory file system (small in containers),
 * and no traffic of the browser's own (QUIC, first-run pages, updates, sync, background requests).
 */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Starts headless Chromium; playwright gives it a fresh profile (a temporary `--user-data-dir`, removed
 * when the browser closes).
 * @returns {Promise<import("playwright-core").Browser>}
 */
export function launchChromium() {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}
