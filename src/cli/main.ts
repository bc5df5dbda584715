#!/usr/bin/env node
/** Entry point of the `robocoders` command line. */
import { packageVersion } from "./version.js";

// A reader that went away (`robocoders chat … | head`) ends the command quietly, as in other Unix tools.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });
}

/**
 * `robocoders --version` is answered before the command tree (commander and its modules) loads, so the
 * most frequent scripted call costs little more than starting Node.
 */
async function main(argv: readonly string[]): Promise<number> {
  if (argv.length === 3 && (argv[2] === "--version" || argv[2] === "-V")) {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const { run } = await import("./program.js");
  return run([...argv]);
}

const code = await main(process.argv);
// Let pending output reach its destination, then exit even if a handle (a socket, stdin) is still open.
process.exitCode = code;
process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
