import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatPrompt } from "./messages.js";

describe("formatPrompt", () => {
  it("sends a single message unchanged", () => {
    expect(formatPrompt([{ role: "user", content: "  hi\nthere " }])).toBe("  hi\nthere ");
  });

  it("formats several messages with capitalized roles and a trailing Assistant:", () => {
    expect(
      formatPrompt([
        { role: "system", content: "Be brief." },
        { role: "USER", content: "Add 2 and 3" },
        { role: "assistant", content: "5" },
        {
          role: "user",
          content: [
            { type: "text", text: "and " },
            { type: "text", text: "4?" },
          ],
        },
      ]),
    ).toBe("System: Be brief.\nUser: Add 2 and 3\nAssistant: 5\nUser: and 4?\nAssistant:");
  });

  it("rejects an empty list", () => {
    expect(() => formatPrompt([])).toThrow(/at least one message/);
  });

  it("keeps every message's content verbatim (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ role: fc.constantFrom("user", "assistant"), content: fc.string() }), {
          minLength: 2,
        }),
        (messages) => {
          const prompt = formatPrompt(messages);
          expect(prompt.endsWith("\nAssistant:")).toBe(true);
          for (const m of messages) expect(prompt).toContain(m.content);
        },
      ),
    );
  });
});
