import { fetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  await emulator.close();
});

describe("emulator smoke", () => {
  it("runs a two-turn conversation", async () => {
    const page = await (await fetch(`${emulator.url}/auth`)).text();
    const token = /<pre id="token">\s*(\S+)\s*<\/pre>/.exec(page)?.[1];
    expect(token).toBeTruthy();
    const auth = { authorization: `Bearer ${token}` };
    const { sid } = (await (await fetch(`${emulator.url}/create-session`, { headers: auth })).json()) as {
      sid: string;
    };
    const chat = async (prompt: string) => {
      const res = await fetch(`${emulator.url}/chat`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ sid, prompt, agent: "GeneralCodingAgent" }),
      });
      expect(res.status).toBe(200);
      return (await res.text()).split("\n").filter((l) => l !== "");
    };
    const first = await chat("Write a script that adds two numbers, grüß dich 😀");
    expect(first.length).toBe(1);
    expect(first[0]).toContain('"wait_for_response": true');
    const second = await chat("continue");
    expect(second.at(-1)).toContain('"action": "finish"');
    expect(emulator.stats.chatStreams.completed).toBe(2);
  });
});
