/**
 * The Changes panel: every file the agent wrote or edited in the conversation, its latest content, the
 * history of its diffs, and a zip of all of them.
 */
import { strToU8, zipSync } from "fflate";
import { useState } from "preact/hooks";
import { diffStats, type TrackedFile } from "../../../src/workspace/index.js";
import { languageOfPath } from "../highlight.js";
import { formatBytes } from "../model.js";
import { Code, Collapsible, Diff } from "./common.js";

/** The files as a zip archive (paths relative to the workspace; refused paths are skipped). */
export function zipFiles(files: readonly TrackedFile[]): Uint8Array {
  const entries: Record<string, Uint8Array> = {};
  for (const file of files) {
    if (!file.output.ok || file.content === undefined) continue;
    entries[file.output.relative] = strToU8(file.content);
  }
  return zipSync(entries, { level: 6 });
}

/** Saves bytes as a download. */
export function download(name: string, data: Blob): void {
  const url = URL.createObjectURL(data);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function FileDetails(props: { file: TrackedFile }) {
  const { file } = props;
  const history = file.versions.filter((v) => v.diff !== undefined).reverse();
  return (
    <div class="file-details">
      {file.content !== undefined ? (
        <Collapsible summary={<span>Latest content</span>} defaultOpen>
          {() => <Code code={file.content ?? ""} language={languageOfPath(file.path)} />}
        </Collapsible>
      ) : (
        <p class="muted">The content is not known.</p>
      )}
      <h4>History</h4>
      <ol class="history">
        {history.map((version) => (
          <li key={version.number}>
            <Collapsible
              summary={
                <span>
                  Version {version.number} ({version.kind}
                  {version.created ? ", created" : ""})
                </span>
              }
              defaultOpen={version === history[0]}
            >
              {() => <Diff diff={version.diff ?? ""} />}
            </Collapsible>
          </li>
        ))}
      </ol>
    </div>
  );
}

export function ChangesPanel(props: { files: TrackedFile[]; title: string; onClose: () => void }) {
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const { files } = props;
  const current = files.find((f) => f.path === selected) ?? files[0];
  const onZip = () => {
    const bytes = zipFiles(files);
    const name = `${
      props.title
        .replace(/[^A-Za-z0-9._-]+/g, "-")
        .replace(/^-+|-+$/g, "")
        .slice(0, 60) || "changes"
    }.zip`;
    download(name, new Blob([bytes as BlobPart], { type: "application/zip" }));
  };
  return (
    <aside class="changes" aria-label="Changed files">
      <header class="panel-head">
        <h2>Changes ({files.length})</h2>
        <button type="button" onClick={onZip} disabled={files.length === 0}>
          Download zip
        </button>
        <button type="button" class="close" aria-label="Close the changes panel" onClick={props.onClose}>
          ✕
        </button>
      </header>
      {files.length === 0 ? (
        <p class="muted empty">No file written or edited yet.</p>
      ) : (
        <>
          <ul class="file-list">
            {files.map((file) => {
              const stats = file.versions.reduce(
                (sum, v) => {
                  if (v.diff === undefined) return sum;
                  const s = diffStats(v.diff);
                  return { added: sum.added + s.added, removed: sum.removed + s.removed };
                },
                { added: 0, removed: 0 },
              );
              return (
                <li key={file.path}>
                  <button
                    type="button"
                    class="file-button"
                    aria-pressed={file === current}
                    onClick={() => setSelected(file.path)}
                  >
                    <span class="path">{file.path}</span>
                    <span class="stats">
                      <span class="added">+{stats.added}</span> <span class="removed">−{stats.removed}</span>
                      {file.size !== undefined ? (
                        <span class="muted"> · {formatBytes(file.size)}</span>
                      ) : null}
                      <span class="muted">
                        {" "}
                        · {file.versions.length === 1 ? "1 version" : `${file.versions.length} versions`}
                      </span>
                    </span>
                  </button>
                </li>
              );
            })}
          </ul>
          {current !== undefined ? <FileDetails key={current.path} file={current} /> : null}
        </>
      )}
    </aside>
  );
}
