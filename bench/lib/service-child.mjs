/**
 * A benchmark service in its own process, so its CPU time is its own: `emulator` (the API emulator) or
 * `gateway <upstreamURL> <cacheDir>` (the OpenAI-compatible gateway in front of it). Prints
 * `{"url": ...}` on stdout once listening, then answers `cpu` lines on stdin with
 * `{"cpuMs": ...}` (CPU time of this process so far) and exits on `exit`.
 */
import { createInterface } from "node:readline";

const [kind, upstream, cacheDir] = process.argv.slice(2);
let close;
let url;
if (kind === "emulator") {
  const { startEmulator } = await import("../../dist/emulator/index.js");
  const emulator = await startEmulator({ port: 0 });
  url = emulator.url;
  close = () => emulator.close();
} else if (kind === "gateway") {
  const { startServer } = await import("../../dist/server/index.js");
  const server = await startServer({
    port: 0,
    logLevel: "off",
    apiKey: false,
    clientOptions: { baseURL: upstream, cacheDir: cacheDir === "false" ? false : cacheDir, maxContinues: 0 },
  });
  url = server.url;
  close = () => server.close();
} else {
  throw new Error(`unknown service ${kind}`);
}
process.stdout.write(JSON.stringify({ url }) + "\n");
for await (const line of createInterface({ input: process.stdin })) {
  if (line === "cpu") {
    const u = process.cpuUsage();
    process.stdout.write(JSON.stringify({ cpuMs: (u.user + u.system) / 1000 }) + "\n");
  } else if (line === "exit") {
    break;
  }
}
await close();
process.exit(0);
