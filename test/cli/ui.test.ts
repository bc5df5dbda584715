/** `robocoders ui`: the gateway with the page on loopback, the bundled emulator, the browser opened. */
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, startCli, tempDir, until } from "./helpers.js";

let dir: ReturnType<typeof tempDir>;

beforeAll(() => {
  ensureBuilt();
  dir = tempDir("robocoders-ui-");
});
afterAll(() => dir.remove());

async function startUi(args: string[], env: Record<string, string> = {}) {
  const cli = startCli(["ui", "--port", "0", ...args], { env, keepStdinOpen: true });
  const stdout = await cli.waitForStdout(/^http:\/\/\S+\n/m);
  return { cli, url: stdout.trim().split("\n")[0] ?? "" };
}

describe("robocoders ui", () => {
  it("--emulator serves the page and runs a turn offline; --no-open opens nothing; stops on SIGTERM", async () => {
    const opened = join(dir.path, "opened-1.txt");
    const browser = join(dir.path, "browser-1.sh");
    writeFileSync(browser, `#!/bin/sh\necho "$1" > "${opened}"\n`);
    chmodSync(browser, 0o755);
    const { cli, url } = await startUi(["--emulator", "--latency", "0", "--no-open"], { BROWSER: browser });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="app">');
    const created = await fetch(`${url}api/conversations`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    const { id } = (await created.json()) as { id: string };
    const turn = await fetch(`${url}api/conversations/${id}/turns`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt: "add two numbers" }),
    });
    const text = await turn.text();
    expect(text).toContain('"observation":"run"');
    expect(text).toMatch(/event: idle\ndata: \{"status":"finished"/);
    cli.child.kill("SIGTERM");
    expect((await cli.done).code).toBe(0);
    expect(() => readFileSync(opened)).toThrow();
  });

  it("opens the browser on the page ($BROWSER)", async () => {
    const opened = join(dir.path, "opened-2.txt");
    const browser = join(dir.path, "browser-2.sh");
    writeFileSync(browser, `#!/bin/sh\necho "$1" > "${opened}"\n`);
    chmodSync(browser, 0o755);
    const { cli, url } = await startUi(["--emulator"], { BROWSER: browser });
    await until(() => {
      try {
        return readFileSync(opened, "utf8").trim() === url;
      } catch {
        return false;
      }
    });
    cli.child.kill("SIGINT");
    expect((await cli.done).code).toBe(0);
  });
});
