/**
 * `robocoders emulate` end to end, as a child process: the admin API switch and token, `--log`, and usage
 * errors for bad fault specs and a busy port.
 */
import { createServer } from "node:net";
import { fetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, runCli, startCli } from "./helpers.js";

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

/** Starts `robocoders emulate` with `args` and returns it with the URL it prints. */
async function startEmulate(args: string[], env: Record<string, string> = {}) {
  const cli = startCli(["emulate", "--port", "0", ...args], { env, keepStdinOpen: true });
  const stdout = await cli.waitForStdout(/^http:\/\/\S+\n/m);
  return { cli, url: stdout.trim().split("\n")[0] ?? "" };
}

describe("emulate's admin API", () => {
  it("is on by default on loopback, and announced on stderr", async () => {
    const { cli, url } = await startEmulate([]);
    const res = await fetch(`${url}/__emulator/stats`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ totalRequests: 0 });
    cli.child.kill("SIGTERM");
    const result = await cli.done;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`Admin API: ${url}/__emulator/stats`);
  });

  it("--no-admin turns it off", async () => {
    const { cli, url } = await startEmulate(["--no-admin"]);
    expect((await fetch(`${url}/__emulator/stats`)).status).toBe(404);
    cli.child.kill("SIGTERM");
    expect((await cli.done).stderr).not.toContain("Admin API");
  });

  it("--admin-token (or ROBOCODERS_EMULATOR_ADMIN_TOKEN) requires the token, and never prints it", async () => {
    const { cli, url } = await startEmulate([], { ROBOCODERS_EMULATOR_ADMIN_TOKEN: "s3cret-admin" });
    expect((await fetch(`${url}/__emulator/stats`)).status).toBe(401);
    const ok = await fetch(`${url}/__emulator/stats`, { headers: { authorization: "Bearer s3cret-admin" } });
    expect(ok.status).toBe(200);
    cli.child.kill("SIGTERM");
    const result = await cli.done;
    expect(result.stdout + result.stderr).not.toContain("s3cret-admin");
  });

  it("an empty --admin-token is a usage error", async () => {
    const result = await runCli(["emulate", "--port", "0", "--admin-token", " "]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^robocoders: --admin-token must not be empty/);
  });
});

describe("emulate --log", () => {
  it("prints one line per request: method, path, status, faults applied, duration", async () => {
    const { cli, url } = await startEmulate([
      "--log",
      "--fault",
      "status=503, endpoint=create-session, count=1",
    ]);
    await fetch(`${url}/auth?from=test`);
    await fetch(`${url}/create-session`);
    await fetch(`${url}/__emulator/stats`);
    await fetch(`${url}/nowhere`, { method: "POST", body: "x" });
    cli.child.kill("SIGTERM");
    const result = await cli.done;
    const logged = result.stderr.split("\n").filter((line) => /^[A-Z]+ \//.test(line));
    expect(logged).toHaveLength(4);
    expect(logged[0]).toMatch(/^GET \/auth 200 faults=none \d+ms$/);
    expect(logged[1]).toMatch(/^GET \/create-session 503 faults=status:503 \d+ms$/);
    expect(logged[2]).toMatch(/^GET \/__emulator\/stats 200 faults=none \d+ms$/);
    expect(logged[3]).toMatch(/^POST \/nowhere 404 faults=none \d+ms$/);
    expect(result.stderr).not.toMatch(/eyJ[\w-]+\./);
  });

  it("is off by default", async () => {
    const { cli, url } = await startEmulate([]);
    await fetch(`${url}/auth`);
    cli.child.kill("SIGTERM");
    expect((await cli.done).stderr).not.toMatch(/^GET \/auth/m);
  });
});
