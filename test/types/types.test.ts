import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ensureBuilt, ROOT } from "../cli/helpers.js";

describe("the published types", () => {
  it("narrow events precisely under tsc --strict (test/types/*.assert.ts against dist/)", () => {
    ensureBuilt();
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    const result = spawnSync(process.execPath, [tsc, "-p", join(ROOT, "test", "types", "tsconfig.json")], {
      cwd: ROOT,
      encoding: "utf8",
    });
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  }, 120_000);
});
