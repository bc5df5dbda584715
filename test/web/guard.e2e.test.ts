/**
 * The page and its native API under attack: a web page of another origin, a DNS-rebinding `Host`, a
 * `text/plain` POST (a "simple" cross-site request), a missing or wrong API key. And the key as a person
 * meets it: asked once by the page, kept in the browser.
 */
import { createServer, request as httpRequest, type Server } from "node:http";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, screenshot, seriousViolations } from "./browser.js";
import { type Stack, startStack } from "./helpers.js";

const KEY = "s3cret-key-for-tests";
let stack: Stack;
let browser: Browser;
let evil: Server;
let evilUrl: string;

beforeAll(async () => {
  stack = await startStack({ emulator: { verbose: true }, server: { apiKey: KEY } });
  browser = await launchBrowser();
  evil = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<!doctype html><title>evil</title><p>hello</p>");
  });
  await new Promise<void>((resolve) => evil.listen(0, "127.0.0.1", resolve));
  const address = evil.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  // "localhost" vs "127.0.0.1": another origin, as a page on another site would be.
  evilUrl = `http://localhost:${address.port}`;
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => evil?.close(resolve));
  await stack?.close();
});

/** A raw HTTP request with exactly these headers (fetch would not send a forged Host). */
function raw(
  method: string,
  path: string,
  headers: Record<string, string>,
  body = "",
): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  const url = new URL(stack.server.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function conversationCount(): Promise<number> {
  const service = stack.server.app.workspace;
  if (service === undefined) throw new Error("no workspace");
  return (await service.store.list()).length;
}

describe("the native API refuses", () => {
  it("a request without the key, or with a wrong one", async () => {
    const host = new URL(stack.server.url).host;
    const missing = await raw("GET", "/api/conversations", { host });
    expect(missing.status).toBe(401);
    expect(JSON.parse(missing.body)).toMatchObject({ error: { code: "missing_api_key" } });
    const wrong = await raw("GET", "/api/conversations", { host, authorization: "Bearer nope" });
    expect([401, 403]).toContain(wrong.status);
    expect(JSON.parse(wrong.body)).toMatchObject({ error: { code: "invalid_api_key" } });
    const right = await raw("GET", "/api/conversations", { host, authorization: `Bearer ${KEY}` });
    expect(right.status).toBe(200);
    // The page itself loads without the key (it asks for it), with its security headers.
    const page = await raw("GET", "/", { host });
    expect(page.status).toBe(200);
    expect(page.headers["content-security-policy"]).toMatch(/default-src 'none'.*connect-src 'self'/);
    expect(page.headers["cache-control"]).toBe("no-cache");
    const script = /src="(\/assets\/app-[^"]+\.js)"/.exec(page.body)?.[1];
    expect(script).toBeDefined();
    const asset = await raw("GET", script ?? "", { host, "accept-encoding": "gzip" });
    expect(asset.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(asset.headers["content-encoding"]).toBe("gzip");
  });

  it("a text/plain POST, as a cross-site form or simple request would send it", async () => {
    const before = await conversationCount();
    const host = new URL(stack.server.url).host;
    const response = await raw(
      "POST",
      "/api/conversations",
      { host, authorization: `Bearer ${KEY}`, "content-type": "text/plain" },
      '{"agent":"RepoAgent"}',
    );
    expect(response.status).toBe(415);
    expect(await conversationCount()).toBe(before);
  });

  it("a DNS-rebinding Host", async () => {
    const before = await conversationCount();
    const port = new URL(stack.server.url).port;
    for (const path of ["/", "/api/conversations"]) {
      const response = await raw("GET", path, {
        host: `evil.example:${port}`,
        authorization: `Bearer ${KEY}`,
      });
      expect(response.status).toBe(403);
    }
    const post = await raw(
      "POST",
      "/api/conversations",
      { host: `evil.example:${port}`, authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      "{}",
    );
    expect(post.status).toBe(403);
    expect(await conversationCount()).toBe(before);
  });

  it("a page of another origin, even one that knows the key", async () => {
    const before = await conversationCount();
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(evilUrl);
    const outcomes = await page.evaluate(
      async ({ target, key }) => {
        const attempt = async (init: RequestInit & { path: string }) => {
          try {
            const response = await fetch(`${target}${init.path}`, init);
            return `status ${response.status}`;
          } catch (error) {
            return `blocked: ${String(error)}`;
          }
        };
        return [
          await attempt({
            path: "/api/conversations",
            method: "POST",
            headers: { "content-type": "text/plain" },
            body: "{}",
            mode: "no-cors",
          }),
          await attempt({
            path: "/api/conversations",
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
            body: "{}",
          }),
          await attempt({ path: "/api/conversations", headers: { authorization: `Bearer ${key}` } }),
        ];
      },
      { target: stack.server.url, key: KEY },
    );
    // An opaque no-cors answer reads as status 0; the others never reach the page.
    expect(outcomes[0]).toBe("status 0");
    expect(outcomes[1]).toMatch(/^blocked/);
    expect(outcomes[2]).toMatch(/^blocked/);
    expect(await conversationCount()).toBe(before);
    await context.close();
  });
});

describe("the API key on the page", () => {
  it("is asked once, refused when wrong, then kept in the browser", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${stack.server.url}/`);
    const dialog = page.getByRole("dialog", { name: "API key" });
    await dialog.waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "api-key-desktop");
    await page.locator("#api-key").fill("wrong-key");
    await page.locator("#api-key").press("Enter");
    await expect.poll(() => dialog.innerText()).toContain("refused");
    await page.locator("#api-key").fill(KEY);
    await page.locator("#api-key").press("Enter");
    await page.locator("html[data-ready]").waitFor();
    expect(await page.locator("dialog[open]").count()).toBe(0);
    await page.locator("#prompt").fill("Write a greeting");
    await page.locator("#prompt").press("Enter");
    await page.locator("[data-kind=turn-finished]").waitFor({ timeout: 20_000 });
    await page.reload();
    await page.locator("html[data-ready]").waitFor();
    expect(await page.locator("dialog[open]").count()).toBe(0);
    expect(await page.evaluate("localStorage.getItem('robocoders.apiKey')")).toBe(KEY);
    await context.close();
  });
});
