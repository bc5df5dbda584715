// The error contract (docs/client.md, "Errors"): every error the library throws is a RobocodersError,
// with the exceptions listed below. This reads every `throw new X(` and `reject(new X(` in src/ and
// checks that X is RobocodersError or one of its subclasses (the hierarchy is read from the sources).
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL("../../src", import.meta.url));

/**
 * Where another error is thrown on purpose: "path: Class" → why. Keep this list short and say why.
 * src/cli/ is not the library: its UsageError and InterruptedError become exit codes and never reach
 * a caller. src/ai-sdk/ throws the AI SDK's own errors, as AI SDK providers must.
 */
const ALLOWED: Record<string, string> = {
  "core/python-json.ts: SyntaxError":
    "parsePythonJson fails like JSON.parse; the stream decoder turns it into a skipped line",
  "core/python-json.ts: TypeError": "pyDumps refuses a value JSON cannot hold, as Python's json.dumps does",
  "emulator/admin.ts: AdminRequestError":
    "a module-private error of the admin API, caught in the same module and answered as a 4xx; never leaves it",
  "emulator/api.ts: Error": "an invariant (the agent was validated a line before), answered as a 500",
  "emulator/server.ts: Error": "an invariant (listen(port, host) always binds a TCP port)",
  "mcp/server.ts: McpError": "a JSON-RPC error of a tool call, which the MCP SDK answers to the MCP client",
  "mcp/tool-errors.ts: McpError":
    "a JSON-RPC error of a tool call, which the MCP SDK answers to the MCP client",
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

const files = sources(SRC).map((path) => ({ path: relative(SRC, path), text: readFileSync(path, "utf8") }));

/** Every class of src/ that descends from RobocodersError, RobocodersError included. */
function robocodersErrors(): Set<string> {
  const parent = new Map<string, string>();
  for (const { text } of files) {
    for (const match of text.matchAll(/class (\w+) extends (\w+)/g))
      parent.set(match[1] ?? "", match[2] ?? "");
  }
  const out = new Set(["RobocodersError"]);
  for (const name of parent.keys()) {
    for (let at: string | undefined = name; at !== undefined; at = parent.get(at)) {
      if (at === "RobocodersError") out.add(name);
    }
  }
  return out;
}

describe("the error contract", () => {
  it("every error the library throws is a RobocodersError, apart from the listed exceptions", () => {
    const ours = robocodersErrors();
    expect(ours).toContain("InvalidArgumentError");
    const found: string[] = [];
    for (const { path, text } of files) {
      if (path.startsWith("cli/") || path.startsWith("ai-sdk/")) continue;
      for (const match of text.matchAll(/(?:throw|reject\()\s*new (\w+)\(/g)) {
        const name = match[1] ?? "";
        if (!ours.has(name) && ALLOWED[`${path}: ${name}`] === undefined) found.push(`${path}: ${name}`);
      }
    }
    expect(found).toEqual([]);
  });

  it("lists no exception that no longer exists", () => {
    const stale = Object.keys(ALLOWED).filter((key) => {
      const [path, name] = key.split(": ");
      const text = files.find((file) => file.path === path)?.text ?? "";
      return !new RegExp(`(?:throw|reject\\()\\s*new ${name}\\(`).test(text);
    });
    expect(stale).toEqual([]);
  });
});
