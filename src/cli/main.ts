#!/usr/bin/env node
/** Entry point of the `robocoders` command line. */
import { run } from "./program.js";

// A reader that went away (`robocoders chat … | head`) ends the command quietly, as in other Unix tools.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });
}

const code = await run(process.argv);
// Let pending output reach its destination, then exit even if a handle (a socket, stdin) is still open.
process.exitCode = code;
process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
