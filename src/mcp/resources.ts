/**
 * The server's resources: per session used, its event timeline as JSON Lines and the latest content of
 * every file the agent wrote or edited. URIs:
 * - `robocoders://sessions/{session}/timeline.jsonl`;
 * - `robocoders://sessions/{session}/files/{+path}`, the file's workspace path without its leading `/`
 *   (`/workspace/app/main.py` → `…/files/workspace/app/main.py`).
 * Every component is percent-encoded (see {@link fileUri} for dot segments), so any session id and path
 * round-trips.
 */

import type { ReadResourceResult, Resource, ResourceTemplate } from "@modelcontextprotocol/sdk/types.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import type { SessionRecord, SessionRegistry } from "./sessions.js";

/** The URI scheme of the server's resources. */
export const RESOURCE_SCHEME = "robocoders:";
/** MIME type of a timeline. */
export const TIMELINE_MIME_TYPE = "application/jsonl";
/** JSON-RPC error code of an unknown resource (as the MCP specification names it). */
export const RESOURCE_NOT_FOUND = -32002;

/** The URI of a session's timeline. */
export function timelineUri(sid: string): string {
  return `robocoders://sessions/${encodeURIComponent(sid)}/timeline.jsonl`;
}

const isDotSegment = (segment: string | undefined) => segment === "." || segment === "..";

/**
 * The URI of the latest content of a file in a session, from its normalized absolute workspace path.
 * Each segment is percent-encoded; a `.` or `..` segment is glued to its neighbours with `%2F`, since URL
 * parsers resolve dot segments even when percent-encoded.
 */
export function fileUri(sid: string, path: string): string {
  const segments = path.split("/").slice(1);
  let encoded = "";
  segments.forEach((segment, index) => {
    const glued = isDotSegment(segment) || isDotSegment(segments[index - 1]);
    encoded += (index === 0 ? (glued ? "%2F" : "") : glued ? "%2F" : "/") + encodeURIComponent(segment);
  });
  return `robocoders://sessions/${encodeURIComponent(sid)}/files/${encoded}`;
}

/** What a resource URI names. */
export type ResourceRef = { kind: "timeline"; sid: string } | { kind: "file"; sid: string; path: string };

/** Parses a resource URI of this server (as {@link timelineUri} and {@link fileUri} write them); `undefined` for any other URI. */
export function parseResourceUri(uri: string): ResourceRef | undefined {
  const match = /^robocoders:\/\/sessions\/([^/?#]+)\/(?:(timeline\.jsonl)|files\/([^?#]+))$/.exec(uri);
  if (match === null) return undefined;
  try {
    const sid = decodeURIComponent(match[1] ?? "");
    if (match[2] !== undefined) return { kind: "timeline", sid };
    const joined = (match[3] ?? "").split("/").map(decodeURIComponent).join("/");
    const path = joined.startsWith("/") ? joined : `/${joined}`;
    // One spelling per file: anything but the canonical URI is another resource, which does not exist.
    return fileUri(sid, path) === uri ? { kind: "file", sid, path } : undefined;
  } catch {
    return undefined;
  }
}

const MIME_TYPES: Readonly<Record<string, string>> = {
  py: "text/x-python",
  js: "text/javascript",
  mjs: "text/javascript",
  cjs: "text/javascript",
  jsx: "text/javascript",
  ts: "text/typescript",
  tsx: "text/typescript",
  json: "application/json",
  md: "text/markdown",
  html: "text/html",
  css: "text/css",
  csv: "text/csv",
  xml: "application/xml",
  yml: "application/yaml",
  yaml: "application/yaml",
  sh: "application/x-sh",
  toml: "application/toml",
};

/** The MIME type of a file by its extension; `text/plain` for any other. */
export function mimeTypeOf(path: string): string {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const dot = name.lastIndexOf(".");
  const extension = dot > 0 ? name.slice(dot + 1).toLowerCase() : "";
  return MIME_TYPES[extension] ?? "text/plain";
}

/** The resource templates (`resources/templates/list`). */
export function resourceTemplates(): ResourceTemplate[] {
  return [
    {
      uriTemplate: "robocoders://sessions/{session}/timeline.jsonl",
      name: "timeline",
      title: "Session timeline",
      description:
        "Every event the agent sent in a session used by this server, one JSON object per line, oldest first.",
      mimeType: TIMELINE_MIME_TYPE,
    },
    {
      uriTemplate: "robocoders://sessions/{session}/files/{+path}",
      name: "file",
      title: "File written by the agent",
      description:
        "The latest content of a file the agent wrote or edited in a session used by this server; path is its " +
        "workspace path without the leading slash, e.g. workspace/app/main.py.",
    },
  ];
}

function timelineResource(record: SessionRecord): Resource {
  const dropped =
    record.droppedEvents > 0
      ? ` (the ${record.droppedEvents} oldest events were dropped to bound memory)`
      : "";
  return {
    uri: timelineUri(record.sid),
    name: `${record.sid}/timeline.jsonl`,
    title: `Timeline of session ${record.sid} (${record.agent})`,
    description: `${record.timeline.length} events of session ${record.sid}${dropped}.`,
    mimeType: TIMELINE_MIME_TYPE,
    size: record.timelineBytes,
    annotations: { lastModified: record.lastUsed.toISOString() },
  };
}

function fileResources(record: SessionRecord): Resource[] {
  return record.workspace.files().flatMap((file) =>
    file.content === undefined
      ? []
      : [
          {
            uri: fileUri(record.sid, file.path),
            name: file.path,
            title: `${file.path} (session ${record.sid})`,
            description: `Latest content of ${file.path}, version ${file.versions.length}, written by ${record.agent}.`,
            mimeType: mimeTypeOf(file.path),
            size: file.size,
          },
        ],
  );
}

/**
 * Every resource (`resources/list`): per session, most recently used first, its timeline then its files
 * in the order they were first written.
 */
export function listResources(registry: SessionRegistry): Resource[] {
  return registry.list().flatMap((record) => [timelineResource(record), ...fileResources(record)]);
}

/**
 * Reads a resource (`resources/read`).
 * @throws McpError with code {@link RESOURCE_NOT_FOUND} for an unknown URI or session.
 */
export function readResource(registry: SessionRegistry, uri: string): ReadResourceResult {
  const ref = parseResourceUri(uri);
  const record = ref === undefined ? undefined : registry.get(ref.sid);
  const notFound = () =>
    new McpError(RESOURCE_NOT_FOUND, `Resource not found: ${uri.slice(0, 300)}`, { uri });
  if (ref === undefined || record === undefined) throw notFound();
  if (ref.kind === "file") {
    const content = record.workspace.file(ref.path)?.content;
    if (content === undefined) throw notFound();
    return { contents: [{ uri, mimeType: mimeTypeOf(ref.path), text: content }] };
  }
  const text = record.timeline.length === 0 ? "" : `${record.timeline.join("\n")}\n`;
  return { contents: [{ uri, mimeType: TIMELINE_MIME_TYPE, text }] };
}
