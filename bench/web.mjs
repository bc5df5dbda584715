/**
 * The web workspace: JavaScript shipped (gzip), time from navigation to a usable page, and time to
 * render a 5,000-event timeline, in Debian's Chromium (playwright-core) against the built gateway.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { median, round } from "./lib/stats.mjs";

const ASSETS = fileURLToPath(new URL("../dist/web/assets/", import.meta.url));

/** @param {string} extension */
function shipped(extension) {
  let raw = 0;
  let gzip = 0;
  for (const name of readdirSync(ASSETS)) {
    if (!name.endsWith(extension)) continue;
    const body = readFileSync(`${ASSETS}${name}`);
    raw += body.length;
    gzip += gzipSync(body, { level: 9 }).length;
  }
  return { raw, gzip };
}

/** Runs the web benchmark; resolves to `{rows, details}`. */
export async function benchWeb({ runs = 5 } = {}) {
  const { launchChromium } = await import("../scripts/chromium.mjs");
  const { startEmulator } = await import("../dist/emulator/index.js");
  const { startServer } = await import("../dist/server/index.js");
  const { toEvent } = await import("../dist/index.js");
  const js = shipped(".js");
  const css = shipped(".css");
  const emulator = await startEmulator({ port: 0 });
  const gateway = await startServer({
    port: 0,
    logLevel: "off",
    clientOptions: { baseURL: emulator.url, cacheDir: false },
  });
  const browser = await launchChromium();
  try {
    // A finished conversation of 5,000 events, put straight into the store.
    const service = gateway.app.workspace;
    if (!service) throw new Error("the gateway has no workspace");
    const long = await service.create({ title: "Long task" });
    const time = new Date().toISOString();
    await service.store.append(long.id, {
      type: "prompt",
      time,
      turn: 1,
      prompt: "go",
      auto: false,
      agent: long.agent,
    });
    for (let i = 0; i < 5000; i++) {
      const raw =
        i % 2 === 0
          ? {
              id: i,
              source: "agent",
              message: `Running command: echo ${i}`,
              action: "run",
              args: { command: `echo ${i}`, thought: "" },
            }
          : {
              id: i,
              source: "agent",
              message: "",
              observation: "run",
              content: `${i - 1}\n`,
              extras: { exit_code: 0 },
              cause: i - 1,
            };
      await service.store.append(long.id, { type: "event", time, turn: 1, event: toEvent(raw) });
    }
    await service.store.append(long.id, { type: "turn-end", time, turn: 1, outcome: "finished" });
    await service.store.update(long.id, { status: "finished", turns: 1 });

    const usable = [];
    const rendered = [];
    const expand = [];
    for (let i = -1; i < runs; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      await page.goto(`${gateway.url}/`);
      await page.locator("html[data-ready]").waitFor();
      const ready = await page.evaluate("performance.now()");
      await page.goto(`${gateway.url}/#/c/${long.id}`);
      await page.reload();
      await page.locator("[data-kind=turn-finished]").waitFor({ timeout: 60_000 });
      const shown = await page.evaluate("performance.now()");
      const t0 = await page.evaluate("performance.now()");
      await page.getByRole("button", { name: "Expand all" }).click();
      await page.locator('.timeline button.toggle[aria-expanded="true"]').last().waitFor();
      const t1 = await page.evaluate("performance.now()");
      await context.close();
      if (i < 0) continue; // one unmeasured round warms the caches
      usable.push(ready);
      rendered.push(shown);
      expand.push(t1 - t0);
    }
    const rows = [
      {
        figure: "web: JavaScript shipped (gzip)",
        value: `${round(js.gzip / 1024, 1)} KiB (${round(js.raw / 1024, 1)} KiB raw)`,
        target: "< 150 KiB",
        met: js.gzip < 150 * 1024,
      },
      {
        figure: "web: CSS shipped (gzip)",
        value: `${round(css.gzip / 1024, 1)} KiB`,
        target: "< 20 KiB",
        met: css.gzip < 20 * 1024,
      },
      {
        figure: "web: navigation to usable page (median)",
        value: `${round(median(usable), 0)} ms`,
        target: "< 1000 ms",
        met: median(usable) < 1000,
      },
      {
        figure: "web: 5,000-event timeline rendered (median, from navigation)",
        value: `${round(median(rendered), 0)} ms`,
        target: "< 2000 ms",
        met: median(rendered) < 2000,
      },
      {
        figure: "web: expand all on it (median)",
        value: `${round(median(expand), 0)} ms`,
        target: "< 500 ms",
        met: median(expand) < 500,
      },
    ];
    return { rows, details: { js, css, usableMs: usable, renderedMs: rendered, expandMs: expand } };
  } finally {
    await browser.close();
    await gateway.close();
    await emulator.close();
  }
}
