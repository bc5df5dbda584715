/**
 * The agent's workspace as its events reveal it, shared by the terminal, the web workspace and the MCP
 * server: the files written and edited (every version, its diff), the commands run (exit codes, output),
 * and the rule that maps a workspace path to a path under a folder of the user's.
 *
 * Everything here is pure and browser-safe (no `node:` import). Writing files to disk, with symlink
 * checks, is in `./write-files.js` (Node only).
 */
export * from "./diff.js";
export { contentAfter, type FileActionArgs, splitLines, utf8Length } from "./edits.js";
export * from "./paths.js";
export * from "./tracker.js";
