/**
 * The reference Python client (gpt4free's RobocodersAPI), re-implemented step by step in TypeScript,
 * must get a full, sensible conversation out of the emulator for each agent.
 */
import { Parser } from "htmlparser2";
import { fetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENTS, type Emulator, startEmulator } from "../../src/emulator/index.js";
import { TEXT_AFTER_ASK } from "../../src/emulator/scripts.js";

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  await emulator.close();
});

const BROWSER_HEADERS = {
  accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
  "user-agent":
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
};

/** Like Python's HTMLParser subclass: collects the text of the element `pre` with `id="token"`. */
function scrapeToken(html: string): string | undefined {
  let inside = false;
  let text = "";
  let found = false;
  const parser = new Parser({
    onopentag(name, attribs) {
      if (name === "pre" && attribs.id === "token") {
        inside = true;
        found = true;
      }
    },
    ontext(data) {
      if (inside) text += data;
    },
    onclosetag(name) {
      if (name === "pre") inside = false;
    },
  });
  parser.write(html);
  parser.end();
  return found ? text.trim() : undefined;
}

/** Yields lines as aiohttp's `response.content` iteration does (split after each `\n`). */
async function* responseLines(body: ReadableStream<Uint8Array> | null): AsyncGenerator<string> {
  if (body === null) return;
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline = buffer.indexOf("\n");
    while (newline !== -1) {
      yield buffer.slice(0, newline + 1);
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf("\n");
    }
  }
  buffer += decoder.decode();
  if (buffer !== "") yield buffer;
}

function textOf(data: Record<string, unknown>): string | undefined {
  const args = data.args;
  const content =
    typeof args === "object" && args !== null ? (args as Record<string, unknown>).content : undefined;
  if (typeof content === "string" && content !== "") return content;
  return typeof data.message === "string" && data.message !== "" ? data.message : undefined;
}

/** The reference provider's createAsyncGenerator: token → session → chat, one automatic `continue`. */
async function* referenceClient(baseUrl: string, agent: string, prompt: string): AsyncGenerator<string> {
  const authPage = await fetch(`${baseUrl}/auth`, { headers: BROWSER_HEADERS });
  if (authPage.status !== 200) throw new Error(`auth failed: ${authPage.status}`);
  const token = scrapeToken(await authPage.text());
  if (token === undefined) throw new Error("no token on the auth page");
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const session = await fetch(`${baseUrl}/create-session`, { headers });
  const { sid } = (await session.json()) as { sid: string };

  const post = (text: string) =>
    fetch(`${baseUrl}/chat`, { method: "POST", headers, body: JSON.stringify({ sid, prompt: text, agent }) });
  const response = await post(prompt);
  if (response.status !== 200) throw new Error(`unexpected status ${response.status}`);
  let continued = false;
  for await (const line of responseLines(response.body)) {
    if (line.trim() === "") continue;
    let data: unknown;
    try {
      data = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof data !== "object" || data === null || Array.isArray(data)) continue;
    const event = data as Record<string, unknown>;
    const text = textOf(event);
    if (text !== undefined) yield text;
    const args = event.args as Record<string, unknown> | undefined;
    if (!continued && event.action === "message" && args?.wait_for_response) {
      continued = true;
      const next = await post("continue");
      for await (const nextLine of responseLines(next.body)) {
        if (nextLine.trim() === "") continue;
        try {
          const nextData = JSON.parse(nextLine) as Record<string, unknown>;
          const nextText = textOf(nextData);
          if (nextText !== undefined) yield nextText;
        } catch {
          // skipped, as the reference does
        }
      }
    }
  }
}

describe.each(AGENTS)("the reference client with %s", (agent) => {
  it("gets a question, then the work, then the closing line", async () => {
    const prompt = "Create a to-do list app with due dates (überfällig ⏰)";
    const out: string[] = [];
    for await (const text of referenceClient(emulator.url, agent, prompt)) out.push(text);
    expect(out.length).toBeGreaterThan(6);
    expect(out[0]).toContain(prompt);
    expect(out[0]).toMatch(/\?/);
    expect(out.some((t) => t.includes("Running command: ") || t.includes("# "))).toBe(true);
    expect(out.some((t) => t.startsWith("Done ✅") || t.startsWith("Fixed ✅"))).toBe(true);
    expect(out.at(-1)).toBe("All done! What's next on the agenda?");
    // What the client delivered is exactly what the emulator recorded as sent.
    const sent = emulator.chats
      .filter((c) => c.agent === agent)
      .slice(-2)
      .flatMap((c) => c.texts);
    expect(out).toEqual(sent);
  });
});

describe("the reference client's order when a text follows the question", () => {
  it("yields the question, then the whole continued turn, then the rest of the first stream", async () => {
    const out: string[] = [];
    for await (const text of referenceClient(
      emulator.url,
      "GeneralCodingAgent",
      "Write a parser [[fault:text-after-ask]]",
    ))
      out.push(text);
    const [asked, continued] = emulator.chats.slice(-2);
    expect(asked?.texts).toHaveLength(2);
    // It continues as soon as it reads the question, so the text after it comes last.
    expect(out).toEqual([asked?.texts[0], ...(continued?.texts ?? []), asked?.texts[1]]);
    expect(out.at(-1)).toBe(TEXT_AFTER_ASK);
  });
});
