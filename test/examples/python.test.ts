/**
 * The Python example (examples/python/test_emulator_client.py, standard library only) runs against the
 * built CLI's `robocoders emulate`: a client in another language tested through the admin API. Skipped,
 * with the reason in its name, when `python3` is not installed.
 */
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { CLI, ensureBuilt, ROOT } from "../cli/helpers.js";

const python = spawnSync("python3", ["--version"], { encoding: "utf8" });
const HAS_PYTHON = python.status === 0;
const EXAMPLE = join(ROOT, "examples", "python", "test_emulator_client.py");

describe("examples/python/test_emulator_client.py", () => {
  beforeAll(() => {
    if (HAS_PYTHON) ensureBuilt();
  }, 180_000);

  it.skipIf(!HAS_PYTHON)(
    HAS_PYTHON
      ? `passes with ${python.stdout.trim() || "python3"} against robocoders emulate`
      : "skipped: python3 is not installed (the Python example needs it)",
    async () => {
      const child = spawn("python3", ["-m", "unittest", "-v", EXAMPLE], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          HOME: process.env.HOME ?? "/tmp",
          PYTHONDONTWRITEBYTECODE: "1",
          ROBOCODERS_CLI: `"${process.execPath}" "${CLI}"`,
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        output += chunk;
      });
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
        output += chunk;
      });
      const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
      expect(output, output).toMatch(/^Ran 5 tests in /m);
      expect(code, output).toBe(0);
      expect(output).toMatch(/^OK$/m);
    },
    120_000,
  );
});
