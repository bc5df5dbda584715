/**
 * The web workspace in a real browser (headless Chromium) against the gateway and the emulator: every
 * thing a person can do on the page.
 */
import { readFile } from "node:fs/promises";
import { unzipSync } from "fflate";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Conversation, TimelineEntry } from "../../src/server/workspace/timeline.js";
import { until } from "../support.js";
import { launchBrowser, screenshot, seriousViolations } from "./browser.js";
import {
  everyKindEvents,
  type Stack,
  seedConversation,
  startStack,
  startUnreachableGateway,
} from "./helpers.js";
import { type CuttableProxy, startProxy } from "./proxy.js";

let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let base: string;
let proxy: CuttableProxy;
const requests: string[] = [];
const problems: string[] = [];

beforeAll(async () => {
  stack = await startStack({ emulator: { verbose: true } });
  base = stack.server.url;
  proxy = await startProxy(stack.server.port);
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
  context.on("request", (request) => requests.push(request.url()));
  context.setDefaultTimeout(15_000);
  page = await context.newPage();
  watch(page);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  await stack?.close();
});

function watch(target: Page): void {
  target.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
  target.on("console", (message) => {
    // Chromium reports the agent's event handlers that the page's CSP blocked while the sanitizer parsed
    // them (in an inert document): expected, and no problem.
    if (
      message.type() === "error" &&
      !/Failed to load resource|Content Security Policy/.test(message.text())
    ) {
      problems.push(`console: ${message.text()}`);
    }
  });
}

async function api<T>(path: string): Promise<T> {
  return (await (await fetch(`${base}/api${path}`)).json()) as T;
}

/** The open conversation's id, from the URL. */
function currentId(target: Page = page): string {
  const id = /#\/c\/([^/]+)$/.exec(target.url())?.[1];
  if (id === undefined) throw new Error(`no conversation open: ${target.url()}`);
  return decodeURIComponent(id);
}

async function openNew(target: Page = page): Promise<void> {
  await target.goto(`${base}/#/`);
  await target.reload();
  await target.locator("#prompt").waitFor();
}

async function send(prompt: string, target: Page = page): Promise<void> {
  await target.locator("#prompt").fill(prompt);
  await target.locator("#prompt").press("Enter");
}

async function turnEnds(kind = "turn-finished", count = 1, target: Page = page): Promise<void> {
  await target
    .locator(`[data-kind=${kind}]`)
    .nth(count - 1)
    .waitFor({ timeout: 20_000 });
}

describe("starting a conversation", () => {
  it("picks an agent; Shift+Enter adds a line, Enter sends; the answer streams in", async () => {
    stack.emulator.setFaults("silence=150");
    await openNew();
    await page.locator(".agent-select select").selectOption("FrontEndAgent");
    await page.locator("#prompt").click();
    await page.keyboard.type("Build a landing page");
    await page.keyboard.press("Shift+Enter");
    await page.keyboard.type("with a dark mode");
    expect(await page.locator("#prompt").inputValue()).toBe("Build a landing page\nwith a dark mode");
    await page.keyboard.press("Enter");
    // The answer streams: the first message shows while the turn still runs.
    await page.locator(".layout:has(.status.working):has(button.stop) [data-kind=message]").first().waitFor();
    await turnEnds();
    stack.emulator.clearFaults();
    expect(await page.locator("#prompt").inputValue()).toBe("");
    expect(await page.locator("[data-kind=prompt] .bubble").first().innerText()).toContain(
      "Build a landing page\nwith a dark mode",
    );
    const conversation = await api<Conversation>(`/conversations/${currentId()}`);
    expect(conversation.agent).toBe("FrontEndAgent");
    expect(stack.emulator.chats.filter((c) => c.sid === conversation.sid).map((c) => c.agent)).toEqual([
      "FrontEndAgent",
      "FrontEndAgent",
    ]);
    // Rows of each kind the agent produced.
    expect(await page.locator("[data-kind=delegate]").count()).toBe(1);
    expect(await page.locator("[data-kind=run] .badge.exit.good").count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator("[data-kind=write]").count()).toBe(2);
    expect(await page.locator("[data-kind=write] .hljs").count()).toBe(0); // collapsed until opened
    const shot = page.locator("[data-kind=browse] img.screenshot");
    expect(await shot.getAttribute("src")).toMatch(/^data:image\/png;base64,/);
    expect(await page.locator("[data-kind=browse] .url").innerText()).toBe("http://localhost:3000");
    expect(await page.locator("[data-kind=finish]").innerText()).toContain("Finished");
    expect(await page.locator("[data-kind=auto-continue]").innerText()).toContain("Continued automatically");
    await screenshot(page, "conversation-desktop");
  });

  it("shows commands with exit code and collapsible output, files highlighted, reads; expand and collapse all", async () => {
    await openNew();
    await send("Write a function that adds two numbers");
    await turnEnds();
    const command = page.locator("[data-kind=run]").first();
    expect(await command.locator(".command-line").innerText()).toMatch(/^python3 .*main\.py 2 3$/);
    expect(await command.locator(".badge.exit").innerText()).toBe("exit 0");
    expect(await command.locator(".output-text").count()).toBe(0);
    await command.locator("button.toggle").click();
    expect(await command.locator(".output-text").innerText()).toBe("5");
    await command.locator("button.toggle").click();
    expect(await command.locator(".output-text").count()).toBe(0);
    expect(await page.locator("[data-kind=read]").innerText()).toContain("Read /workspace/");
    expect(await page.locator("[data-kind=run_ipython] .hljs-keyword").count()).toBeGreaterThan(0);

    await page.getByRole("button", { name: "Expand all" }).click();
    const toggles = page.locator(".timeline button.toggle");
    const count = await toggles.count();
    expect(count).toBeGreaterThan(5);
    await expect
      .poll(() => page.locator('.timeline button.toggle[aria-expanded="true"]').count())
      .toBe(count);
    expect(await page.locator("[data-kind=write] .hljs-keyword").count()).toBeGreaterThan(0);
    await page.getByRole("button", { name: "Collapse all" }).click();
    await expect.poll(() => page.locator('.timeline button.toggle[aria-expanded="true"]').count()).toBe(0);
    await page.getByRole("button", { name: "Expand all" }).click();
    await screenshot(page, "expanded-desktop");
    expect(await seriousViolations(page)).toEqual([]);
  });

  it("renders every other kind: edits with their diff, failed commands, interactive browsing, unknown actions, errors, reject", async () => {
    const id = await seedConversation(stack.server, "Every kind", everyKindEvents());
    await page.goto(`${base}/#/c/${id}`);
    await page.locator("[data-kind=reject]").waitFor();
    const edit = page.locator("[data-kind=edit]");
    expect(await edit.locator(".badge").innerText()).toBe("changed +1 −1");
    expect(await edit.locator(".diff-remove").allInnerTexts()).toEqual(["-    return a + b"]);
    expect(await edit.locator(".diff-add").allInnerTexts()).toEqual(["+    return b + a"]);
    expect(await page.locator("[data-kind=write] .diff").count()).toBe(0);
    const failed = page.locator("[data-kind=run]");
    expect(await failed.locator(".badge.exit.bad").innerText()).toBe("exit 3");
    expect(await failed.locator(".output-text").innerText()).toContain("Traceback: boom"); // open when it failed
    expect(await page.locator("[data-kind=browse_interactive]").innerText()).toContain("click('a51')");
    expect(await page.locator("[data-kind=unknown]").innerText()).toContain("teleport");
    expect(await page.locator("[data-kind=observation-error]").innerText()).toContain(
      "The teleporter is broken",
    );
    expect(await page.locator("[data-kind=control]").innerText()).toContain("The sandbox restarted");
    expect(await page.locator("[data-kind=reject]").innerText()).toContain("I give up on teleporting.");
  });
});

describe("safety", () => {
  it("never runs HTML or script from the agent", async () => {
    const attack =
      "<img src=x onerror=window.__pwned=1> <script>window.__pwned=2</script> [go](javascript:window.__pwned=3)";
    await openNew();
    await page.locator(".agent-select select").selectOption("RepoAgent");
    await send(attack);
    await turnEnds();
    const seeded = await seedConversation(stack.server, "Attack", [
      {
        id: 1,
        source: "agent",
        message: "",
        action: "message",
        args: {
          content:
            '# Hi\n\n<img src="http://evil.example/x.png" onerror="window.__pwned=4">\n\n<svg onload="window.__pwned=5"></svg>\n\n' +
            '<iframe src="javascript:window.__pwned=6"></iframe>\n\n<a href="javascript:window.__pwned=7" onclick="window.__pwned=8">click</a>\n\n' +
            '<form action="http://evil.example/"><button>send</button></form>\n\n![pic](http://evil.example/y.png)\n\n' +
            '<p style="position:fixed;inset:0" class="visually-hidden">cover</p>\n\n[ok](https://example.org/docs) and [bad](javascript:window.__pwned=9)\n\n' +
            '```python\nprint("<b>hi</b>")\n```',
          wait_for_response: false,
        },
      },
    ]);
    await page.goto(`${base}/#/c/${seeded}`);
    await page.locator(".markdown h1").waitFor();
    for (const link of await page.locator(".markdown a:not([href])").all()) await link.dispatchEvent("click");
    expect(await page.evaluate("window.__pwned")).toBeUndefined();
    expect(
      await page.locator(".markdown script, .markdown iframe, .markdown svg, .markdown form").count(),
    ).toBe(0);
    expect(
      await page
        .locator(".markdown [onerror], .markdown [onload], .markdown [onclick], .markdown [style]")
        .count(),
    ).toBe(0);
    expect(await page.locator('.markdown a[href^="javascript"]').count()).toBe(0);
    expect(await page.locator('.markdown a[href="https://example.org/docs"]').getAttribute("rel")).toContain(
      "noopener",
    );
    expect(await page.locator(".markdown img[src]").count()).toBe(0);
    expect((await page.locator(".markdown pre code").innerText()).trim()).toBe('print("<b>hi</b>")');
    expect(await page.locator(".markdown pre code span[class^=hljs]").count()).toBeGreaterThan(0);
    expect(requests.filter((url) => url.includes("evil.example"))).toEqual([]);
  });
});

describe("answering the agent", () => {
  it("shows continues as automatic; with the switch off it waits, and the answer goes to the same session", async () => {
    await openNew();
    await page.locator(".agent-select select").selectOption("RepoAgent");
    await send("Fix the config parser");
    await turnEnds();
    expect(await page.locator("[data-kind=auto-continue]").count()).toBe(1);
    const id = currentId();
    const toggle = page.getByRole("switch", { name: "Auto-continue" });
    expect(await toggle.isChecked()).toBe(true);
    await toggle.uncheck();
    await until(() => true);
    await expect.poll(async () => (await api<Conversation>(`/conversations/${id}`)).autoContinue).toBe(false);
    await send("Now fix the logging setup");
    await page.locator("[data-kind=turn-waiting]").waitFor();
    expect(await page.locator(".waiting-note").innerText()).toContain("waiting for your answer");
    expect(await page.locator(".status.ask").innerText()).toBe("Waiting for your answer");
    expect(await page.locator("[data-kind=message] .badge.ask").count()).toBe(2);
    await screenshot(page, "waiting-desktop");
    await send("Yes, branch main please");
    await turnEnds("turn-finished", 2);
    expect(await page.locator("[data-kind=auto-continue]").count()).toBe(1);
    const sid = (await api<Conversation>(`/conversations/${id}`)).sid;
    expect(stack.emulator.chats.filter((c) => c.sid === sid).map((c) => c.cleanPrompt)).toEqual([
      "Fix the config parser",
      "continue",
      "Now fix the logging setup",
      "Yes, branch main please",
    ]);
  });
});

describe("changed files", () => {
  it("lists every file written, with its latest content, its diff history and a zip of all", async () => {
    await openNew();
    await send("add two numbers");
    await turnEnds();
    await send("add two numbers, floats too");
    await turnEnds("turn-finished", 2);
    await page.getByRole("button", { name: /^Changes \(2\)$/ }).click();
    const panel = page.locator("aside.changes");
    await panel.waitFor();
    const main = panel.locator(".file-button").filter({ hasText: "/workspace/add_two_numbers/main.py" });
    expect(await main.innerText()).toContain("2 versions");
    await main.click();
    expect(await panel.locator(".file-details .code").first().innerText()).toContain("floats too");
    expect(await panel.locator(".history > li").count()).toBe(2);
    expect(await panel.locator(".history .diff-remove").first().innerText()).toContain("add two numbers");
    expect(await panel.locator(".history .diff-add").first().innerText()).toContain("floats too");
    // The second write of main.py shows its diff in the timeline too.
    expect(await page.locator("[data-kind=write] .badge", { hasText: /^changed/ }).count()).toBe(1);
    expect(await page.locator("[data-kind=write] .badge", { hasText: "unchanged" }).count()).toBe(1);
    await screenshot(page, "changes-desktop");
    expect(await seriousViolations(page)).toEqual([]);
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      panel.getByRole("button", { name: "Download zip" }).click(),
    ]);
    const files = unzipSync(new Uint8Array(await readFile(await download.path())));
    expect(Object.keys(files).sort()).toEqual(["add_two_numbers/main.py", "add_two_numbers/test_main.py"]);
    expect(new TextDecoder().decode(files["add_two_numbers/main.py"])).toContain("floats too");
    await panel.getByRole("button", { name: "Close the changes panel" }).click();
  });
});

describe("stopping", () => {
  it("aborts the running turn at once: the upstream request is cancelled", async () => {
    await openNew();
    await send("[[fault:silence=5000]] a slow task");
    await page.locator("button.stop").waitFor();
    await until(() => stack.emulator.chats.at(-1)?.cleanPrompt === "a slow task");
    await page.locator("button.stop").click();
    await page.locator("[data-kind=turn-stopped]").waitFor({ timeout: 2000 });
    await until(() => stack.emulator.chats.at(-1)?.outcome === "aborted-by-client");
    expect(await page.locator(".status-line").innerText()).toBe("Stopped");
  });
});

describe("coming back", () => {
  it("lists conversations (title, agent, activity) to open, rename, delete and resume; a reload loses nothing", async () => {
    await openNew();
    await send("Make a tip calculator");
    await turnEnds();
    const id = currentId();
    const link = page.locator(`.conversation-link[href="#/c/${id}"]`);
    expect(await link.locator(".title").innerText()).toBe("Make a tip calculator");
    expect(await link.locator(".meta").innerText()).toMatch(/finished · GeneralCodingAgent · just now/);
    const rows = await page.locator(".row-item").count();
    await page.reload();
    await page.locator("[data-kind=turn-finished]").waitFor();
    expect(await page.locator(".row-item").count()).toBe(rows);

    await page.getByRole("button", { name: "Rename" }).click();
    await page.locator("#rename-input").fill("Tips");
    await page.locator("#rename-input").press("Enter");
    await expect.poll(() => link.locator(".title").innerText()).toBe("Tips");
    expect((await api<Conversation>(`/conversations/${id}`)).title).toBe("Tips");

    // Open another conversation, then come back to this one and resume it.
    await page.locator(".conversation-link").filter({ hasNotText: "Tips" }).first().click();
    await expect.poll(() => currentId()).not.toBe(id);
    await link.click();
    await page.locator("[data-kind=turn-finished]").waitFor();
    await send("Also round to cents");
    await turnEnds("turn-finished", 2);
    expect((await api<Conversation>(`/conversations/${id}`)).turns).toBe(2);

    await page.locator(".toolbar").getByRole("button", { name: "Delete" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
    await expect.poll(() => page.locator(`.conversation-link[href="#/c/${id}"]`).count()).toBe(0);
    expect((await fetch(`${base}/api/conversations/${id}`)).status).toBe(404);
    expect(page.url()).toMatch(/#\/$/);
  });
});

describe("taking it away", () => {
  it("copies the conversation as Markdown, exports JSON Lines and gets the session's code", async () => {
    await openNew();
    await send("Write a haiku generator");
    await turnEnds();
    const id = currentId();
    await page.getByRole("button", { name: "Copy as Markdown" }).click();
    await page.locator(".notice.info").waitFor();
    const markdown = String(await page.evaluate("navigator.clipboard.readText()"));
    expect(markdown).toMatch(/^# Write a haiku generator\n\n### You\n\nWrite a haiku generator\n/);
    expect(markdown).toContain("*Continued automatically:* continue");
    expect(markdown).toMatch(/\*\*Ran\*\* `python3 .*main\.py 2 3` \(exit code 0\)\n\n```+\n5\n```/);
    expect(markdown).toContain("**Finished.**");

    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Export JSONL" }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^robocoders-[0-9a-f]{8}\.jsonl$/);
    const lines = (await readFile(await download.path(), "utf8")).trimEnd().split("\n");
    const stored = await api<{ entries: TimelineEntry[] }>(`/conversations/${id}/entries`);
    expect(lines.map((line) => JSON.parse(line))).toEqual(stored.entries);

    await page.getByRole("button", { name: "Get code" }).click();
    await page.locator("#github-user").fill("octocat");
    await page.locator("#github-user").press("Enter");
    const result = page.locator(".code-result a");
    await result.waitFor();
    expect(await result.getAttribute("href")).toMatch(/^https:\/\/github\.com\//);
    await page.keyboard.press("Escape");
    expect(await page.locator("dialog[open]").count()).toBe(0);
  });
});

describe("errors", () => {
  it("shows a rate limit with its wait where it happened, and the turn can be retried", async () => {
    await openNew();
    await send("[[fault:status=429, retry-after=7, count=1, tag=page]] hello there");
    const failed = page.locator("[data-kind=turn-failed]");
    await failed.waitFor();
    expect(await failed.innerText()).toContain("try again in 7 s");
    expect(await page.locator(".status-line").innerText()).toBe("Failed");
    await screenshot(page, "error-desktop");
    await failed.getByRole("button", { name: "Retry" }).click();
    await turnEnds();
    expect(await page.locator("[data-kind=turn-failed] button").count()).toBe(0);
  });

  it("says when the answer was cut, keeping what arrived", async () => {
    await openNew();
    await send("[[fault:cut-mid-line=3]] cut this");
    const failed = page.locator("[data-kind=turn-failed]");
    await failed.waitFor();
    expect(await failed.innerText()).toContain("cut off");
    expect(await page.locator("[data-kind=message]").count()).toBe(1);
  });

  it("says when the Robocoders API is unreachable", async () => {
    const server = await startUnreachableGateway(stack);
    const viewer = await context.newPage();
    watch(viewer);
    try {
      await viewer.goto(`${server.url}/`);
      await viewer.locator("html[data-ready]").waitFor();
      await send("hello", viewer);
      const failed = viewer.locator("[data-kind=turn-failed]");
      await failed.waitFor();
      expect(await failed.innerText()).toContain("The Robocoders API is unreachable");
      expect(await failed.getByRole("button", { name: "Retry" }).count()).toBe(1);
    } finally {
      await viewer.close();
      await server.close();
    }
  });

  it("resumes after the page's connection drops, losing and repeating nothing", async () => {
    const viewer = await context.newPage();
    watch(viewer);
    await viewer.goto(`${proxy.url}/#/`);
    await viewer.locator("#prompt").waitFor();
    await send("[[fault:silence=60]] a long task to watch", viewer);
    await viewer.locator("[data-kind=delegate]").waitFor();
    expect(proxy.cut()).toBeGreaterThan(0);
    await turnEnds("turn-finished", 1, viewer);
    const live = await viewer.locator(".row-item").count();
    const id = currentId(viewer);
    await viewer.reload();
    await viewer.locator("[data-kind=turn-finished]").waitFor();
    expect(await viewer.locator(".row-item").count()).toBe(live);
    const stored = await api<{ entries: TimelineEntry[] }>(`/conversations/${id}/entries`);
    expect(stored.entries.at(-1)).toMatchObject({ type: "turn-end", outcome: "finished" });
    await viewer.close();
  });
});

describe("using it as people do", () => {
  it("works with the keyboard alone", async () => {
    await openNew();
    // The prompt has the focus when the page opens.
    expect(await page.evaluate("document.activeElement?.id")).toBe("prompt");
    await page.keyboard.type("Write a unit converter");
    await page.keyboard.press("Enter");
    await turnEnds();
    const focusOn = async (name: string) => {
      for (let i = 0; i < 60; i += 1) {
        if ((await page.evaluate("document.activeElement?.textContent?.trim()")) === name) return;
        await page.keyboard.press("Tab");
      }
      throw new Error(`never reached ${name} with Tab`);
    };
    await focusOn("Expand all");
    await page.keyboard.press("Enter");
    const toggles = await page.locator(".timeline button.toggle").count();
    await expect
      .poll(() => page.locator('.timeline button.toggle[aria-expanded="true"]').count())
      .toBe(toggles);
    await focusOn("Rename");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.evaluate("document.activeElement?.id")).toBe("rename-input");
    await page.keyboard.press("Escape");
    expect(await page.locator("dialog[open]").count()).toBe(0);
    await focusOn("+ New conversation");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.url()).toMatch(/#\/$/);
  });

  it("follows the system's light or dark theme", async () => {
    await page.emulateMedia({ colorScheme: "dark" });
    await openNew();
    expect(await page.evaluate("getComputedStyle(document.body).backgroundColor")).toBe("rgb(15, 20, 25)");
    await screenshot(page, "welcome-dark");
    await page.emulateMedia({ colorScheme: "light" });
    expect(await page.evaluate("getComputedStyle(document.body).backgroundColor")).toBe("rgb(255, 255, 255)");
  });

  it("is usable 375 px wide", async () => {
    const phone = await browser.newContext({
      viewport: { width: 375, height: 740 },
      isMobile: true,
      hasTouch: true,
    });
    phone.on("request", (request) => requests.push(request.url()));
    const small = await phone.newPage();
    watch(small);
    await openNew(small);
    await send("Build a todo list", small);
    await turnEnds("turn-finished", 1, small);
    const overflow = async () => Number(await small.evaluate("document.documentElement.scrollWidth"));
    expect(await overflow()).toBeLessThanOrEqual(375);
    await screenshot(small, "conversation-phone");
    expect(await seriousViolations(small)).toEqual([]);
    await small.getByRole("button", { name: "Conversations" }).click();
    await small.locator(".sidebar.open .conversation-link").first().waitFor();
    await screenshot(small, "conversations-phone");
    await small.getByRole("button", { name: "Conversations" }).click();
    await small.getByRole("button", { name: /^Changes/ }).click();
    await small.locator("aside.changes").waitFor();
    await screenshot(small, "changes-phone");
    await small.getByRole("button", { name: "Close the changes panel" }).click();
    expect(await overflow()).toBeLessThanOrEqual(375);
    await phone.close();
  });

  it("keeps a 5,000-event timeline responsive by rendering its latest rows first", async () => {
    const events = Array.from({ length: 5000 }, (_, i) => ({
      id: i + 1,
      source: "agent",
      message: `Running command: echo ${i}`,
      action: "run",
      args: { command: `echo ${i}`, thought: "" },
    }));
    const id = await seedConversation(stack.server, "Long task", events);
    await page.goto(`${base}/#/c/${id}`);
    await page.locator("[data-kind=turn-finished]").waitFor({ timeout: 20_000 });
    expect(await page.locator(".row-item").count()).toBe(150);
    expect(await page.locator(".show-earlier").innerText()).toContain("4852 more");
    await page.locator(".show-earlier").click();
    expect(await page.locator(".row-item").count()).toBe(300);
    expect(await page.locator(".command-line").last().textContent()).toBe("echo 4999");
  });

  it("passes the accessibility check on the start page and in dialogs", async () => {
    await openNew();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "welcome-desktop");
    await send("Write a calendar");
    await turnEnds();
    await page.getByRole("button", { name: "Get code" }).click();
    await page.locator("#github-user").waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.keyboard.press("Escape");
  });

  it("sends no request to any host but the gateway, and nothing broke in the page", () => {
    const foreign = requests.filter(
      (url) => !url.startsWith("http://127.0.0.1:") && !/^(data|blob):/.test(url),
    );
    expect(foreign).toEqual([]);
    expect(requests.length).toBeGreaterThan(20);
    expect(problems).toEqual([]);
  });
});
