import fc from "fast-check";
import pc from "picocolors";
import stringWidth from "string-width";
import { describe, expect, it } from "vitest";
import { highlight, languageForPath } from "./highlight.js";
import { renderMarkdown } from "./markdown.js";
import { sanitizeTerminal, stripStyles } from "./terminal-text.js";

const colours = pc.createColors(true);
const ESC = "\x1b";

describe("renderMarkdown", () => {
  it("draws headings, lists, task lists, emphasis, links, code and quotes without colours", () => {
    const md = [
      "# Plan",
      "",
      "Some **bold**, *italic* and `code` with a [link](https://example.com) &amp; <https://x.dev>.",
      "",
      "- one",
      "- two",
      "  - nested",
      "",
      "3. three",
      "4. four",
      "",
      "- [x] done",
      "- [ ] todo",
      "",
      "```python",
      "print('hi')",
      "```",
      "",
      "> quoted",
      "",
      "---",
    ].join("\n");
    expect(renderMarkdown(md, { width: 80 })).toBe(
      [
        "# Plan",
        "",
        "Some bold, italic and `code` with a link (https://example.com) & https://x.dev.",
        "",
        "• one",
        "• two",
        "  • nested",
        "",
        "3. three",
        "4. four",
        "",
        "☑ done",
        "☐ todo",
        "",
        "╭ python",
        "│ print('hi')",
        "",
        "│ quoted",
        "",
        "─".repeat(80),
        "",
      ].join("\n"),
    );
  });

  it("styles with colours: bold, italic, cyan inline code, highlighted code blocks", () => {
    const out = renderMarkdown("## Title\n\n**b** *i* `c`\n\n```js\nconst x = 1;\n```", {
      width: 60,
      palette: colours,
    });
    expect(out).toContain(colours.bold(colours.cyan("Title")));
    expect(out).toContain(colours.bold("b"));
    expect(out).toContain(colours.italic("i"));
    expect(out).toContain(colours.cyan("c"));
    expect(out).toContain(colours.magenta("const"));
    expect(out).toContain(colours.yellow("1"));
    expect(stripStyles(out)).toBe("Title\n\nb i c\n\n╭ js\n│ const x = 1;\n");
  });

  it("wraps at the width between words and never breaks a word", () => {
    const long = "https://example.com/a/very/long/address/that/is/longer/than/the/line";
    const out = renderMarkdown(`Visit ${long} now, then come back and read the rest of this sentence.`, {
      width: 30,
    });
    const lines = out.trimEnd().split("\n");
    expect(lines).toContain(long);
    for (const line of lines) if (line !== long) expect(stringWidth(line)).toBeLessThanOrEqual(30);
    expect(lines.join(" ")).toBe(`Visit ${long} now, then come back and read the rest of this sentence.`);
  });

  it("keeps every word whole and in order, within the width (property)", () => {
    const word = fc.stringMatching(/^[a-zA-Z0-9é漢]{1,12}$/);
    fc.assert(
      fc.property(
        fc.array(word, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 20, max: 120 }),
        (words, width) => {
          const out = renderMarkdown(words.join(" "), { width });
          const lines = out.trimEnd().split("\n");
          for (const line of lines) expect(stringWidth(line)).toBeLessThanOrEqual(width);
          expect(lines.join(" ").split(" ")).toEqual(words);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("wraps list items with a hanging indent", () => {
    const out = renderMarkdown("- alpha beta gamma delta epsilon zeta eta theta", { width: 20 });
    expect(out).toBe("• alpha beta gamma\n  delta epsilon zeta\n  eta theta\n");
  });

  it("draws tables, and falls back to one line per cell when too wide", () => {
    const md = "| file | size |\n|---|---:|\n| main.py | 406 |\n| a.py | 12 |";
    expect(renderMarkdown(md, { width: 40 })).toBe(
      "file    │ size\n────────┼─────\nmain.py │  406\na.py    │   12\n",
    );
    expect(renderMarkdown(md, { width: 20 }).startsWith("file    │")).toBe(true);
    const wide = `| a | b |\n|---|---|\n| ${"x".repeat(30)} | y |`;
    expect(renderMarkdown(wide, { width: 20 })).toBe(`a:\n${"x".repeat(30)}\nb: y\n`);
  });

  it("shows HTML as text and makes control characters visible", () => {
    const out = renderMarkdown(`<script>alert(1)</script>\n\nred ${ESC}[31mtext${ESC}]0;title\u0007`, {
      width: 80,
      palette: colours,
    });
    expect(stripStyles(out)).toBe("<script>alert(1)</script>\n\nred ␛[31mtext␛]0;title␇\n");
    // Only the palette's own SGR sequences remain.
    expect(out.replace(/\x1b\[[0-9;]*m/g, "")).not.toContain(ESC);
  });

  it("renders nothing for an empty message", () => {
    expect(renderMarkdown("")).toBe("");
    expect(renderMarkdown("\n\n")).toBe("");
  });
});

describe("highlight", () => {
  it("finds the language from the file name", () => {
    expect(languageForPath("/workspace/app/main.py")).toBe("py");
    expect(languageForPath("x.tsx")).toBe("tsx");
    expect(languageForPath("Dockerfile")).toBe("bash");
    expect(languageForPath("index.html")).toBe("xml");
    expect(languageForPath("notes")).toBeUndefined();
    expect(languageForPath("data.unknownext")).toBeUndefined();
  });

  it("colours each line separately so that no colour spans a line break", () => {
    const out = highlight('x = """one\ntwo"""\n# c', "python", colours);
    for (const line of out.split("\n")) {
      expect(line.split(`${ESC}[`).length % 2).toBe(1);
    }
    expect(out).toContain(colours.green('two"""'));
    expect(stripStyles(out)).toBe('x = """one\ntwo"""\n# c');
  });

  it("returns unknown languages as they are, control characters made visible", () => {
    expect(highlight(`a${ESC}b`, "nope", colours)).toBe("a␛b");
    expect(highlight("a", undefined, colours)).toBe("a");
  });
});

describe("sanitizeTerminal", () => {
  it("keeps text, tabs and newlines and shows every control character", () => {
    expect(sanitizeTerminal("a\tb\r\nc\rd\u0007\u007f\u009b")).toBe("a\tb\nc␍d␇␡�");
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        expect(sanitizeTerminal(text)).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
      }),
    );
  });
});
