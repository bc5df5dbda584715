/**
 * Syntax highlighting for the terminal: lowlight (highlight.js grammars, 37 common languages) turns code
 * into a tree of scopes, which are coloured with the palette. Every colour opens and closes on one line,
 * so lines can be prefixed, numbered or cut without a colour bleeding. Loaded only when code is shown.
 */
import { existsSync } from "node:fs";
import type { Palette } from "./render.js";
import { sanitizeTerminal } from "./terminal-text.js";

type Colour = (text: string) => string;

/** The part of lowlight used here. */
interface Lowlight {
  highlight(language: string, code: string): unknown;
  registered(language: string): boolean;
}
interface LowlightModule {
  common: Record<string, unknown>;
  createLowlight(grammars: Record<string, unknown>): Lowlight;
}

// The built package loads lowlight, highlight.js's core and the common grammars from one bundle beside
// this module (scripts/bundle-highlight.mjs), so neither package is installed with it; from the sources
// (tests), the lowlight development dependency. Either is loaded through a specifier TypeScript does not
// follow: highlight.js's type declarations pull the DOM library into the whole program, which changes the
// global stream and fetch types.
const BUNDLE = new URL("./vendor/lowlight.js", import.meta.url);
const LOWLIGHT: string = existsSync(BUNDLE) ? BUNDLE.href : "lowlight";
const { common, createLowlight } = (await import(LOWLIGHT)) as LowlightModule;

/** Above this size (characters) code is printed without highlighting, which would be slow. */
export const MAX_HIGHLIGHT_CHARS = 200_000;

let lowlight: Lowlight | undefined;
const instance = () => {
  lowlight ??= createLowlight(common);
  return lowlight;
};

/** File names and extensions that do not name their language themselves. */
const BY_NAME: Record<string, string> = {
  dockerfile: "bash",
  makefile: "makefile",
  "package.json": "json",
  ".gitignore": "bash",
  ".env": "bash",
};
const BY_EXTENSION: Record<string, string> = {
  mjs: "javascript",
  cjs: "javascript",
  mts: "typescript",
  cts: "typescript",
  jsonc: "json",
  htm: "xml",
  html: "xml",
  svg: "xml",
  vue: "xml",
  toml: "ini",
  cfg: "ini",
  txt: "plaintext",
  zsh: "bash",
  h: "c",
  hpp: "cpp",
  cc: "cpp",
};

/** The language of a file from its name (`main.py` → `py`), or `undefined` when none is known. */
export function languageForPath(path: string): string | undefined {
  const name = (path.split("/").pop() ?? "").toLowerCase();
  const byName = BY_NAME[name];
  if (byName !== undefined) return byName;
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return undefined;
  const extension = name.slice(dot + 1);
  const language = BY_EXTENSION[extension] ?? extension;
  return instance().registered(language) ? language : undefined;
}

/** True when `language` (a name or an alias such as `py`, `ts`, `sh`) can be highlighted. */
export function isKnownLanguage(language: string): boolean {
  return language !== "" && instance().registered(language.toLowerCase());
}

/** The colour of a highlight.js scope (`keyword`, `string`, `title.function`…), or `undefined`. */
function scopeColour(scope: string, c: Palette): Colour | undefined {
  switch (scope.split(".")[0]) {
    case "keyword":
    case "selector-tag":
    case "doctag":
    case "meta-keyword":
      return c.magenta;
    case "string":
    case "regexp":
    case "addition":
    case "char":
      return c.green;
    case "number":
    case "literal":
    case "symbol":
    case "bullet":
      return c.yellow;
    case "comment":
    case "quote":
    case "meta":
      return c.dim;
    case "title":
    case "section":
    case "name":
    case "selector-id":
    case "selector-class":
      return c.blue;
    case "built_in":
    case "type":
    case "class":
    case "attr":
    case "attribute":
    case "property":
    case "variable":
    case "template-variable":
      return c.cyan;
    case "deletion":
      return c.red;
    default:
      return undefined;
  }
}

/** A node of the tree lowlight returns (hast): text, elements with classes, and the root. */
interface HastNode {
  type: string;
  value?: string;
  properties?: { className?: unknown };
  children?: HastNode[];
}

function paint(node: HastNode, colour: Colour | undefined, c: Palette, out: string[]): void {
  if (node.type === "text" && typeof node.value === "string") {
    const text = sanitizeTerminal(node.value);
    out.push(
      colour === undefined
        ? text
        : text
            .split("\n")
            .map((part) => (part === "" ? "" : colour(part)))
            .join("\n"),
    );
    return;
  }
  let next = colour;
  if (node.type === "element" && "properties" in node) {
    const classes = (node.properties as { className?: unknown } | undefined)?.className;
    if (Array.isArray(classes)) {
      const scope = classes.find(
        (name): name is string => typeof name === "string" && name.startsWith("hljs-"),
      );
      if (scope !== undefined) next = scopeColour(scope.slice(5), c) ?? colour;
    }
  }
  for (const child of node.children ?? []) paint(child, next, c, out);
}

/**
 * `code` with ANSI colours for `language` (a highlight.js name or alias). Without a known language, or
 * past {@link MAX_HIGHLIGHT_CHARS}, the code comes back uncoloured. Control characters are always made
 * visible (see `sanitizeTerminal`).
 */
export function highlight(code: string, language: string | undefined, c: Palette): string {
  if (language === undefined || !isKnownLanguage(language) || code.length > MAX_HIGHLIGHT_CHARS) {
    return sanitizeTerminal(code);
  }
  const tree = instance().highlight(language.toLowerCase(), code) as HastNode;
  const out: string[] = [];
  paint(tree, undefined, c, out);
  return out.join("");
}
