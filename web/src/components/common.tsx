/**
 * Small pieces shared by the timeline's rows: a collapsible section that follows "expand all" /
 * "collapse all", highlighted code, a coloured diff, a running timer.
 */
import type { ComponentChildren } from "preact";
import { createContext } from "preact";
import { useContext, useEffect, useState } from "preact/hooks";
import { classifyDiff } from "../../../src/workspace/index.js";
import { highlight } from "../highlight.js";
import { formatDuration } from "../model.js";

/** "Expand all" / "collapse all": every collapsible follows `open` when `generation` changes. */
export const ExpandContext = createContext<{ generation: number; open: boolean }>({
  generation: 0,
  open: false,
});

/** A section with a toggle button (`aria-expanded`); its body is rendered only while open. */
export function Collapsible(props: {
  summary: ComponentChildren;
  children: () => ComponentChildren;
  defaultOpen?: boolean;
  class?: string;
  label?: string;
}) {
  const expand = useContext(ExpandContext);
  const [open, setOpen] = useState(expand.generation > 0 ? expand.open : (props.defaultOpen ?? false));
  useEffect(() => {
    if (expand.generation > 0) setOpen(expand.open);
  }, [expand.generation, expand.open]);
  return (
    <div class={`collapsible ${props.class ?? ""}`}>
      <button
        type="button"
        class="toggle"
        aria-expanded={open}
        aria-label={props.label}
        onClick={() => setOpen(!open)}
      >
        <span class="chevron" aria-hidden="true">
          {open ? "▾" : "▸"}
        </span>
        {props.summary}
      </button>
      {open ? <div class="collapsible-body">{props.children()}</div> : null}
    </div>
  );
}

/** Highlighted code (the highlighter escapes the text). */
export function Code(props: { code: string; language?: string | undefined; class?: string }) {
  return (
    // Scrollable: focusable so that keyboard users can scroll it (autofocus and tabindex rules are off for web/).
    <pre class={`code ${props.class ?? ""}`} tabIndex={0}>
      <code class="hljs" dangerouslySetInnerHTML={{ __html: highlight(props.code, props.language) }} />
    </pre>
  );
}

/** A unified diff, one line per row, additions and removals coloured (and marked for screen readers). */
export function Diff(props: { diff: string }) {
  const lines = classifyDiff(props.diff);
  return (
    <pre class="code diff" tabIndex={0}>
      {lines.map((line, index) => (
        <span key={index} class={`diff-${line.kind}`}>
          {line.text}
        </span>
      ))}
    </pre>
  );
}

/** The current time, refreshed every second while `active`. */
export function useNow(active: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return undefined;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [active]);
  return now;
}

/** "12 s" since `start` while running (a live timer), or the final duration. */
export function Timer(props: { start: number; end: number | undefined; running: boolean }) {
  const now = useNow(props.running);
  const end = props.end ?? (props.running ? now : undefined);
  if (end === undefined) return null;
  return (
    <span class={`timer ${props.running ? "running" : ""}`} role={props.running ? "timer" : undefined}>
      {formatDuration(Math.max(0, end - props.start))}
    </span>
  );
}
