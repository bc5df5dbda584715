/**
 * One component per kind of timeline row: prompts, agent messages (sanitized Markdown), commands, Python
 * cells, file writes and edits, reads, browsing, delegation, finish/reject, unknown actions, stray
 * observations, control frames and turn ends.
 */
import { memo } from "preact/compat";
import { useMemo } from "preact/hooks";
import { displayText } from "../../../src/core/events.js";
import { diffStats } from "../../../src/workspace/index.js";
import { languageOfPath } from "../highlight.js";
import { renderMarkdown } from "../markdown.js";
import { type ActionRow, formatBytes, type Row } from "../model.js";
import { Code, Collapsible, Diff, Timer } from "./common.js";

/** What a row needs besides its data. */
export interface RowContext {
  /** This row's action is the one running now. */
  running: boolean;
  /** This is the last turn-end row and no turn runs: offer a retry when it failed. */
  retryable: boolean;
  onRetry: () => void;
}

function Icon(props: { symbol: string; label: string }) {
  return (
    <span class="icon" role="img" aria-label={props.label}>
      {props.symbol}
    </span>
  );
}

function Thought(props: { text: unknown }) {
  return typeof props.text === "string" && props.text.trim() !== "" ? (
    <p class="thought">{props.text}</p>
  ) : null;
}

function json(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? "";
}

/** The agent's Markdown, sanitized. */
export function Markdown(props: { text: string }) {
  const html = useMemo(() => renderMarkdown(props.text), [props.text]);
  return <div class="markdown" dangerouslySetInnerHTML={{ __html: html }} />;
}

function MessageRow(props: { row: ActionRow }) {
  const { action } = props.row;
  const text = displayText(action);
  if (action.source === "user") {
    return (
      <div class="row prompt" data-kind="user-message">
        <div class="bubble">{text}</div>
      </div>
    );
  }
  const waits = action.action === "message" && action.args.wait_for_response === true;
  return (
    <div class="row message" data-kind="message">
      <Markdown text={text} />
      {waits ? <span class="badge ask">Asks you</span> : null}
    </div>
  );
}

function ActionHeader(props: {
  row: ActionRow;
  running: boolean;
  icon: string;
  label: string;
  children: preact.ComponentChildren;
}) {
  return (
    <span class="action-head">
      <Icon symbol={props.icon} label={props.label} />
      <span class="summary">{props.children}</span>
      <Timer start={props.row.time} end={props.row.endTime} running={props.running} />
    </span>
  );
}

function CommandRow(props: { row: ActionRow; running: boolean }) {
  const { action, observation } = props.row;
  const isRun = action.action === "run";
  const code = String(isRun ? action.args.command : action.args.code);
  const exit = observation?.extras.exit_code;
  const exitCode = typeof exit === "number" ? exit : undefined;
  const output = observation?.content ?? "";
  const failed = exitCode !== undefined && exitCode !== 0;
  const lines = output === "" ? 0 : output.split("\n").length;
  return (
    <div class={`row action command ${failed ? "failed" : ""}`} data-kind={action.action}>
      <ActionHeader
        row={props.row}
        running={props.running}
        icon={isRun ? "$" : "»"}
        label={isRun ? "Command" : "Python"}
      >
        {isRun ? <code class="command-line">{code}</code> : <span>Python cell</span>}
        {action.args.background === true ? <span class="badge">background</span> : null}
        {exitCode !== undefined ? (
          <span class={`badge exit ${failed ? "bad" : "good"}`}>exit {exitCode}</span>
        ) : null}
      </ActionHeader>
      <Thought text={action.args.thought} />
      {isRun ? null : <Code code={code} language="python" />}
      {observation !== undefined ? (
        <Collapsible
          summary={<span>Output ({lines === 1 ? "1 line" : `${lines} lines`})</span>}
          defaultOpen={failed}
          class="output"
        >
          {() => (
            <pre class="code output-text" tabIndex={0}>
              {output === "" ? "(no output)" : output}
            </pre>
          )}
        </Collapsible>
      ) : null}
    </div>
  );
}

function FileRow(props: { row: ActionRow; running: boolean }) {
  const { action, fileVersion } = props.row;
  const path = String(action.args.path ?? "");
  const verb = action.action === "write" ? "Wrote" : "Edited";
  const content =
    fileVersion?.content ?? (typeof action.args.content === "string" ? action.args.content : undefined);
  const known = fileVersion !== undefined && !fileVersion.created ? fileVersion.diff : undefined;
  const stats = known === undefined ? undefined : diffStats(known);
  const unchanged = stats !== undefined && stats.added === 0 && stats.removed === 0;
  const diff = unchanged ? undefined : known;
  const size = fileVersion?.size;
  return (
    <div class="row action file" data-kind={action.action}>
      <ActionHeader row={props.row} running={props.running} icon="✎" label={verb}>
        {verb} <code>{path}</code>
        {size !== undefined ? <span class="muted"> · {formatBytes(size)}</span> : null}
        {stats !== undefined && diff !== undefined ? (
          <span class="badge">
            changed <span class="added">+{stats.added}</span> <span class="removed">−{stats.removed}</span>
          </span>
        ) : null}
        {unchanged ? <span class="badge">unchanged</span> : null}
        {fileVersion?.status === "failed" ? <span class="badge exit bad">failed</span> : null}
      </ActionHeader>
      <Thought text={action.args.thought} />
      {diff !== undefined ? (
        <Collapsible summary={<span>Diff</span>} class="diff-view" defaultOpen>
          {() => <Diff diff={diff} />}
        </Collapsible>
      ) : null}
      {content !== undefined ? (
        <Collapsible summary={<span>Content</span>} class="content-view">
          {() => <Code code={content} language={languageOfPath(path)} />}
        </Collapsible>
      ) : null}
    </div>
  );
}

function ReadRow(props: { row: ActionRow; running: boolean }) {
  const { action, observation } = props.row;
  const path = String(action.args.path ?? "");
  return (
    <div class="row action quiet" data-kind="read">
      <ActionHeader row={props.row} running={props.running} icon="≡" label="Read">
        Read <code>{path}</code>
      </ActionHeader>
      {observation !== undefined && observation.content !== "" ? (
        <Collapsible summary={<span>Content</span>}>
          {() => <Code code={observation.content} language={languageOfPath(path)} />}
        </Collapsible>
      ) : null}
    </div>
  );
}

const SCREENSHOT = /^data:image\/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]+$/;

function BrowseRow(props: { row: ActionRow; running: boolean }) {
  const { action, observation } = props.row;
  const url = String(action.args.url ?? observation?.extras.url ?? "");
  const interactive = action.action === "browse_interactive";
  const screenshot = observation?.extras.screenshot;
  const shot = typeof screenshot === "string" && SCREENSHOT.test(screenshot) ? screenshot : undefined;
  const page = url !== "" ? url : String(observation?.extras.url ?? "");
  return (
    <div class="row action browse" data-kind={action.action}>
      <ActionHeader row={props.row} running={props.running} icon="◎" label="Browse">
        {interactive ? "Browsed interactively " : "Browsed "}
        {page !== "" ? <code class="url">{page}</code> : null}
      </ActionHeader>
      <Thought text={action.args.thought} />
      {interactive && typeof action.args.browser_actions === "string" ? (
        <Code code={action.args.browser_actions} language="python" />
      ) : null}
      {shot !== undefined ? (
        <img class="screenshot" src={shot} alt={`Screenshot of ${page}`} loading="lazy" />
      ) : null}
      {observation !== undefined && observation.content !== "" ? (
        <Collapsible summary={<span>Page text</span>}>
          {() => (
            <pre class="code output-text" tabIndex={0}>
              {observation.content}
            </pre>
          )}
        </Collapsible>
      ) : null}
    </div>
  );
}

function DelegateRow(props: { row: ActionRow; running: boolean }) {
  const { action, observation } = props.row;
  const outputs = observation?.extras.outputs;
  return (
    <div class="row action delegate" data-kind="delegate">
      <ActionHeader row={props.row} running={props.running} icon="⇄" label="Delegate">
        Asked <strong>{String(action.args.agent ?? "another agent")}</strong> for help
      </ActionHeader>
      <Thought text={action.args.thought} />
      <Collapsible summary={<span>Task and result</span>}>
        {() => (
          <div>
            <Code code={json(action.args.inputs)} language="json" />
            {outputs !== undefined ? <Code code={json(outputs)} language="json" /> : null}
            {observation !== undefined && observation.message !== "" ? <p>{observation.message}</p> : null}
          </div>
        )}
      </Collapsible>
    </div>
  );
}

function FinishRow(props: { row: ActionRow }) {
  const { action } = props.row;
  const finished = action.action === "finish";
  const outputs = action.args.outputs;
  const hasOutputs = typeof outputs === "object" && outputs !== null && Object.keys(outputs).length > 0;
  return (
    <div class={`row finish ${finished ? "good" : "bad"}`} data-kind={action.action}>
      <span class="action-head">
        <Icon symbol={finished ? "✔" : "✖"} label={finished ? "Finished" : "Rejected"} />
        <strong>{finished ? "Finished" : "Rejected"}</strong>
      </span>
      <Thought text={action.args.thought} />
      {hasOutputs ? <Code code={json(outputs)} language="json" /> : null}
    </div>
  );
}

function GenericRow(props: { row: ActionRow; running: boolean }) {
  const { action, observation } = props.row;
  return (
    <div class="row action generic" data-kind="unknown">
      <ActionHeader row={props.row} running={props.running} icon="⚙" label="Action">
        <code>{action.action}</code> {action.message}
      </ActionHeader>
      <Collapsible summary={<span>Details</span>}>
        {() => (
          <div>
            <Code code={json(action.args)} language="json" />
            {observation !== undefined ? <Code code={json(observation.raw)} language="json" /> : null}
          </div>
        )}
      </Collapsible>
    </div>
  );
}

function ActionRowView(props: { row: ActionRow; running: boolean }) {
  const { row, running } = props;
  if (row.action.kind === "unknown_action") return <GenericRow row={row} running={running} />;
  switch (row.action.action) {
    case "message":
      return <MessageRow row={row} />;
    case "run":
    case "run_ipython":
      return <CommandRow row={row} running={running} />;
    case "write":
    case "edit":
      return <FileRow row={row} running={running} />;
    case "read":
      return <ReadRow row={row} running={running} />;
    case "browse":
    case "browse_interactive":
      return <BrowseRow row={row} running={running} />;
    case "delegate":
      return <DelegateRow row={row} running={running} />;
    case "finish":
    case "reject":
      return <FinishRow row={row} />;
    default:
      return <GenericRow row={row} running={running} />;
  }
}

function RowView(props: { row: Row; version: number; context: RowContext }) {
  const { row, context } = props;
  switch (row.kind) {
    case "prompt":
      return row.entry.auto ? (
        <div class="row auto" data-kind="auto-continue">
          <Icon symbol="↻" label="Automatic" />
          Continued automatically: <code>{row.entry.prompt}</code>
        </div>
      ) : (
        <div class="row prompt" data-kind="prompt">
          <div class="bubble">{row.entry.prompt}</div>
        </div>
      );
    case "action":
      return <ActionRowView row={row} running={context.running} />;
    case "observation": {
      const { observation } = row;
      const isError = observation.observation === "error";
      return (
        <div
          class={`row ${isError ? "error" : "generic"}`}
          data-kind={`observation-${observation.observation}`}
        >
          <Icon symbol={isError ? "⚠" : "ℹ"} label={isError ? "Error" : "Observation"} />
          <span>{observation.content || observation.message || observation.observation}</span>
        </div>
      );
    }
    case "control":
      return (
        <div
          class={`row ${row.event.error ? "error" : "generic"}`}
          data-kind="control"
          role={row.event.error ? "alert" : undefined}
        >
          <Icon symbol={row.event.error ? "⚠" : "ℹ"} label={row.event.error ? "Error" : "Note"} />
          <span>{row.event.message}</span>
        </div>
      );
    case "turn-end":
      return <TurnEndRow row={row} context={context} />;
  }
}

function TurnEndRow(props: { row: Extract<Row, { kind: "turn-end" }>; context: RowContext }) {
  const { entry, started } = props.row;
  const took = started !== undefined ? <Timer start={started} end={props.row.time} running={false} /> : null;
  switch (entry.outcome) {
    case "failed":
      return (
        <div class="row turn-end failed" data-kind="turn-failed" role="alert">
          <Icon symbol="⚠" label="Error" />
          <span class="error-text">{entry.error?.message ?? "The turn failed."}</span>
          {props.context.retryable ? (
            <button type="button" class="retry" onClick={props.context.onRetry}>
              Retry
            </button>
          ) : null}
        </div>
      );
    case "stopped":
      return (
        <div class="row turn-end" data-kind="turn-stopped">
          <Icon symbol="■" label="Stopped" /> Stopped {took}
        </div>
      );
    case "waiting":
      return (
        <div class="row turn-end" data-kind="turn-waiting">
          <Icon symbol="?" label="Question" /> Waiting for your answer {took}
        </div>
      );
    default:
      return (
        <div class="row turn-end" data-kind="turn-finished">
          <Icon symbol="✓" label="Done" /> Turn finished {took}
        </div>
      );
  }
}

/** A row, re-rendered only when its data, version or context change. */
export const TimelineRow = memo(
  RowView,
  (a, b) =>
    a.row === b.row &&
    a.version === b.version &&
    a.context.running === b.context.running &&
    a.context.retryable === b.context.retryable,
);
