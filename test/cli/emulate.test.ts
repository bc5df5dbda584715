/**
 * `robocoders emulate` end to end, as a child process: usage errors for bad fault specs and a busy port.
 */
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, runCli } from "./helpers.js";

beforeAll(() => ensureBuilt(), 180_000);

describe("emulate usage errors", () => {
  it("an unknown --fault is a usage error (exit 2) naming the spec", async () => {
    const result = await runCli(["emulate", "--port", "0", "--fault", "bogus=1"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^robocoders: Invalid --fault "bogus=1": unknown fault "bogus"\. /);
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
  });

  it("a bad value in one of several --fault specs is a usage error", async () => {
    const result = await runCli(["emulate", "--port", "0", "--fault", "crlf", "--fault", "status=418"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Invalid --fault "status=418"');
  });

  describe("a port already in use", () => {
    const blocker = createServer();
    let port = 0;
    beforeAll(async () => {
      await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
      const address = blocker.address();
      if (address === null || typeof address === "string") throw new Error("no port");
      port = address.port;
    });
    afterAll(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

    it("is a usage error (exit 2) with a one-line message and what to do", async () => {
      const result = await runCli(["emulate", "--port", String(port)]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr).toBe(
        `robocoders: Cannot listen on 127.0.0.1:${port}: the port is already in use. ` +
          "Stop the program using it, or pick another port with --port (0 picks a free one).\n",
      );
    });
  });
});
