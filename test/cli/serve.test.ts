/**
 * `robocoders serve` as a child process (the built CLI): a SIGTERM drain that load balancers can see, and
 * the key given in a file.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cliFixture, startCli } from "./helpers.js";

const fx = cliFixture();

async function startServe(args: string[], env: Record<string, string>) {
  const cli = startCli(["serve", "--port", "0", ...args], { env, keepStdinOpen: true });
  const stdout = await cli.waitForStdout(/^http:\/\/\S+\n/m);
  return { cli, url: stdout.trim().split("\n")[0] ?? "" };
}

const chat = (url: string, content: string, extra: Record<string, unknown> = {}, headers = {}) =>
  fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ model: "general", messages: [{ role: "user", content }], ...extra }),
  });

describe("serve: SIGTERM", () => {
  it("keeps listening for --grace: /health 503 draining, new completions 503, running ones finish; exit 0", async () => {
    const { cacheDir } = fx.fresh();
    const { cli, url } = await startServe(["--grace", "3"], {
      ROBOCODERS_BASE_URL: fx.emulator.url,
      ROBOCODERS_CACHE_DIR: cacheDir,
    });
    // A stream whose agent is silent for 1.5 s after the upstream answered.
    const running = await chat(url, "Write add.py [[fault:slow-body=1500]]", { stream: true });
    expect(running.status).toBe(200);
    const text = running.text();
    const signalled = Date.now();
    cli.child.kill("SIGTERM");
    let health: Response | undefined;
    for (let i = 0; i < 50; i++) {
      health = await fetch(`${url}/health`);
      if (health.status === 503) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(health?.status).toBe(503);
    expect(await health?.json()).toEqual({ status: "draining" });
    const refused = await chat(url, "hello");
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("shutting_down");
    // The running stream ends normally, after the signal.
    const body = await text;
    expect(body).toContain('"finish_reason":"stop"');
    expect(body).toContain("data: [DONE]");
    expect(body).not.toContain('"error"');
    // /health still answers after the stream ended: the listener stays open for the whole grace.
    expect((await fetch(`${url}/health`)).status).toBe(503);
    const result = await cli.done;
    expect(result.code).toBe(0);
    expect(Date.now() - signalled).toBeGreaterThanOrEqual(2500);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });

  it("cuts a completion still running when the grace ends, with an error event, and exits 0", async () => {
    const { cacheDir } = fx.fresh();
    const { cli, url } = await startServe(["--grace", "1"], {
      ROBOCODERS_BASE_URL: fx.emulator.url,
      ROBOCODERS_CACHE_DIR: cacheDir,
    });
    const running = await chat(url, "Write add.py [[fault:slow-body=5000]]", { stream: true });
    expect(running.status).toBe(200);
    cli.child.kill("SIGTERM");
    const body = await running.text();
    expect(body).toContain('"code":"shutting_down"');
    expect((await cli.done).code).toBe(0);
  });
});

describe("serve: --api-key-file", () => {
  it("reads the key from a file and never prints it", async () => {
    const { cacheDir } = fx.fresh();
    const file = join(cacheDir, "gateway.key");
    writeFileSync(file, "sk-file-key-98765\n", { mode: 0o600 });
    const { cli, url } = await startServe(["--grace", "0", "--api-key-file", file], {
      ROBOCODERS_BASE_URL: fx.emulator.url,
      ROBOCODERS_CACHE_DIR: cacheDir,
    });
    expect((await fetch(`${url}/v1/models`)).status).toBe(401);
    const ok = await fetch(`${url}/v1/models`, { headers: { authorization: "Bearer sk-file-key-98765" } });
    expect(ok.status).toBe(200);
    cli.child.kill("SIGTERM");
    const result = await cli.done;
    expect(result.code).toBe(0);
    expect(result.stdout + result.stderr).not.toContain("sk-file-key-98765");
  });
});
