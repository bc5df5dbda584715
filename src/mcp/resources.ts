/**
 * The server's resources: per session used, its event timeline as JSON Lines. URIs:
 * `robocoders://sessions/{session}/timeline.jsonl`. Components are percent-encoded, so any session id
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

/** What a resource URI names. */
export type ResourceRef = { kind: "timeline"; sid: string };

/** Parses a resource URI of this server; `undefined` for any other URI. */
export function parseResourceUri(uri: string): ResourceRef | undefined {
  const match = /^robocoders:\/\/sessions\/([^/?#]+)\/timeline\.jsonl$/.exec(uri);
  if (match === null) return undefined;
  try {
    return { kind: "timeline", sid: decodeURIComponent(match[1] ?? "") };
  } catch {
    return undefined;
  }
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

/** Every resource (`resources/list`): the sessions most recently used first. */
export function listResources(registry: SessionRegistry): Resource[] {
  return registry.list().map(timelineResource);
}

/**
 * Reads a resource (`resources/read`).
 * @throws McpError with code {@link RESOURCE_NOT_FOUND} for an unknown URI or session.
 */
export function readResource(registry: SessionRegistry, uri: string): ReadResourceResult {
  const ref = parseResourceUri(uri);
  const record = ref === undefined ? undefined : registry.get(ref.sid);
  if (ref === undefined || record === undefined) {
    throw new McpError(RESOURCE_NOT_FOUND, `Resource not found: ${uri}`, { uri });
  }
  const text = record.timeline.length === 0 ? "" : `${record.timeline.join("\n")}\n`;
  return { contents: [{ uri, mimeType: TIMELINE_MIME_TYPE, text }] };
}
