/** Starts a `service-child.mjs` process and talks to it line by line. */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const CHILD = fileURLToPath(new URL("./service-child.mjs", import.meta.url));

/**
 * Starts a service process; resolves to `{url, cpuMs(), memory(), eventLoopDelay(), close()}` once it
 * listens.
 * @param {string[]} args
 * @param {NodeJS.ProcessEnv} [env]
 * @param {string[]} [nodeArgs]
 * @returns {Promise<{ url: string, cpuMs(): Promise<number>, memory(): Promise<{ rss: number, heap: number, sockets: number }>, eventLoopDelay(): Promise<any>, close(): Promise<void> }>}
 */
export async function startService(args, env = process.env, nodeArgs = []) {
  // BENCH_PROFILE=<dir> writes a V8 CPU profile of the gateway process there.
  const prof =
    process.env.BENCH_PROFILE && args[0] === "gateway"
      ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE}`]
      : [];
  const child = spawn(process.execPath, [...nodeArgs, ...prof, CHILD, ...args], {
    env,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d) => {
    stderr += d;
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const r = await lines.next();
    if (r.done) throw new Error(`service ${args[0]} exited: ${stderr.trim().slice(0, 2000)}`);
    return JSON.parse(r.value);
  };
  const { url } = await next();
  return {
    url,
    /** RSS, and the V8 heap in use plus external memory (buffers), after a GC. */
    async memory() {
      child.stdin.write("mem\n");
      const { rss, heap, sockets } = await next();
      return { rss, heap, sockets };
    },
    async eventLoopDelay() {
      child.stdin.write("eld\n");
      return next();
    },
    async cpuMs() {
      child.stdin.write("cpu\n");
      return (await next()).cpuMs;
    },
    close() {
      return new Promise(
        /** @param {(value: void) => void} resolve */ (resolve) => {
          child.once("exit", () => resolve());
          child.stdin.end("exit\n");
          setTimeout(() => child.kill("SIGKILL"), 5000).unref();
        },
      );
    },
  };
}
