/**
 * The list of conversations: title (from the first prompt), agent, last activity and status; open one,
 * or start a new one. On narrow screens it is a drawer opened from the header.
 */
import type { Conversation } from "../../../src/server/workspace/timeline.js";

function ago(iso: string, now: number): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return "";
  const seconds = Math.max(0, Math.round((now - then) / 1000));
  if (seconds < 60) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return new Date(then).toLocaleDateString();
}

const STATUS_LABEL: Record<string, string> = {
  new: "new",
  running: "running",
  waiting: "waiting for you",
  finished: "finished",
  stopped: "stopped",
  failed: "failed",
};

export function Sidebar(props: {
  conversations: Conversation[];
  currentId: string | undefined;
  open: boolean;
  onNew: () => void;
  onOpen: (id: string) => void;
}) {
  const now = Date.now();
  return (
    <nav class={`sidebar ${props.open ? "open" : ""}`} aria-label="Conversations">
      <button type="button" class="new-conversation primary" onClick={props.onNew}>
        + New conversation
      </button>
      <h2 class="visually-hidden">Conversations</h2>
      {props.conversations.length === 0 ? <p class="muted empty">No conversation yet.</p> : null}
      <ul class="conversation-list">
        {props.conversations.map((conversation) => (
          <li key={conversation.id}>
            <a
              href={`#/c/${encodeURIComponent(conversation.id)}`}
              class="conversation-link"
              aria-current={conversation.id === props.currentId ? "page" : undefined}
              onClick={(event) => {
                event.preventDefault();
                props.onOpen(conversation.id);
              }}
            >
              <span class="title">{conversation.title}</span>
              <span class="meta">
                <span class={`dot status-${conversation.status}`} aria-hidden="true" />
                {STATUS_LABEL[conversation.status] ?? conversation.status} · {conversation.agent} ·{" "}
                {ago(conversation.updatedAt, now)}
              </span>
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
