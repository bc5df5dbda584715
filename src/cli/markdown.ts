/**
 * Markdown for the terminal: marked's lexer reads the agent's message, and this module draws its tokens
 * (headings, paragraphs, lists and task lists, emphasis, links, inline code, highlighted code blocks,
 * quotes, rules, tables) as lines no wider than the terminal, wrapping between words only (a word longer
 * than the line stays whole). Raw HTML is shown as text, never interpreted, and control characters are
 * made visible. Loaded only when a message is rendered on a terminal; piped output is never rendered.
 */
import { Lexer, type Token, type Tokens } from "marked";
import stringWidth from "string-width";
import wrapAnsi from "wrap-ansi";
import { highlight } from "./highlight.js";
import type { Palette } from "./render.js";
import { sanitizeTerminal } from "./terminal-text.js";

/** The palette of the Markdown renderer: the CLI palette, plus italic and strikethrough when available. */
export type MarkdownPalette = Palette & {
  italic?: (text: string) => string;
  strikethrough?: (text: string) => string;
};

/** Options of {@link renderMarkdown}. */
export interface MarkdownOptions {
  /** Colours (picocolors fits). Default: none. */
  palette?: MarkdownPalette;
  /** Columns to wrap at. Default: 80; at least 20 is used. */
  width?: number;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };

/** Decodes the HTML entities Markdown text may hold (`&amp;`, `&#39;`, `&#x1F600;`). */
function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]+);/gi, (whole, name: string) => {
    if (name.startsWith("#")) {
      const code =
        name[1] === "x" || name[1] === "X" ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
      return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff)
        ? String.fromCodePoint(code)
        : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

const identity = (text: string) => text;

class Renderer {
  private readonly c: MarkdownPalette;
  private readonly coloured: boolean;

  constructor(palette: MarkdownPalette | undefined) {
    this.c = palette ?? {
      bold: identity,
      dim: identity,
      red: identity,
      green: identity,
      yellow: identity,
      blue: identity,
      magenta: identity,
      cyan: identity,
    };
    this.coloured = this.c.bold("x") !== "x";
  }

  /** Inline tokens as one styled string (line breaks kept as `\n`). */
  inline(tokens: Token[] | undefined): string {
    let out = "";
    for (const token of tokens ?? []) out += this.inlineToken(token);
    return out;
  }

  private inlineToken(token: Token): string {
    const c = this.c;
    switch (token.type) {
      case "text": {
        const t = token as Tokens.Text;
        return t.tokens !== undefined ? this.inline(t.tokens) : sanitizeTerminal(decodeEntities(t.text));
      }
      case "escape":
        return sanitizeTerminal((token as Tokens.Escape).text);
      case "strong":
        return c.bold(this.inline((token as Tokens.Strong).tokens));
      case "em":
        return (c.italic ?? identity)(this.inline((token as Tokens.Em).tokens));
      case "del":
        return (c.strikethrough ?? c.dim)(this.inline((token as Tokens.Del).tokens));
      case "codespan": {
        const text = sanitizeTerminal(decodeEntities((token as Tokens.Codespan).text));
        return this.coloured ? c.cyan(text) : `\`${text}\``;
      }
      case "br":
        return "\n";
      case "link": {
        const link = token as Tokens.Link;
        const text = this.inline(link.tokens);
        const href = sanitizeTerminal(link.href);
        const plain = text.replace(/\x1b\[[0-9;]*m/g, "");
        if (plain === href || `mailto:${plain}` === href) return c.blue(href);
        return `${c.blue(text)} ${c.dim(`(${href})`)}`;
      }
      case "image": {
        const image = token as Tokens.Image;
        const alt = sanitizeTerminal(image.text);
        return `${c.dim("[image")}${alt === "" ? "" : c.dim(`: ${alt}`)}${c.dim("]")} ${c.dim(`(${sanitizeTerminal(image.href)})`)}`;
      }
      case "html":
        return c.dim(sanitizeTerminal((token as Tokens.HTML).text));
      default:
        return sanitizeTerminal("text" in token && typeof token.text === "string" ? token.text : token.raw);
    }
  }

  /** Wraps styled text at `width`, between words only. */
  private wrap(text: string, width: number): string[] {
    return text
      .split("\n")
      .flatMap((line) =>
        wrapAnsi(line, Math.max(1, width), { hard: false, trim: true, wordWrap: true }).split("\n"),
      );
  }

  /** Block tokens as lines, each at most `width` columns (but for words or code lines longer than it). */
  blocks(tokens: Token[], width: number): string[] {
    const out: string[] = [];
    let previous: string | undefined;
    for (const token of tokens) {
      if (token.type === "space" || token.type === "def") continue;
      const lines = this.block(token, width);
      if (lines.length === 0) continue;
      // One blank line between blocks; none between the items of a tight list and what follows it.
      if (previous !== undefined) out.push("");
      out.push(...lines);
      previous = token.type;
    }
    return out;
  }

  private block(token: Token, width: number): string[] {
    const c = this.c;
    switch (token.type) {
      case "heading": {
        const heading = token as Tokens.Heading;
        const text = this.inline(heading.tokens);
        const style =
          heading.depth === 1
            ? (t: string) => c.bold(c.magenta(t))
            : heading.depth === 2
              ? (t: string) => c.bold(c.cyan(t))
              : c.bold;
        const marker = this.coloured ? "" : `${"#".repeat(heading.depth)} `;
        return this.wrap(`${marker}${text}`, width).map(style);
      }
      case "paragraph":
        return this.wrap(this.inline((token as Tokens.Paragraph).tokens), width);
      case "text": {
        const t = token as Tokens.Text;
        return this.wrap(
          t.tokens !== undefined ? this.inline(t.tokens) : sanitizeTerminal(decodeEntities(t.text)),
          width,
        );
      }
      case "code": {
        const code = token as Tokens.Code;
        const language = (code.lang ?? "").trim().split(/\s+/)[0] ?? "";
        const body = highlight(code.text, language === "" ? undefined : language, c).split("\n");
        const bar = c.dim("│");
        const label = language === "" ? [] : [c.dim(`╭ ${sanitizeTerminal(language)}`)];
        return [...label, ...body.map((line) => (line === "" ? bar : `${bar} ${line}`))];
      }
      case "blockquote": {
        const inner = this.blocks((token as Tokens.Blockquote).tokens, width - 2);
        return inner.map((line) => `${c.dim("│")} ${line === "" ? "" : c.dim(line)}`.trimEnd());
      }
      case "list":
        return this.list(token as Tokens.List, width);
      case "hr":
        return [c.dim("─".repeat(Math.min(width, 80)))];
      case "table":
        return this.table(token as Tokens.Table, width);
      case "html":
        return this.wrap(c.dim(sanitizeTerminal((token as Tokens.HTML).text.trimEnd())), width);
      default:
        return this.wrap(sanitizeTerminal(token.raw.trimEnd()), width);
    }
  }

  private list(list: Tokens.List, width: number): string[] {
    const c = this.c;
    const start = typeof list.start === "number" ? list.start : 1;
    const markers = list.items.map((item, i) => {
      if (item.task) return item.checked === true ? c.green("☑") : "☐";
      return list.ordered ? `${start + i}.` : c.dim("•");
    });
    const markerWidth = Math.max(...markers.map((m) => stringWidth(m)));
    const out: string[] = [];
    list.items.forEach((item, i) => {
      const indent = markerWidth + 1;
      const tokens = item.tokens.filter((t) => t.type !== "checkbox");
      const lines = item.loose ? this.blocks(tokens, width - indent) : this.tight(tokens, width - indent);
      const marker = markers[i] ?? "";
      const pad = " ".repeat(markerWidth - stringWidth(marker));
      lines.forEach((line, j) => {
        out.push(j === 0 ? `${pad}${marker} ${line}` : line === "" ? "" : `${" ".repeat(indent)}${line}`);
      });
      if (lines.length === 0) out.push(`${pad}${marker}`);
      if (item.loose && i < list.items.length - 1) out.push("");
    });
    return out;
  }

  /** The blocks of a tight list item, without blank lines between its text and a nested list. */
  private tight(tokens: Token[], width: number): string[] {
    return tokens.flatMap((token) => (token.type === "space" ? [] : this.block(token, width)));
  }

  private table(table: Tokens.Table, width: number): string[] {
    const c = this.c;
    const header = table.header.map((cell) => this.inline(cell.tokens));
    const rows = table.rows.map((row) => row.map((cell) => this.inline(cell.tokens)));
    const columns = header.length;
    const widths = Array.from({ length: columns }, (_, i) =>
      Math.max(stringWidth(header[i] ?? ""), ...rows.map((row) => stringWidth(row[i] ?? ""))),
    );
    const total = widths.reduce((a, b) => a + b, 0) + 3 * (columns - 1);
    if (total > width) {
      // Too wide for the terminal: one "header: value" line per cell, rows apart.
      return rows.flatMap((row, r) => [
        ...(r > 0 ? [""] : []),
        ...row.flatMap((cell, i) => this.wrap(`${c.bold(header[i] ?? "")}: ${cell}`, width)),
      ]);
    }
    const align = (text: string, i: number) => {
      const room = (widths[i] ?? 0) - stringWidth(text);
      const how = table.align[i];
      if (how === "right") return " ".repeat(room) + text;
      if (how === "center") return " ".repeat(Math.floor(room / 2)) + text + " ".repeat(Math.ceil(room / 2));
      return text + " ".repeat(room);
    };
    const line = (cells: string[]) => cells.map(align).join(c.dim(" │ ")).trimEnd();
    return [
      line(header.map((h) => c.bold(h))),
      c.dim(widths.map((w) => "─".repeat(w)).join("─┼─")),
      ...rows.map(line),
    ];
  }
}

/**
 * Renders Markdown for a terminal: lines no wider than `width` columns except for words and code lines
 * longer than the line, each ending in `\n`. The returned text holds no control character but the ANSI
 * colours of the palette.
 */
export function renderMarkdown(markdown: string, options: MarkdownOptions = {}): string {
  const width = Math.max(20, options.width ?? 80);
  const tokens = Lexer.lex(markdown.replace(/\r\n?/g, "\n"), { gfm: true });
  const lines = new Renderer(options.palette).blocks(tokens, width);
  return lines.length === 0 ? "" : `${lines.map((l) => l.trimEnd()).join("\n")}\n`;
}
