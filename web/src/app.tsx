/**
 * The workspace page: the conversation list, the open conversation's header, timeline and composer, and
 * the Changes panel. State lives here; the views are small components.
 */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { Conversation, TimelineEntry } from "../../src/server/workspace/timeline.js";
import { ApiError, api, type Idle, storeKey } from "./api.js";
import { ChangesPanel, download } from "./components/changes.js";
import { ExpandContext, Timer } from "./components/common.js";
import { Composer } from "./components/composer.js";
import { CodeDialog, DeleteDialog, KeyDialog, RenameDialog } from "./components/dialogs.js";
import { Sidebar } from "./components/sidebar.js";
import { Timeline } from "./components/timeline.js";
import { TimelineModel } from "./model.js";
import { toMarkdown } from "./transcript.js";

const DEFAULT_AGENTS = ["GeneralCodingAgent", "RepoAgent", "FrontEndAgent"];

function routeId(): string | undefined {
  const match = /^#\/c\/([^/?#]+)$/.exec(location.hash);
  return match?.[1] === undefined ? undefined : decodeURIComponent(match[1]);
}

type Connection = "idle" | "loading" | "live" | "reconnecting";
type Dialog = "rename" | "delete" | "code" | undefined;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    return;
  } catch {
    // Fall back to a selection copy (clipboard API refused).
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.className = "visually-hidden";
  document.body.append(area);
  area.select();
  const ok = document.execCommand("copy");
  area.remove();
  if (!ok) throw new Error("The browser refused to copy");
}

export function App() {
  const [agents, setAgents] = useState<string[]>(DEFAULT_AGENTS);
  const [conversations, setConversations] = useState<Conversation[]>([]);
  const [current, setCurrent] = useState<Conversation | undefined>(undefined);
  const [newAgent, setNewAgent] = useState(DEFAULT_AGENTS[0] as string);
  const [revision, setRevision] = useState(0);
  const [connection, setConnection] = useState<Connection>("idle");
  const [notice, setNotice] = useState<{ kind: "error" | "info"; text: string } | undefined>(undefined);
  const [keyPrompt, setKeyPrompt] = useState<{ wrong: boolean } | undefined>(undefined);
  const [expand, setExpand] = useState({ generation: 0, open: false });
  const [showChanges, setShowChanges] = useState(false);
  const [navOpen, setNavOpen] = useState(false);
  const [dialog, setDialog] = useState<Dialog>(undefined);
  const model = useRef(new TimelineModel());
  const currentId = useRef<string | undefined>(undefined);
  const stream = useRef<AbortController | undefined>(undefined);
  const flushTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const fail = useCallback((error: unknown, where: string) => {
    if (error instanceof DOMException && error.name === "AbortError") return;
    if (error instanceof ApiError && error.needsKey) {
      setKeyPrompt({ wrong: error.status === 403 || error.code === "invalid_api_key" });
      return;
    }
    const text = error instanceof Error ? error.message : String(error);
    setNotice({ kind: "error", text: `${where}: ${text}` });
  }, []);

  const refreshList = useCallback(async () => {
    try {
      setConversations(await api.list());
    } catch (error) {
      fail(error, "Could not load the conversations");
    }
  }, [fail]);

  const refreshCurrent = useCallback(
    async (id: string) => {
      try {
        const conversation = await api.get(id);
        if (currentId.current === id) setCurrent(conversation);
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return;
        fail(error, "Could not load the conversation");
      }
    },
    [fail],
  );

  /** Applies entries to the open conversation's model; renders at most every 50 ms. */
  const onEntryFor = useCallback(
    (id: string) => (entry: TimelineEntry) => {
      if (currentId.current !== id) return;
      model.current.push(entry);
      // A new prompt changes the conversation (status, title on the first one): fetch it again.
      if (entry.type === "prompt") void refreshCurrent(id);
      if (flushTimer.current === undefined) {
        flushTimer.current = setTimeout(() => {
          flushTimer.current = undefined;
          setRevision((r) => r + 1);
        }, 50);
      }
    },
    [refreshCurrent],
  );

  /**
   * Follows a conversation's timeline until no turn runs: `start` opens the first stream (a new turn),
   * otherwise the events after what the page has; a cut stream is resumed with Last-Event-ID.
   */
  const follow = useCallback(
    async (id: string, start?: (signal: AbortSignal) => Promise<Idle | undefined>): Promise<boolean> => {
      stream.current?.abort();
      const controller = new AbortController();
      stream.current = controller;
      const { signal } = controller;
      const onEntry = onEntryFor(id);
      let attempt = 0;
      let first = start;
      setConnection(start === undefined ? "loading" : "live");
      for (;;) {
        try {
          const idle =
            first !== undefined
              ? await first(signal)
              : await api.events(id, model.current.lastSeq, onEntry, signal);
          first = undefined;
          if (signal.aborted) return false;
          if (idle !== undefined && idle.status !== "running") {
            setRevision((r) => r + 1);
            setConnection("idle");
            void refreshCurrent(id);
            void refreshList();
            return true;
          }
          if (idle === undefined) attempt += 1;
          else attempt = 0;
        } catch (error) {
          if (signal.aborted) return false;
          if (first !== undefined || !(error instanceof ApiError) || error.status !== 0) {
            // Starting the turn failed (a 409, a bad prompt, a missing key…): report it, stop following.
            fail(error, first !== undefined ? "Could not send" : "Could not read the timeline");
            setConnection("idle");
            void refreshCurrent(id);
            return false;
          }
          attempt += 1;
        }
        setConnection("reconnecting");
        await sleep(Math.min(5000, 200 * 2 ** Math.min(attempt, 5)), signal);
        if (signal.aborted) return false;
      }
    },
    [fail, onEntryFor, refreshCurrent, refreshList],
  );

  const open = useCallback(
    async (id: string | undefined) => {
      stream.current?.abort();
      currentId.current = id;
      model.current = new TimelineModel();
      setRevision((r) => r + 1);
      setNavOpen(false);
      setNotice(undefined);
      if (id === undefined) {
        setCurrent(undefined);
        setConnection("idle");
        return;
      }
      try {
        const conversation = await api.get(id);
        if (currentId.current !== id) return;
        setCurrent(conversation);
        void follow(id);
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) {
          setNotice({ kind: "error", text: "This conversation does not exist (any more)." });
          setCurrent(undefined);
          return;
        }
        fail(error, "Could not open the conversation");
      }
    },
    [fail, follow],
  );

  const navigate = useCallback(
    (id: string | undefined) => {
      const hash = id === undefined ? "#/" : `#/c/${encodeURIComponent(id)}`;
      if (location.hash !== hash) history.pushState(null, "", hash);
      void open(id);
    },
    [open],
  );

  const init = useCallback(async () => {
    try {
      setAgents(await api.agents());
    } catch (error) {
      fail(error, "Could not reach the gateway");
      return;
    }
    await refreshList();
    await open(routeId());
    // For benchmarks and tests: the page has its data and takes input.
    document.documentElement.dataset.ready = "true";
  }, [fail, open, refreshList]);

  useEffect(() => {
    void init();
    const onPop = () => {
      if (routeId() !== currentId.current) void open(routeId());
    };
    window.addEventListener("popstate", onPop);
    window.addEventListener("hashchange", onPop);
    const poll = setInterval(() => {
      if (document.visibilityState === "visible") void refreshList();
    }, 10_000);
    return () => {
      window.removeEventListener("popstate", onPop);
      window.removeEventListener("hashchange", onPop);
      clearInterval(poll);
    };
  }, [init, open, refreshList]);

  const send = async (prompt: string): Promise<boolean> => {
    setNotice(undefined);
    let conversation = current;
    try {
      if (conversation === undefined) {
        conversation = await api.create({ agent: newAgent });
        currentId.current = conversation.id;
        model.current = new TimelineModel();
        history.pushState(null, "", `#/c/${encodeURIComponent(conversation.id)}`);
        setCurrent(conversation);
        void refreshList();
      }
    } catch (error) {
      fail(error, "Could not start a conversation");
      return false;
    }
    const id = conversation.id;
    setCurrent({ ...conversation, status: "running" });
    void follow(id, (signal) => api.turn(id, { prompt }, onEntryFor(id), signal)).then(() => undefined);
    return true;
  };

  const retry = useCallback(() => {
    const id = currentId.current;
    if (id === undefined) return;
    setNotice(undefined);
    void follow(id, (signal) => api.turn(id, { retry: true }, onEntryFor(id), signal));
  }, [follow, onEntryFor]);

  const stop = async () => {
    if (current === undefined) return;
    try {
      await api.stop(current.id);
    } catch (error) {
      fail(error, "Could not stop");
    }
  };

  const changeAgent = async (agent: string) => {
    if (current === undefined) {
      setNewAgent(agent);
      return;
    }
    try {
      setCurrent(await api.update(current.id, { agent }));
    } catch (error) {
      fail(error, "Could not change the agent");
    }
  };

  const toggleAuto = async (on: boolean) => {
    if (current === undefined) return;
    try {
      setCurrent(await api.update(current.id, { autoContinue: on }));
    } catch (error) {
      fail(error, "Could not change auto-continue");
    }
  };

  const status = model.current.status;
  const running = status.running || (connection === "loading" && current?.status === "running");
  const files = model.current.workspace.files();
  const title = current?.title ?? "New conversation";

  const copyMarkdown = async () => {
    try {
      await copyText(toMarkdown(title, model.current.rows));
      setNotice({ kind: "info", text: "Copied the conversation as Markdown." });
    } catch (error) {
      fail(error, "Could not copy");
    }
  };

  const exportJsonl = async () => {
    if (current === undefined) return;
    try {
      const { name, blob } = await api.exportTimeline(current.id);
      download(name, blob);
    } catch (error) {
      fail(error, "Could not export");
    }
  };

  let statusText: preact.ComponentChildren = null;
  if (connection === "reconnecting")
    statusText = <span class="status warn">Connection lost — reconnecting…</span>;
  else if (running)
    statusText = (
      <span class="status working">
        <span class="spinner" aria-hidden="true" /> Working…{" "}
        {status.turnStarted !== undefined ? (
          <Timer start={status.turnStarted} end={undefined} running />
        ) : null}
      </span>
    );
  else if (status.waiting) statusText = <span class="status ask">Waiting for your answer</span>;
  else if (status.lastOutcome === "failed") statusText = <span class="status bad">Failed</span>;
  else if (status.lastOutcome === "stopped") statusText = <span class="status">Stopped</span>;
  else if (status.lastOutcome === "finished") statusText = <span class="status good">Finished</span>;

  return (
    <ExpandContext.Provider value={expand}>
      <div class={`layout ${showChanges ? "with-changes" : ""}`}>
        <header class="topbar">
          <button
            type="button"
            class="nav-toggle"
            aria-expanded={navOpen}
            aria-controls="conversations"
            onClick={() => setNavOpen(!navOpen)}
          >
            ☰ <span class="visually-hidden">Conversations</span>
          </button>
          <h1 class="brand">Robocoders</h1>
          <div class="conversation-title">
            <span class="title-text">{title}</span>
            {current !== undefined ? (
              <button type="button" class="link" onClick={() => setDialog("rename")}>
                Rename
              </button>
            ) : null}
          </div>
          <div class="status-line" role="status" aria-live="polite">
            {statusText}
          </div>
        </header>
        <div id="conversations" class="rail">
          <Sidebar
            conversations={conversations}
            currentId={current?.id}
            open={navOpen}
            onNew={() => navigate(undefined)}
            onOpen={(id) => navigate(id)}
          />
        </div>
        <main class="main" aria-label="Conversation">
          <div class="toolbar" role="toolbar" aria-label="Conversation tools">
            <button
              type="button"
              onClick={() => setExpand({ generation: expand.generation + 1, open: true })}
            >
              Expand all
            </button>
            <button
              type="button"
              onClick={() => setExpand({ generation: expand.generation + 1, open: false })}
            >
              Collapse all
            </button>
            <button type="button" onClick={() => setShowChanges(!showChanges)} aria-pressed={showChanges}>
              Changes ({files.length})
            </button>
            <button type="button" onClick={copyMarkdown} disabled={model.current.rows.length === 0}>
              Copy as Markdown
            </button>
            <button type="button" onClick={exportJsonl} disabled={current === undefined}>
              Export JSONL
            </button>
            <button type="button" onClick={() => setDialog("code")} disabled={current?.sid === undefined}>
              Get code
            </button>
            {current !== undefined ? (
              <>
                <label class="switch">
                  <input
                    type="checkbox"
                    role="switch"
                    aria-checked={current.autoContinue}
                    checked={current.autoContinue}
                    onChange={(event) => void toggleAuto(event.currentTarget.checked)}
                  />
                  Auto-continue
                </label>
                <button type="button" class="danger-link" onClick={() => setDialog("delete")}>
                  Delete
                </button>
              </>
            ) : null}
          </div>
          {notice !== undefined ? (
            <div class={`notice ${notice.kind}`} role={notice.kind === "error" ? "alert" : "status"}>
              <span>{notice.text}</span>
              <button type="button" class="link" aria-label="Dismiss" onClick={() => setNotice(undefined)}>
                ✕
              </button>
            </div>
          ) : null}
          {current === undefined && model.current.rows.length === 0 ? (
            <div class="welcome">
              <h2>What should the agent build?</h2>
              <p>
                Pick an agent, describe a task and watch it work: its messages, commands, files and pages
                appear here as they happen.
              </p>
            </div>
          ) : (
            <Timeline
              model={model.current}
              revision={revision}
              conversationId={current?.id ?? ""}
              onRetry={retry}
            />
          )}
          <Composer
            agents={agents}
            agent={current?.agent ?? newAgent}
            onAgent={(agent) => void changeAgent(agent)}
            running={running}
            waiting={!running && status.waiting}
            onSend={send}
            onStop={() => void stop()}
            focusKey={current?.id ?? "new"}
          />
        </main>
        {showChanges ? (
          <ChangesPanel files={files} title={title} onClose={() => setShowChanges(false)} />
        ) : null}
      </div>
      {keyPrompt !== undefined ? (
        <KeyDialog
          wrong={keyPrompt.wrong}
          onSubmit={(key) => {
            storeKey(key);
            setKeyPrompt(undefined);
            void init();
          }}
        />
      ) : null}
      {dialog === "rename" && current !== undefined ? (
        <RenameDialog
          title={current.title}
          onClose={() => setDialog(undefined)}
          onSubmit={async (newTitle) => {
            setDialog(undefined);
            try {
              setCurrent(await api.update(current.id, { title: newTitle }));
              void refreshList();
            } catch (error) {
              fail(error, "Could not rename");
            }
          }}
        />
      ) : null}
      {dialog === "delete" && current !== undefined ? (
        <DeleteDialog
          title={current.title}
          onClose={() => setDialog(undefined)}
          onConfirm={async () => {
            setDialog(undefined);
            try {
              await api.remove(current.id);
              await refreshList();
              navigate(undefined);
            } catch (error) {
              fail(error, "Could not delete");
            }
          }}
        />
      ) : null}
      {dialog === "code" && current !== undefined ? (
        <CodeDialog
          onClose={() => setDialog(undefined)}
          onSubmit={(user) => api.sessionCode(current.id, user)}
        />
      ) : null}
    </ExpandContext.Provider>
  );
}
