/**
 * The prompt box: pick the agent, type (Enter sends, Shift+Enter adds a line), send or stop. Says so
 * when the agent waits for an answer.
 */
import { useEffect, useRef, useState } from "preact/hooks";

export function Composer(props: {
  agents: string[];
  agent: string;
  onAgent: (agent: string) => void;
  running: boolean;
  waiting: boolean;
  onSend: (prompt: string) => Promise<boolean>;
  onStop: () => void;
  focusKey: string;
}) {
  const [text, setText] = useState("");
  const [sending, setSending] = useState(false);
  const input = useRef<HTMLTextAreaElement>(null);
  useEffect(() => input.current?.focus(), [props.focusKey]);

  const send = async () => {
    const prompt = text;
    if (prompt.trim() === "" || props.running || sending) return;
    setSending(true);
    try {
      if (await props.onSend(prompt)) setText("");
    } finally {
      setSending(false);
    }
  };

  return (
    <form
      class={`composer ${props.waiting ? "waiting" : ""}`}
      onSubmit={(event) => {
        event.preventDefault();
        void send();
      }}
    >
      {props.waiting ? (
        <p class="waiting-note" role="status">
          The agent is waiting for your answer.
        </p>
      ) : null}
      <div class="composer-row">
        <label class="visually-hidden" for="prompt">
          {props.waiting ? "Your answer" : "Prompt"}
        </label>
        <textarea
          id="prompt"
          ref={input}
          rows={2}
          value={text}
          placeholder={
            props.waiting
              ? "Answer the agent… (Enter sends, Shift+Enter adds a line)"
              : "Describe a task… (Enter sends, Shift+Enter adds a line)"
          }
          onInput={(event) => setText(event.currentTarget.value)}
          onKeyDown={(event) => {
            if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
              event.preventDefault();
              void send();
            }
          }}
        />
      </div>
      <div class="composer-actions">
        <label class="agent-select">
          <span>Agent</span>
          <select
            value={props.agent}
            onChange={(event) => props.onAgent(event.currentTarget.value)}
            disabled={props.running}
          >
            {props.agents.map((agent) => (
              <option key={agent} value={agent}>
                {agent}
              </option>
            ))}
          </select>
        </label>
        {props.running ? (
          <button type="button" class="danger stop" onClick={props.onStop}>
            ■ Stop
          </button>
        ) : (
          <button type="submit" class="primary send" disabled={sending || text.trim() === ""}>
            Send
          </button>
        )}
      </div>
    </form>
  );
}
