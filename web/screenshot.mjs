/**
 * Takes the README's screenshot of the web workspace (docs/images/workspace.png): the built gateway and
 * the bundled emulator on loopback, driven by Debian's Chromium (playwright-core, never a downloaded
 * browser). Usage: npm run build && node web/screenshot.mjs [out.png]
 */
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startEmulator } from "../dist/emulator/index.js";
import { startServer } from "../dist/server/index.js";
import { launchChromium } from "../scripts/chromium.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = process.argv[2] ?? join(root, "docs", "images", "workspace.png");

const emulator = await startEmulator({ verbose: true });
const gateway = await startServer({
  port: 0,
  logLevel: "off",
  clientOptions: { baseURL: emulator.url, cacheDir: false },
});
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  await page.emulateMedia({ colorScheme: "light" });
  await page.goto(`${gateway.url}/`);
  await page.locator(".agent-select select").selectOption("GeneralCodingAgent");
  await page.locator("#prompt").fill("Write a command-line tool that adds two numbers");
  await page.locator("#prompt").press("Enter");
  await page.locator("[data-kind=turn-finished]").waitFor({ timeout: 20_000 });
  await page.locator("#prompt").fill("Command line tool: accept floats too");
  await page.locator("#prompt").press("Enter");
  await page.locator("[data-kind=turn-finished]").nth(1).waitFor({ timeout: 20_000 });
  await page.getByRole("button", { name: /^Changes/ }).click();
  await page.locator("[data-kind=run]").last().locator("button.toggle").click();
  await page.locator("#prompt").blur();
  await mkdir(dirname(out), { recursive: true });
  await page.screenshot({ path: out });
  console.log(`screenshot: ${out}`);
} finally {
  await browser.close();
  await gateway.close();
  await emulator.close();
}
