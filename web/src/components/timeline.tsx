/**
 * The timeline: the last rows of the conversation (earlier ones a click away, so thousands of events
 * stay responsive), following the bottom while new rows arrive.
 */
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { Row, TimelineModel } from "../model.js";
import { type RowContext, TimelineRow } from "./rows.js";

/** Rows rendered at first; "Show earlier" adds this many more. */
export const PAGE_ROWS = 150;

export function Timeline(props: {
  model: TimelineModel;
  revision: number;
  conversationId: string;
  onRetry: () => void;
}) {
  const { model } = props;
  const [shown, setShown] = useState(PAGE_ROWS);
  const scroller = useRef<HTMLElement>(null);
  const stick = useRef(true);
  useEffect(() => setShown(PAGE_ROWS), [props.conversationId]);

  const rows = model.rows;
  const start = Math.max(0, rows.length - shown);
  const visible = rows.slice(start);
  const running = model.status.running;
  let runningKey: number | undefined;
  if (running) {
    for (let i = rows.length - 1; i >= 0; i -= 1) {
      const row = rows[i] as Row;
      if (row.kind === "prompt") break;
      if (row.kind === "action") {
        if (row.endTime === undefined && row.action.action !== "message") runningKey = row.key;
        break;
      }
    }
  }
  const last = rows[rows.length - 1];
  const lastTurnEnd = last?.kind === "turn-end" ? last.key : undefined;

  useLayoutEffect(() => {
    const element = scroller.current;
    if (element !== null && stick.current) element.scrollTop = element.scrollHeight;
  });

  const onScroll = () => {
    const element = scroller.current;
    if (element === null) return;
    stick.current = element.scrollHeight - element.scrollTop - element.clientHeight < 48;
  };

  const contextFor = (row: Row): RowContext => ({
    running: row.key === runningKey,
    retryable: row.key === lastTurnEnd && !running,
    onRetry: props.onRetry,
  });

  return (
    <section class="timeline" ref={scroller} onScroll={onScroll} aria-label="Timeline">
      {start > 0 ? (
        <button type="button" class="show-earlier" onClick={() => setShown(shown + PAGE_ROWS)}>
          Show earlier events ({start} more)
        </button>
      ) : null}
      <ol class="rows" aria-live="polite" aria-relevant="additions">
        {visible.map((row) => (
          <li key={row.key} class="row-item">
            <TimelineRow row={row} version={row.version} context={contextFor(row)} />
          </li>
        ))}
      </ol>
    </section>
  );
}
