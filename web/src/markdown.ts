/**
 * Agent text as HTML: Markdown rendered by `marked`, then sanitized by DOMPurify, so no HTML or script
 * from the agent ever runs: no `<script>`, no event handler attributes, no `javascript:` or other
 * non-web links, no forms, no frames, no styles. Links open in a new tab without referrer or opener.
 */
import DOMPurify, { type Config } from "dompurify";
import { Marked } from "marked";
import { highlight } from "./highlight.js";

const marked = new Marked({ gfm: true, breaks: true, async: false });

const SAFE_LINK = /^(?:https?:|mailto:|#)/i;

let hooked = false;
function hook(): void {
  if (hooked) return;
  hooked = true;
  DOMPurify.addHook("afterSanitizeAttributes", (node) => {
    // Classes only as the highlighter needs them: `language-*` on code, `hljs*` on its spans.
    const classes = node.getAttribute("class");
    if (classes !== null) {
      const kept = classes
        .split(/\s+/)
        .filter((name) => /^(?:language-[\w+-]+|hljs(?:-[\w-]+)?|[\w-]+_)$/.test(name));
      if (kept.length === 0) node.removeAttribute("class");
      else node.setAttribute("class", kept.join(" "));
    }
    if (node.tagName === "A") {
      const href = node.getAttribute("href") ?? "";
      if (!SAFE_LINK.test(href.trim())) node.removeAttribute("href");
      else {
        node.setAttribute("target", "_blank");
        node.setAttribute("rel", "noopener noreferrer nofollow");
      }
    }
    if (node.tagName === "IMG") {
      // Images from the agent could call other hosts (the CSP blocks them anyway): keep data: images only.
      const src = node.getAttribute("src") ?? "";
      if (!/^data:image\/(?:png|jpeg|gif|webp);base64,/i.test(src)) node.removeAttribute("src");
    }
  });
}

/** Sanitizer settings: plain document markup only. */
function purify(): Config {
  return {
    USE_PROFILES: { html: true },
    FORBID_TAGS: [
      "style",
      "form",
      "input",
      "button",
      "textarea",
      "select",
      "iframe",
      "object",
      "embed",
      "svg",
      "math",
    ],
    FORBID_ATTR: ["style", "id", "srcset"],
    ALLOW_DATA_ATTR: false,
  };
}

/** Markdown → sanitized HTML, with fenced code blocks highlighted. */
export function renderMarkdown(text: string): string {
  hook();
  const html = marked.parse(text, { async: false });
  const clean = DOMPurify.sanitize(html, purify());
  return highlightBlocks(clean);
}

/** Highlights `<pre><code class="language-x">` blocks of sanitized HTML (the highlighter escapes its text). */
function highlightBlocks(html: string): string {
  if (!html.includes("<pre>")) return html;
  const template = document.createElement("template");
  template.innerHTML = html;
  for (const code of template.content.querySelectorAll("pre > code")) {
    const language = /(?:^|\s)language-([\w+-]+)/.exec(code.getAttribute("class") ?? "")?.[1];
    code.innerHTML = highlight(code.textContent ?? "", language);
    code.classList.add("hljs");
  }
  return DOMPurify.sanitize(template.innerHTML, purify());
}
