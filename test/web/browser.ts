/**
 * The real browser of the page tests: Debian's Chromium driven by playwright-core (never downloaded),
 * screenshots kept in `.test-results/screenshots`, and the axe-core accessibility check.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import axe from "axe-core";
import type { Page } from "playwright-core";

/** Where screenshots go (git-ignored; kept as CI artifacts). */
export const SCREENSHOT_DIR = join(process.cwd(), ".test-results", "screenshots");

/** Starts headless Chromium with a fresh profile (see scripts/chromium.mjs). */
export { launchChromium as launchBrowser } from "../../scripts/chromium.mjs";

/** Saves a full-page screenshot as `<name>.png` in {@link SCREENSHOT_DIR}. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

/** An axe-core violation, shortened. */
export interface Violation {
  id: string;
  impact: string | null | undefined;
  help: string;
  targets: string[];
}

/** Runs axe-core in the page (evaluated through the DevTools protocol, so the page's CSP stays on). */
export async function axeViolations(page: Page): Promise<Violation[]> {
  await page.evaluate(axe.source);
  return page.evaluate(async () => {
    const scope = globalThis as unknown as { axe: typeof axe; document: axe.ElementContext };
    const result = await scope.axe.run(scope.document, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(" ")),
    }));
  });
}

/** The serious and critical violations only (what must never ship). */
export async function seriousViolations(page: Page): Promise<Violation[]> {
  return (await axeViolations(page)).filter((v) => v.impact === "serious" || v.impact === "critical");
}
