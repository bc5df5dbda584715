/**
 * Modal dialogs (native `<dialog>`, so focus stays inside and Escape closes): the API key, renaming,
 * deleting, and getting the session's code.
 */
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";

function Modal(props: {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  labelledBy: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog !== null && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      aria-labelledby={props.labelledBy}
      onCancel={(event) => {
        event.preventDefault();
        props.onClose();
      }}
    >
      <h2 class="dialog-title" id={props.labelledBy}>
        {props.title}
      </h2>
      {props.children}
    </dialog>
  );
}

/** Asks for the gateway's API key (kept in this browser). */
export function KeyDialog(props: { wrong: boolean; onSubmit: (key: string) => void }) {
  const [key, setKey] = useState("");
  return (
    <Modal title="API key" labelledBy="key-title" onClose={() => undefined}>
      <form
        method="dialog"
        onSubmit={(event) => {
          event.preventDefault();
          if (key.trim() !== "") props.onSubmit(key.trim());
        }}
      >
        <p>
          {props.wrong
            ? "The gateway refused this key. Enter the right one."
            : "This gateway needs an API key. It is kept in this browser."}
        </p>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          autoFocus
          type="password"
          autocomplete="off"
          value={key}
          onInput={(event) => setKey(event.currentTarget.value)}
          required
        />
        <div class="dialog-buttons">
          <button type="submit" class="primary">
            Save
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** Renames a conversation. */
export function RenameDialog(props: {
  title: string;
  onSubmit: (title: string) => void;
  onClose: () => void;
}) {
  const [title, setTitle] = useState(props.title);
  return (
    <Modal title="Rename conversation" labelledBy="rename-title" onClose={props.onClose}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (title.trim() !== "") props.onSubmit(title.trim());
        }}
      >
        <label for="rename-input">Title</label>
        <input
          id="rename-input"
          autoFocus
          value={title}
          maxLength={200}
          onInput={(event) => setTitle(event.currentTarget.value)}
          required
        />
        <div class="dialog-buttons">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="primary">
            Rename
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** Confirms deleting a conversation. */
export function DeleteDialog(props: { title: string; onConfirm: () => void; onClose: () => void }) {
  return (
    <Modal title="Delete conversation?" labelledBy="delete-title" onClose={props.onClose}>
      <p>“{props.title}” and its whole timeline will be deleted from the gateway. This cannot be undone.</p>
      <div class="dialog-buttons">
        <button type="button" onClick={props.onClose}>
          Cancel
        </button>
        <button type="button" class="danger" onClick={props.onConfirm}>
          Delete
        </button>
      </div>
    </Modal>
  );
}

const GITHUB_REPO = /^https:\/\/github\.com\/[\w.-]+\/[\w.-]+\/?$/;

/** Asks for a GitHub user name and shows the link to the repository holding the session's code. */
export function CodeDialog(props: {
  onSubmit: (user: string) => Promise<{ repoUrl: string; message: string }>;
  onClose: () => void;
}) {
  const [user, setUser] = useState("");
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ repoUrl: string; message: string } | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  return (
    <Modal title="Get the session's code" labelledBy="code-title" onClose={props.onClose}>
      <form
        onSubmit={async (event) => {
          event.preventDefault();
          setBusy(true);
          setError(undefined);
          try {
            setResult(await props.onSubmit(user.trim()));
          } catch (failure) {
            setError(failure instanceof Error ? failure.message : String(failure));
          } finally {
            setBusy(false);
          }
        }}
      >
        <p>
          The service adds your GitHub account as a collaborator on the repository holding this session's
          code.
        </p>
        <label for="github-user">GitHub user name</label>
        <input
          id="github-user"
          autoFocus
          value={user}
          autocomplete="username"
          onInput={(event) => setUser(event.currentTarget.value)}
          required
        />
        {error !== undefined ? (
          <p class="error-text" role="alert">
            {error}
          </p>
        ) : null}
        {result !== undefined ? (
          <p class="code-result" role="status">
            {result.message}:{" "}
            {GITHUB_REPO.test(result.repoUrl) ? (
              <a href={result.repoUrl} target="_blank" rel="noopener noreferrer">
                {result.repoUrl}
              </a>
            ) : (
              <code>{result.repoUrl}</code>
            )}
          </p>
        ) : null}
        <div class="dialog-buttons">
          <button type="button" onClick={props.onClose}>
            Close
          </button>
          <button type="submit" class="primary" disabled={busy}>
            {busy ? "Asking…" : "Get code"}
          </button>
        </div>
      </form>
    </Modal>
  );
}
