/** A human-readable summary of a running emulator, for command-line front ends. */
import { FAULT_HEADER } from "./faults.js";
import type { Emulator } from "./types.js";

/**
 * Describes a running emulator: its URL, endpoints and how to inject faults. Multi-line, no colours,
 * no trailing newline; contains no token.
 */
export function describeEmulator(emulator: Pick<Emulator, "url">): string {
  const { url } = emulator;
  return [
    `Robocoders API emulator listening on ${url}`,
    `  GET  ${url}/auth               HTML page with a token in <pre id="token">`,
    `  GET  ${url}/create-session     {"sid"} (Bearer)`,
    `  POST ${url}/chat               {sid, prompt, agent} -> one JSON event per line (Bearer)`,
    `  POST ${url}/get-session-code   {sid, github_username} (Bearer)`,
    `  GET  ${url}/docs, ${url}/openapi.json`,
    `Faults: header "${FAULT_HEADER}: <spec>" or "[[fault:<spec>]]" in a prompt, e.g. [[fault:chunk=1, crlf]]`,
  ].join("\n");
}
