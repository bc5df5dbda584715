/** Child-process helpers for the benchmarks. */

/** @typedef {{ env?: NodeJS.ProcessEnv, timeoutMs?: number, input?: string }} RunOptions */
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";

/**
 * Runs a command to completion. Resolves to `{code, stdout, stderr, wallMs}`; rejects when it runs
 * longer than `timeoutMs`.
 * @param {string} command
 * @param {string[]} args
 * @param {RunOptions} [options]
 * @returns {Promise<{ code: number | null, stdout: string, stderr: string, wallMs: number }>}
 */
export function run(command, args, { env, timeoutMs = 120_000, input } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, { env: env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${command} ${args.join(" ")} ran longer than ${timeoutMs} ms`));
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, wallMs: performance.now() - t0 });
    });
    child.stdin.end(input ?? "");
  });
}

/**
 * Runs a command and parses the last line of its stdout as JSON; rejects on a non-zero exit.
 * @param {string} command
 * @param {string[]} args
 * @param {RunOptions} [options]
 * @returns {Promise<any>}
 */
export async function runJson(command, args, options) {
  const r = await run(command, args, options);
  if (r.code !== 0) throw new Error(`${args.join(" ")} exited ${r.code}: ${r.stderr.trim().slice(0, 2000)}`);
  const lines = r.stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1] ?? "");
}
