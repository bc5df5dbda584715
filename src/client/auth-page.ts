/**
 * Reading the access token from the HTML page served by `GET /auth`.
 */

import { Parser } from "htmlparser2";

/** Elements whose content is never part of the token: not rendered, or not text. */
const HIDDEN = new Set(["script", "style", "template"]);

/**
 * The access token from the `/auth` HTML page: the text content of the first `<pre id="token">` element,
 * trimmed. Read with a real HTML parser (htmlparser2), so comments, `<script>`/`<style>`/`<template>`
 * content, attribute values and look-alike elements (`<pre id="token2">`, `<div id="token">`,
 * `<pre class="token">`, `<pre data-id="token">`) never fool it; the text of nested inline elements is
 * included and HTML entities are decoded. Returns `undefined` when there is no such element or its text
 * is empty (after trimming).
 */
export function extractAccessToken(html: string): string | undefined {
  /** Depth inside the token element: 0 before it, > 0 inside, -1 once it closed. */
  let depth = 0;
  /** Depth inside script/style/template elements (inside or outside the token element). */
  let hidden = 0;
  let text = "";
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (depth < 0) return;
        if (HIDDEN.has(name)) {
          hidden++;
          if (depth > 0) depth++;
          return;
        }
        if (depth > 0) depth++;
        else if (hidden === 0 && name === "pre" && attributes.id === "token") depth = 1;
      },
      ontext(data) {
        if (depth > 0 && hidden === 0) text += data;
      },
      onclosetag(name) {
        if (depth < 0) return;
        if (HIDDEN.has(name) && hidden > 0) hidden--;
        if (depth > 0) {
          depth--;
          if (depth === 0) depth = -1;
        }
      },
    },
    { decodeEntities: true },
  );
  parser.end(html);
  const token = text.trim();
  return token === "" ? undefined : token;
}
